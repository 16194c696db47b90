//! Issue 9: the Prometheus rules in `deploy/prometheus/` pass
//! `promtool check rules` and their unit tests (`promtool test rules`).
//! promtool comes from Debian's `prometheus` package (`.ci/run` installs
//! it); without it the tests say SKIPPED.

use std::path::Path;
use std::process::{Command, Stdio};

fn promtool(args: &[&str]) -> Option<(bool, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus");
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

fn skipped(what: &str) {
    eprintln!("SKIPPED: {what}: promtool not found (apt-get install prometheus)");
    println!("SKIPPED: {what}: promtool not found (apt-get install prometheus)");
}

#[test]
fn rules_pass_promtool_check() {
    let Some((ok, text)) = promtool(&["check", "rules", "picket-rules.yml"]) else {
        return skipped("promtool check rules");
    };
    assert!(ok, "promtool check rules failed:\n{text}");
    assert!(text.contains("SUCCESS"), "{text}");
}

#[test]
fn rules_pass_their_unit_tests() {
    let Some((ok, text)) = promtool(&["test", "rules", "picket-rules.test.yml"]) else {
        return skipped("promtool test rules");
    };
    assert!(ok, "promtool test rules failed:\n{text}");
}
