//! SIGHUP: a broken configuration or rule file keeps the old one running,
//! says so in the log and in `picket_config_reload_failures_total`; a good
//! one is applied. Also: SIGTERM exits 0 with a final checkpoint, and a
//! restart reads nothing twice.

#[path = "daemon_support/mod.rs"]
mod common;

use common::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn config(dir: &Path, sources: &[&str], extra: &str) -> String {
    let mut s = String::new();
    for name in sources {
        s += &format!(
            "[[sources]]\nname = \"{name}\"\npath = \"{}/{name}.log\"\nformat = \"combined\"\n\n",
            dir.join("logs").display()
        );
    }
    s + &format!(
        "[state]\ndir = \"{}/state\"\ncheckpoint_interval = \"100ms\"\n[metrics]\nlisten = \"127.0.0.1:0\"\n[privacy]\nfingerprint_key = \"test\"\n[tail]\npoll_interval = \"100ms\"\n[[sinks]]\ntype = \"file\"\npath = \"{}/alerts.jsonl\"\n{extra}",
        dir.display(),
        dir.display()
    )
}

fn append(dir: &Path, name: &str, from: u64, n: u64) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("logs").join(format!("{name}.log")))
        .unwrap();
    let s: String = (from..from + n).map(line).collect();
    f.write_all(s.as_bytes()).unwrap();
}

fn lines(d: &Daemon, source: &str) -> f64 {
    d.metric(&format!("picket_lines_total{{source=\"{source}\"}}"))
        .unwrap_or(0.0)
}

fn reload(d: &Daemon, expect: &str) {
    let before = d.log().matches(expect).count();
    d.signal("HUP");
    wait_for(expect, Duration::from_secs(20), || {
        d.log().matches(expect).count() > before
    });
}

#[test]
fn sighup_keeps_a_broken_config_and_applies_a_good_one() {
    let td = tempdir();
    let dir = td.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let cfg = dir.join("picket.toml");
    std::fs::write(&cfg, config(dir, &["a"], "")).unwrap();
    append(dir, "a", 1, 100);
    let d = Daemon::start(&cfg, &[]);
    wait_for("a read", Duration::from_secs(20), || {
        lines(&d, "a") == 100.0
    });

    // Broken: an unknown key. The old configuration keeps running.
    std::fs::write(&cfg, config(dir, &["a", "b"], "[tail]\nbogus = 1\n")).unwrap();
    reload(&d, "reload failed");
    let log = d.log();
    assert!(
        log.contains("picket.toml:"),
        "the error names the file and place:\n{log}"
    );
    assert_eq!(d.metric("picket_config_reload_failures_total"), Some(1.0));
    assert_eq!(d.metric("picket_config_last_reload_successful"), Some(0.0));
    append(dir, "a", 101, 50);
    append(dir, "b", 1, 10);
    wait_for("a still tailed", Duration::from_secs(20), || {
        lines(&d, "a") == 150.0
    });
    assert_eq!(
        lines(&d, "b"),
        0.0,
        "the broken config's new source is not used"
    );

    // Good: source b is added.
    std::fs::write(&cfg, config(dir, &["a", "b"], "")).unwrap();
    reload(&d, "reloaded:");
    assert_eq!(d.metric("picket_config_reloads_total"), Some(1.0));
    assert_eq!(d.metric("picket_config_last_reload_successful"), Some(1.0));
    wait_for("b tailed", Duration::from_secs(20), || {
        lines(&d, "b") == 10.0
    });
    append(dir, "a", 151, 5);
    wait_for("a still tailed", Duration::from_secs(20), || {
        lines(&d, "a") == 155.0
    });
    assert_eq!(d.get("/healthz").0, 200);

    // A clean stop checkpoints everything: a restart reads nothing again.
    let log = d.stop();
    assert!(log.contains("stopped"), "{log}");
    // The learned baselines were saved in state.dir, and are loaded again.
    let saved = std::fs::read_to_string(dir.join("state/baselines.json")).unwrap();
    assert!(saved.contains("\"entities\":[{"), "{saved}");
    let d = Daemon::start(&cfg, &[]);
    wait_for("baselines loaded", Duration::from_secs(20), || {
        d.log().contains("baseline entities loaded")
    });
    append(dir, "b", 11, 3);
    wait_for("b's new lines", Duration::from_secs(20), || {
        lines(&d, "b") == 3.0
    });
    assert_eq!(lines(&d, "a"), 0.0, "nothing of a read twice");
    d.stop();
}

#[test]
fn sighup_keeps_the_old_rules_when_a_rule_file_breaks() {
    let td = tempdir();
    let dir = td.path();
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let rule = dir.join("rules.yml");
    std::fs::write(&rule, EVERY_LINE_RULE).unwrap();
    let broken = "title: broken\nid: broken\ndetection:\n  sel:\n    url.path|nosuchmodifier: x\n  condition: sel and nothing\n";
    let check = dir.join("broken.yml");
    std::fs::write(&check, broken).unwrap();
    let rejects = !Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["rules", "check"])
        .arg(&check)
        .output()
        .unwrap()
        .status
        .success();
    assert!(rejects, "`picket rules check` rejects the broken rule");
    require_alerts(dir);
    let cfg = dir.join("picket.toml");
    std::fs::write(
        &cfg,
        config(dir, &["a"], "[alerts]\nsuppress_window = \"0s\"\n"),
    )
    .unwrap();
    let d = Daemon::start(
        &cfg,
        &["--no-default-rules", "--rules", rule.to_str().unwrap()],
    );
    assert_eq!(d.metric("picket_rules_loaded"), Some(1.0));
    std::fs::write(&rule, broken).unwrap();
    reload(&d, "reload failed");
    // FILE:LINE:COL of both mistakes (the modifier, the condition).
    for place in ["rules.yml:5:14:", "rules.yml:6:22:"] {
        assert!(
            d.log().contains(place),
            "the rule error says {place}:\n{}",
            d.log()
        );
    }
    assert_eq!(d.metric("picket_config_reload_failures_total"), Some(1.0));
    assert_eq!(d.metric("picket_config_last_reload_successful"), Some(0.0));
    assert_eq!(d.metric("picket_rules_loaded"), Some(1.0), "old rules kept");
    // The old rule still alerts.
    append(dir, "a", 1, 5);
    wait_for("alerts from the old rule", Duration::from_secs(20), || {
        std::fs::read_to_string(dir.join("alerts.jsonl")).is_ok_and(|s| s.lines().count() == 5)
    });
    // A good file is applied.
    let two = format!(
        "{EVERY_LINE_RULE}---\n{}",
        EVERY_LINE_RULE.replace("daemon-test-every-line", "second")
    );
    std::fs::write(&rule, two).unwrap();
    reload(&d, "reloaded:");
    assert_eq!(d.metric("picket_rules_loaded"), Some(2.0));
    assert_eq!(d.metric("picket_config_last_reload_successful"), Some(1.0));
    // Both rules now alert on each new line.
    append(dir, "a", 6, 1);
    wait_for("alerts from both rules", Duration::from_secs(20), || {
        std::fs::read_to_string(dir.join("alerts.jsonl")).is_ok_and(|s| s.lines().count() == 7)
    });
    d.stop();
}
