//! Reading rule files: paths, directories, the embedded built-ins, and
//! multi-document YAML.
//!
//! Loading never stops at the first bad file: every file is read and every
//! document compiled, and all errors are returned together, each at its
//! `FILE:LINE:COL`. YAML syntax and type errors come from serde-saphyr with
//! their location; one such error ends that file (the parser cannot
//! resynchronise), while semantic errors are reported per rule.

use super::compile::{Locator, compile_doc};
use super::compiled::CompiledRule;
use super::error::RuleError;
use super::spec::RuleDoc;
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Rule files larger than this are refused unread: no real rule is that
/// big, and a rule path pointed at a log file should fail fast.
const MAX_RULE_FILE: u64 = 8 << 20;

/// What loading produced: the rules that compiled and every error.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub rules: Vec<CompiledRule>,
    pub errors: Vec<RuleError>,
}

/// Loads the built-in rules (if asked) and then every rule file under
/// `paths`: files as given, directories recursively (`*.yml`, `*.yaml`).
pub(crate) fn load_all(paths: &[PathBuf], include_builtin: bool) -> Loaded {
    let mut out = Loaded::default();
    if include_builtin {
        for (rel, text) in BUILTIN_RULES {
            load_text(&Path::new("detections").join(rel), text, &mut out);
        }
    }
    for path in paths {
        let is_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
        let files = match crate::source::expand_paths(std::slice::from_ref(path)) {
            Ok(files) => files,
            Err(e) => {
                out.errors.push(RuleError::new(
                    path,
                    1,
                    1,
                    format!("cannot read rules: {e}"),
                ));
                continue;
            }
        };
        for file in files {
            // A file named explicitly is a rule file whatever its name;
            // inside directories only YAML files are.
            if is_dir && !file.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                continue;
            }
            load_file(&file, &mut out);
        }
    }
    out
}

fn load_file(path: &Path, out: &mut Loaded) {
    let err = |message: String| RuleError::new(path, 1, 1, message);
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_RULE_FILE => {
            out.errors.push(err(format!(
                "rule file is larger than {} MiB",
                MAX_RULE_FILE >> 20
            )));
            return;
        }
        Ok(_) => {}
        Err(e) => {
            out.errors.push(err(format!("cannot read rule file: {e}")));
            return;
        }
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_text(path, &text, out),
            Err(e) => out.errors.push(err(format!(
                "rule file is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ))),
        },
        Err(e) => out.errors.push(err(format!("cannot read rule file: {e}"))),
    }
}

/// Parses and compiles every document of one file's text.
pub(crate) fn load_text(path: &Path, text: &str, out: &mut Loaded) {
    let mut options = serde_saphyr::Options::default();
    // We print `FILE:LINE:COL: message` ourselves; a snippet would add lines.
    options.with_snippet = false;
    // Detection values are compared as text, so plain scalars must keep
    // theirs: `yes`, `on`, `y` stay strings (YAML 1.2 booleans only), and
    // `0200` or `1_000` are not turned into the numbers 200 and 1000.
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    options.underscored_numbers_as_strings = true;
    let docs: Vec<Spanned<RuleDoc>> =
        match serde_saphyr::from_str_multiple_with_options(text, options) {
            Ok(docs) => docs,
            Err(e) => {
                out.errors.push(yaml_error(path, &e));
                return;
            }
        };
    if docs.is_empty() {
        out.errors
            .push(RuleError::new(path, 1, 1, "no rule in file"));
        return;
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "rule".into(), |s| s.to_string_lossy().into_owned());
    let loc = Locator { path, src: text };
    for (i, doc) in docs.into_iter().enumerate() {
        // Sigma makes `id` optional; alerts and metrics need one.
        let fallback_id = if i == 0 {
            stem.clone()
        } else {
            format!("{stem}#{}", i + 1)
        };
        match compile_doc(doc, &loc, fallback_id) {
            Ok(rule) => out.rules.push(rule),
            Err(errors) => out.errors.extend(errors),
        }
    }
}

/// A serde-saphyr error as a located rule error.
fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> RuleError {
    use serde_saphyr::MessageFormatter as _;
    let message = serde_saphyr::DefaultMessageFormatter.format_message(e);
    let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
    RuleError::new(path, line, col, format!("invalid rule YAML: {message}"))
}
