//! picket never writes the raw PI it finds (SPEC §4): replay a log full of
//! planted values and search every byte picket writes — alerts, summary,
//! metrics, state — for them.

use picket::generate::{Generator, GeneratorConfig, PlantKind};
use std::process::Command;

#[test]
fn planted_values_never_reach_any_output() {
    let d = tempfile::tempdir().unwrap();
    let cfg = GeneratorConfig {
        seed: 7,
        pi_rate: 0.25,
        lookalike_rate: 0.05,
        ..GeneratorConfig::default()
    };
    let mut g = Generator::new(cfg);
    let mut log = Vec::new();
    g.write_bytes(&mut log, 600_000).unwrap();
    let log_path = d.path().join("access.log");
    std::fs::write(&log_path, &log).unwrap();
    // Client addresses are the entity of alerts by design (SPEC §4 scans
    // IPs inside URLs, not the client field); skip planted IPs that the
    // generator also used as a client.
    let clients: std::collections::HashSet<&[u8]> = log
        .split(|b| *b == b'\n')
        .filter_map(|l| l.split(|b| *b == b' ').next())
        .collect();
    let values: Vec<String> = g
        .planted()
        .iter()
        .filter(|p| p.kind == PlantKind::Pi)
        // A special-category path word (`/patients/1/diagnosis`) names the
        // kind of data; the word itself is not the person's data.
        .filter(|p| !(p.category == "special_category" && p.key.is_none()))
        .filter_map(|p| p.value.clone())
        .filter(|v| v.len() >= 6 && !clients.contains(v.as_bytes()))
        .collect();
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
