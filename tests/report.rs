//! `picket replay --report FILE.html` (issue 9): the page for `samples/`
//! has every section, is well-formed, loads nothing from the network,
//! never shows a raw PI value, and escapes whatever came from the logs.

mod common;

use std::path::Path;
use std::process::Command;

/// Runs `picket replay --report` and returns the page.
fn report(args: &[&Path], dir: &Path) -> String {
    let out_path = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--quiet", "--alerts"])
        .arg(dir.join("alerts.jsonl"))
        .arg("--report")
        .arg(&out_path)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&out_path).unwrap()
}

const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "wbr"];

/// Checks that every element is closed in order (a small well-formedness
/// check: no HTML parser in the dependencies), and returns the tag names
/// seen.
fn check_balanced(html: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    while let Some((_, after)) = rest.split_once('<') {
        let (tag, after) = after.split_once('>').expect("unterminated tag");
        rest = after;
        if tag.starts_with('!') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(!name.is_empty(), "bad tag <{tag}>");
        if closing {
            let open = stack.pop().unwrap_or_default();
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !(tag.ends_with('/') || VOID.contains(&name.as_str())) {
            stack.push(name.clone());
        }
        seen.push(name);
        if stack.last().is_some_and(|t| t == "style") {
            // Skip the CSS to its end tag.
            let (_, after) = rest.split_once("</style>").expect("style closed");
            rest = after;
            stack.pop();
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    seen
}

/// What every report must satisfy.
fn check_page(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    let tags = check_balanced(html);
    for t in ["script", "link", "img", "iframe", "object", "embed", "a"] {
        assert!(!tags.iter().any(|x| x == t), "a <{t}> element");
    }
    for needle in [
        "http://", "https://", "//", "url(", "src=", "href=", "@import",
    ] {
        if needle == "//" {
            // Only allowed inside text, never as a protocol-relative URL.
            assert!(!html.contains("\"//"), "protocol-relative URL");
            continue;
        }
        assert!(!html.contains(needle), "the page refers to {needle}");
    }
    for id in ["summary", "timeline", "rules", "pi", "entities", "errors"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "missing section {id}"
        );
    }
}

#[test]
fn samples_report_has_every_section() {
    let d = tempfile::tempdir().unwrap();
    let html = report(&[Path::new("samples")], d.path());
    check_page(&html);
    // The summary names the inputs; the timeline is an inline SVG with bars.
    assert!(html.contains("samples/access-nginx.log"));
    assert!(html.contains("samples/couchdb-proxy.log.gz"));
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.matches("<rect ").count() > 10, "timeline bars");
    // Rules seen in the samples, with their entities.
    for rule in [
        "bulk-read-document-database",
        "pi-in-document-id",
        "pi-in-url-path",
    ] {
        assert!(html.contains(rule), "rule {rule}");
    }
    assert!(html.contains("source.ip="), "entities listed");
    // PI by category and field, with masked previews only.
    for c in ["email", "credit_card", "iban", "secret"] {
        assert!(html.contains(&format!("<code>{c}</code>")), "category {c}");
    }
    assert!(html.contains("<code class=\"ex\">"), "masked examples");
    // Suppressed repeats per rule add up to the run's total.
    let card = |label: &str| -> u64 {
        let (before, _) = html
            .split_once(&format!("</b><span>{label}</span>"))
            .unwrap();
        before
            .rsplit("<b>")
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    let (_, rules) = html.split_once("<section id=\"rules\">").unwrap();
    let (rules, _) = rules.split_once("</section>").unwrap();
    let per_rule: u64 = rules
        .split("</td><td class=\"barcell\">")
        .filter_map(|chunk| chunk.rsplit("<td class=\"n\">").next()?.parse::<u64>().ok())
        .sum();
    assert!(card("suppressed repeats") > 0);
    assert_eq!(per_rule, card("suppressed repeats"), "suppressed per rule");
    // Every alert is in the report: the count matches the alerts file.
    let alerts = std::fs::read_to_string(d.path().join("alerts.jsonl")).unwrap();
    let n = alerts.lines().count();
    assert!(n > 50);
    assert!(
        html.contains(&format!("<b>{n}</b><span>alerts</span>")),
        "{n} alerts"
    );
}

#[test]
fn planted_pi_never_reaches_the_report() {
    let d = tempfile::tempdir().unwrap();
    let (log_path, values) = common::planted_pi_log(d.path(), 9, 300_000);
    assert!(values.len() > 100, "planted values: {}", values.len());
    let html = report(&[&log_path], d.path());
    check_page(&html);
    assert!(
        html.contains("<code class=\"ex\">"),
        "masked examples shown"
    );
    for v in &values {
        let digits: String = v.chars().filter(char::is_ascii_alphanumeric).collect();
        let mut needles = vec![v.clone(), v.to_lowercase(), picket::report::esc(v)];
        if digits.len() >= 8 {
            needles.push(digits);
        }
        for n in &needles {
            assert!(
                !html.contains(n.as_str()),
                "a planted PI value ({v}) appears in the report"
            );
        }
    }
}

#[test]
fn markup_from_the_logs_is_escaped() {
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("in");
    std::fs::create_dir(&logs).unwrap();
    // A file name and a user name that are markup; a PI finding so that a
    // rule fires with the user as entity; a malformed line so that the
    // file name appears among the parse errors too.
    let evil = "<svg onload=alert(1)>.log";
    let mut text = String::new();
    for i in 0..5 {
        text.push_str(&format!(
            "203.0.113.{i} - <script>alert(1)</script> [02/Mar/2026:08:00:0{i} +0000] \
             \"GET /users/jane.doe{i}@example.com/profile HTTP/1.1\" 200 12 \"-\" \"<b>ua</b>\"\n"
        ));
    }
    text.push_str("this is not a log line <i>at all</i>\n");
    std::fs::write(logs.join(evil), text).unwrap();
    let html = report(&[&logs], d.path());
    check_page(&html);
    assert!(!html.contains("<script>"), "raw <script> in the report");
    assert!(!html.contains("<svg onload"), "raw file name in the report");
    assert!(!html.contains("<i>at all"), "a malformed line is shown");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the entity is shown, escaped"
    );
    assert!(
        html.contains("&lt;svg onload=alert(1)&gt;.log"),
        "the input is shown, escaped"
    );
    assert!(html.contains("pi-in-document-id"));
    assert!(!html.contains("jane.doe0@example.com"));
}

#[test]
fn report_without_alerts_still_renders() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("quiet.log");
    std::fs::write(
        &log,
        "192.0.2.1 - - [02/Mar/2026:08:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 5 \"-\" \"t\"\n",
    )
    .unwrap();
    let html = report(&[&log], d.path());
    check_page(&html);
    assert!(html.contains("No alert with a timestamp."));
    assert!(html.contains("Every line parsed."));
}
