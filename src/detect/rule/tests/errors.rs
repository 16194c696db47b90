//! Every bad rule fails with `FILE:LINE:COL: message` at the right place.

use super::{compile, errors, rule};
use crate::detect::rule::{RuleSet, check};

/// The errors of `yaml` as `LINE:COL: message` strings (file is `test.yml`).
fn located(yaml: &str) -> Vec<String> {
    errors(yaml)
        .into_iter()
        .map(|e| {
            assert_eq!(e.path.to_str(), Some("test.yml"));
            format!("{}:{}: {}", e.line, e.col, e.message)
        })
        .collect()
}

/// A rule whose detection starts on line 4, selection key on line 5.
fn with_key(key: &str, condition: &str) -> String {
    format!("title: t\nid: t\ndetection:\n    sel:\n        {key}: x\n    condition: {condition}\n")
}

#[track_caller]
fn one(yaml: &str, want_prefix: &str) {
    let got = located(yaml);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with(want_prefix),
        "want {want_prefix:?}, got {:?}",
        got[0]
    );
}

#[test]
fn display_is_file_line_col_message() {
    let e = &errors(&with_key("cs-uri|contians", "sel"))[0];
    let shown = e.to_string();
    assert!(
        shown.starts_with("test.yml:5:16: unknown modifier `contians` (supported: "),
        "{shown}"
    );
}

#[test]
fn yaml_syntax_and_shape_errors() {
    one("title: x\ndetection: [unclosed\n", "2:");
    one("title: x\ndetection: 5\n", "2:12: invalid rule YAML");
    one(
        "title: x\ntitle: y\ndetection: {}\n",
        "2:1: invalid rule YAML: duplicate mapping key",
    );
    one("title: [1, 2]\n", "1:8: invalid rule YAML");
    one("", "1:1: no rule in file");
    one(
        "title: t\ndetection:\n    sel:\n        a: {b: c}\n    condition: sel\n",
        "4:12: invalid rule YAML",
    );
    let got = located(
        "title: t\nx-picket-tests:\n    format: combined\n    no-match: []\ndetection: {}\n",
    );
    assert!(
        got[0].starts_with("4:5: invalid rule YAML: unknown field `no-match`"),
        "{got:?}"
    );
}

#[test]
fn modifier_errors_point_at_the_modifier() {
    one(
        &with_key("cs-uri|contians", "sel"),
        "5:16: unknown modifier `contians`",
    );
    one(
        &with_key("'cs-uri|contians'", "sel"),
        "5:17: unknown modifier `contians`",
    );
    one(
        &with_key("cs-uri|contains|base64offset", "sel"),
        "5:25: modifier `base64offset` is not supported yet",
    );
    one(
        &with_key("a|contains|startswith", "sel"),
        "5:20: modifiers `contains` and `startswith` cannot be combined",
    );
    one(
        &with_key("a|i", "sel"),
        "5:11: modifiers `i`, `m` and `s` only apply to `re`",
    );
    one(
        &with_key("a|cidr", "sel"),
        "5:11: modifier `cidr` is not supported yet",
    );
}

#[test]
fn condition_errors_point_inside_the_condition() {
    one(
        &with_key("a", "sel and nope"),
        "6:24: unknown selection `nope`",
    );
    one(
        &with_key("a", "'sel and nope'"),
        "6:25: unknown selection `nope`",
    );
    one(
        &with_key("a", "\"sel and nope\""),
        "6:25: unknown selection `nope`",
    );
    one(&with_key("a", "sel and"), "6:23: expected a selection name");
    one(&with_key("a", "(sel"), "6:16: unclosed `(`");
    one(&with_key("a", "sel | count() > 5"), "6:20: aggregations");
    one(
        &with_key("a", "1 of filter_*"),
        "6:16: `filter_*` matches no selection",
    );
    one(
        &with_key("a", "[sel, nope]"),
        "6:22: unknown selection `nope`",
    );
    one(
        "title: t\ndetection:\n    sel:\n        a: x\n",
        "3:5: `detection` has no `condition`",
    );
}

#[test]
fn value_errors_point_at_the_value() {
    one(
        &with_key("a|re", "sel").replace(": x", ": '('"),
        "5:15: invalid regex",
    );
    let huge = r"'\w{1000}\w{1000}\w{1000}'";
    one(
        &with_key("a|re", "sel").replace(": x", &format!(": {huge}")),
        "5:15: regex is too large once compiled",
    );
    one(
        &with_key("a|exists", "sel").replace(": x", ": yes-please"),
        "5:19: `exists` takes `true` or `false`",
    );
    one(
        &with_key("a|contains", "sel").replace(": x", ": null"),
        "5:21: `null` can only be used without modifiers",
    );
    one(
        &with_key("a", "sel").replace(": x", ": []"),
        "5:12: empty list of values",
    );
    one(
        "title: t\ndetection:\n    sel:\n        - null\n    condition: sel\n",
        "4:11: a keyword cannot be `null`",
    );
    one(
        "title: t\ndetection:\n    sel:\n    condition: sel\n",
        "3:5: selection `sel` is empty",
    );
    one(
        "title: t\ndetection:\n    sel: {}\n    condition: sel\n",
        "3:5: selection `sel` has an empty map",
    );
}

