//! picket never writes the raw PI it finds (SPEC §4): replay a log full of
//! planted values and search every byte picket writes — alerts, summary,
//! metrics, state — for them.

mod common;

use std::process::Command;

#[test]
fn planted_values_never_reach_any_output() {
    let d = tempfile::tempdir().unwrap();
    let (log_path, values) = common::planted_pi_log(d.path(), 7, 600_000);
    let log = std::fs::read(&log_path).unwrap();
    assert!(
        values.len() > 300,
        "enough planted values: {}",
        values.len()
    );

    let state = d.path().join("state");
    let alerts = d.path().join("alerts.jsonl");
    let metrics = d.path().join("metrics.prom");
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--state"])
        .arg(&state)
        .arg("--alerts")
        .arg(&alerts)
        .arg("--metrics-out")
        .arg(&metrics)
        .arg(&log_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut written: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), out.stdout.clone()),
        ("stderr".into(), out.stderr.clone()),
        ("alerts".into(), std::fs::read(&alerts).unwrap()),
        ("metrics".into(), std::fs::read(&metrics).unwrap()),
    ];
    for e in std::fs::read_dir(&state).unwrap() {
        let p = e.unwrap().path();
        written.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    // The learned baselines are among the state files searched, and they
    // hold fingerprints, not the user names they are keyed by.
    let baselines = std::fs::read_to_string(state.join("baselines.json")).unwrap();
    assert!(baselines.contains("\"entities\":[{"), "baselines learned");
    for user in log
        .split(|b| *b == b'\n')
        .filter_map(|l| l.split(|b| *b == b' ').nth(2))
        .filter(|u| u.len() >= 4)
        .take(200)
    {
        let user = String::from_utf8_lossy(user);
        assert!(!baselines.contains(&*user), "user {user} in baselines.json");
    }
    let alert_text = String::from_utf8_lossy(&written[2].1).to_string();
    let pi_alerts = alert_text
        .lines()
        .filter(|l| l.contains("\"pi\":["))
        .count();
    assert!(pi_alerts > 100, "PI alerts were raised: {pi_alerts}");

    for v in &values {
        // The value itself and its digits-only / lower-case normal forms.
        let digits: String = v.chars().filter(char::is_ascii_alphanumeric).collect();
        let mut needles = vec![v.clone(), v.to_lowercase()];
        if digits.len() >= 8 {
            needles.push(digits);
        }
        for (name, bytes) in &written {
            let text = String::from_utf8_lossy(bytes);
            for n in &needles {
                if let Some(at) = text.find(n.as_str()) {
                    let ctx = text
                        .get(at.saturating_sub(150)..(at + n.len() + 50).min(text.len()))
                        .unwrap_or("");
                    panic!("a planted PI value ({v}) appears in {name}: …{ctx}…");
                }
            }
        }
    }
}
