//! Embeds the built-in rules under `detections/` into the binary.
//!
//! Generates `$OUT_DIR/builtin_rules.rs`: a sorted table of
//! `(path relative to detections/, include_str!(absolute path))` for every
//! `*.yml` / `*.yaml` file, so `picket` needs no rule files at run time
//! and `include_str!` makes Cargo rebuild when a rule changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn main() -> io::Result<()> {
    let root =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = root.join("detections");
    // A directory makes Cargo rescan everything under it for changes,
    // which also catches rule files being added or removed.
    println!("cargo:rerun-if-changed=detections");
    let mut files = Vec::new();
    if dir.is_dir() {
        walk(&dir, &mut files)?;
    }
    files.sort();
    let mut out = String::from("/// Built-in rules: (path under `detections/`, contents).\n");
    out.push_str("pub(crate) static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file.strip_prefix(&dir).unwrap_or(file);
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        // `{:?}` of a str is a valid Rust string literal.
        writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            rel,
            file.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(dest, out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}