#[test]
fn rule_level_errors() {
    one(
        "detection:\n    sel:\n        a: x\n    condition: sel\n",
        "1:1: rule has no `title`",
    );
    one("title: t\n", "1:1: rule has no `detection`");
    one(
        &format!("level: urgent\n{}", rule("sel:\n  a: x\ncondition: sel")),
        "1:8: unknown level `urgent`",
    );
    one(
        "title: t\naction: global\ndetection: {}\n",
        "2:9: Sigma rule collections",
    );
    one(
        "title: t\ncorrelation:\n    type: event_count\n",
        "1:1: Sigma correlation rules are not supported yet",
    );
    one(
        &format!(
            "{}x-picket-message: 'by {{user.name'\n",
            rule("sel:\n  a: x\ncondition: sel")
        ),
        "7:23: unclosed `{`",
    );
    let bad_format = format!(
        "{}x-picket-tests:\n    format: nginx\n    match: [x]\n",
        rule("sel:\n  a: x\ncondition: sel")
    );
    one(&bad_format, "8:13: unknown format `nginx`");
    let no_examples = format!(
        "{}x-picket-tests: {{format: combined}}\n",
        rule("sel:\n  a: x\ncondition: sel")
    );
    one(&no_examples, "7:17: `x-picket-tests` has no examples");
}

#[test]
fn every_error_of_a_rule_is_reported() {
    let yaml = "title: t\ndetection:\n    sel:\n        a|foo: x\n        b|bar: y\n    other:\n        c|re: '('\n    condition: sel and missing\n";
    let got = located(yaml);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got[0].starts_with("4:11: unknown modifier `foo`"));
    assert!(got[1].starts_with("5:11: unknown modifier `bar`"));
    assert!(got[2].starts_with("7:15: invalid regex"));
    assert!(got[3].starts_with("8:24: unknown selection `missing`"));
}

#[test]
fn multi_document_files() {
    let yaml = format!(
        "{}---\n{}---\n{}",
        rule("sel:\n  a: x\ncondition: sel").replace("id: test", "id: one"),
        rule("sel:\n  a: x\ncondition: sel").replace("id: test", "id: two"),
        rule("sel:\n  a|nope: x\ncondition: sel").replace("id: test", "id: three"),
    );
    // Documents are 6 lines each plus `---`: the third starts on line 15.
    one(&yaml, "19:9: unknown modifier `nope`");
    let good = yaml.replace("a|nope", "a");
    let set = compile(&good).unwrap();
    let ids: Vec<_> = set
        .rules()
        .iter()
        .map(|r| (r.info.id.as_str(), r.source.line))
        .collect();
    assert_eq!(ids, [("one", 1), ("two", 8), ("three", 15)]);
    // Rules without an id are named after the file.
    let anon = format!(
        "title: a\n{}---\ntitle: b\n{}",
        "detection: {s: {a: x}, condition: s}\n", "detection: {s: {a: x}, condition: s}\n"
    );
    let set = compile(&anon).unwrap();
    let ids: Vec<_> = set.rules().iter().map(|r| r.info.id.as_str()).collect();
    assert_eq!(ids, ["test", "test#2"]);
}

#[test]
fn duplicate_ids_are_rejected() {
    let yaml = format!(
        "{}---\n{}",
        rule("sel:\n  a: x\ncondition: sel"),
        rule("sel:\n  a: y\ncondition: sel")
    );
    one(
        &yaml,
        "8:1: duplicate rule id `test` (first defined at test.yml:1)",
    );
}

#[test]
fn directories_report_every_error_and_load_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("a_good.yml"),
        rule("sel:\n  a: x\ncondition: sel").replace("id: test", "id: good"),
    )
    .unwrap();
    std::fs::write(dir.path().join("b_bad.yaml"), with_key("a|foo", "sel")).unwrap();
    std::fs::write(sub.join("c_bad.yml"), with_key("a", "sel and")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let errs = check(&[dir.path().to_path_buf()]);
    let shown: Vec<_> = errs
        .iter()
        .map(|e| {
            e.to_string()
                .replace(&dir.path().display().to_string(), "D")
        })
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown[0].starts_with("D/b_bad.yaml:5:11: unknown modifier `foo`"),
        "{shown:?}"
    );
    assert!(
        shown[1].starts_with("D/sub/c_bad.yml:6:23: expected a selection name"),
        "{shown:?}"
    );
    assert!(RuleSet::load(&[dir.path().to_path_buf()], false).is_err());
    let good = RuleSet::load(&[dir.path().join("a_good.yml")], false).unwrap();
    assert_eq!(good.rules()[0].info.id, "good");
    // A missing path is an error too, not a silent empty set.
    let missing = check(&[dir.path().join("nope")]);
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0].message.starts_with("cannot read rules"),
        "{}",
        missing[0]
    );
    // A file named explicitly is read whatever its extension.
    let errs = check(&[dir.path().join("notes.txt")]);
    assert!(errs[0].message.contains("invalid rule YAML"), "{}", errs[0]);
}
