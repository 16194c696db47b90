//! Every value modifier of the Sigma modifiers appendix (v2.1.0), the rule
//! collection actions, and the taxonomy mappings, table-driven.

use super::{check, compile, event, matches, rule};
use crate::detect::rule::RuleOptions;
use crate::detect::rule::RuleSet;
use crate::event::{Timestamp, Value};
use crate::parse::Format;
use std::path::Path;

type Fields<'a> = Vec<(&'a str, Value<'a>)>;

fn f<'a>(name: &'a str, v: &'a str) -> Fields<'a> {
    vec![(name, Value::str(v))]
}

#[track_caller]
fn table(detection: &str, cases: Vec<(Fields<'_>, bool)>) {
    for (fields, expect) in cases {
        check(detection, &fields, expect);
    }
}

#[test]
fn base64_and_base64offset() {
    // `echo picket` base64-encoded is ZWNobyBwaWNrZXQ=.
    table(
        "sel:\n  cmd|base64: 'echo picket'\ncondition: sel",
        vec![
            (f("cmd", "ZWNobyBwaWNrZXQ="), true),
            (f("cmd", "zwnobybwawnrzxq="), true), // case-insensitive by default
            (f("cmd", "ZWNobyBwaWNrZXQ"), false),
        ],
    );
    table(
        "sel:\n  cmd|base64|cased: 'echo picket'\ncondition: sel",
        vec![(f("cmd", "zwnobybwawnrzxq="), false)],
    );
    // `/bin/sh` somewhere inside base64 text, at each of the three offsets.
    let det = "sel:\n  cmd|base64offset|contains: /bin/sh\ncondition: sel";
    for (plain, expect) in [
        ("exec /bin/sh -i", true),
        ("x/bin/sh", true),
        ("xy/bin/sh;", true),
        ("/bin/bash", false),
    ] {
        let enc = crate::detect::rule::transform::base64(plain.as_bytes());
        check(det, &f("cmd", &enc), expect);
    }
    // Without `contains`, base64offset still searches inside the field.
    let enc = crate::detect::rule::transform::base64(b"run /bin/sh now");
    check(
        "sel:\n  cmd|base64offset: /bin/sh\ncondition: sel",
        &f("cmd", &enc),
        true,
    );
}

#[test]
fn utf16_encodings() {
    // PowerShell's -EncodedCommand is base64 of UTF-16LE text.
    let enc = crate::detect::rule::transform::base64(
        &"Invoke-Mimikatz -x"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    for m in ["wide", "utf16le"] {
        check(
            &format!("sel:\n  cmd|{m}|base64offset|contains: Mimikatz\ncondition: sel"),
            &f("cmd", &enc),
            true,
        );
    }
    // ASCII in UTF-16BE is UTF-16LE shifted by one byte, so it is found too.
    check(
        "sel:\n  cmd|utf16be|base64offset|contains: Mimikatz\ncondition: sel",
        &f("cmd", &enc),
        true,
    );
    check(
        "sel:\n  cmd|wide|base64offset|contains: Rubeus\ncondition: sel",
        &f("cmd", &enc),
        false,
    );
    // Alone, UTF-16 compares bytes with text: only text with NULs matches.
    table(
        "sel:\n  cmd|wide: ab\ncondition: sel",
        vec![(f("cmd", "a\0b\0"), true), (f("cmd", "ab"), false)],
    );
    // `utf16` adds a byte-order mark, which is not UTF-8: never matches.
    table(
        "sel:\n  cmd|utf16: ab\ncondition: sel",
        vec![(f("cmd", "\u{feff}ab"), false), (f("cmd", "ab"), false)],
    );
}

#[test]
fn windash() {
    table(
        "sel:\n  cmd|windash|contains: ' -enc '\ncondition: sel",
        vec![
            (f("cmd", "powershell -enc AAA"), true),
            (f("cmd", "powershell /enc AAA"), true),
            (f("cmd", "powershell \u{2013}enc AAA"), true),
            (f("cmd", "powershell \u{2014}enc AAA"), true),
            (f("cmd", "powershell \u{2015}enc AAA"), true),
            (f("cmd", "powershell +enc AAA"), false),
        ],
    );
}

#[test]
fn cidr() {
    table(
        "sel:\n  source.ip|cidr:\n    - 10.0.0.0/8\n    - '2001:db8::/32'\n    - 192.168.1.7\ncondition: sel",
        vec![
            (f("source.ip", "10.1.2.3"), true),
            (f("source.ip", "11.1.2.3"), false),
            (f("source.ip", "2001:db8:1::5"), true),
            (f("source.ip", "2001:db9::5"), false),
            (f("source.ip", "::ffff:10.9.9.9"), true),
            (f("source.ip", "192.168.1.7"), true),
            (f("source.ip", "192.168.1.8"), false),
            (f("source.ip", "not an ip"), false),
            (vec![], false),
        ],
    );
    table(
        "sel:\n  source.ip|cidr: 172.16.0.0/12\ncondition: sel",
        vec![
            (f("source.ip", "172.31.255.255"), true),
            (f("source.ip", "172.32.0.0"), false),
        ],
    );
}

#[test]
fn numeric_comparisons() {
    let status = |v: Value<'static>| vec![("http.response.status_code", v)];
    for (m, v, expect) in [
        ("gt", 499, true),
        ("gt", 500, false),
        ("gte", 500, true),
        ("lt", 501, true),
        ("lt", 500, false),
        ("lte", 500, true),
    ] {
        let det = format!("sel:\n  http.response.status_code|{m}: {v}\ncondition: sel");
        check(&det, &status(Value::Int(500)), expect);
        check(&det, &status(Value::str(" 500")), expect);
    }
    check(
        "sel:\n  bytes|gte: 1.5e3\ncondition: sel",
        &[("bytes", Value::Float(1500.0))],
        true,
    );
    check(
        "sel:\n  bytes|gt: '10'\ncondition: sel",
        &[("bytes", Value::str("abc"))],
        false,
    );
    check(
        "sel:\n  bytes|lt: 10\ncondition: sel",
        &[("bytes", Value::List(vec!["x".into(), "3".into()]))],
        true,
    );
}

#[test]
fn neq() {
    table(
        "sel:\n  http.request.method|neq:\n    - GET\n    - HEAD\ncondition: sel",
        vec![
            (f("http.request.method", "POST"), true),
            (f("http.request.method", "get"), false),
            (f("http.request.method", "HEAD"), false),
            // Absent: not "different from the value" (RSigma reads it so too).
            (vec![], false),
        ],
    );
    table(
        "sel:\n  user.name|neq: null\ncondition: sel",
        vec![(f("user.name", "x"), true), (vec![], false)],
    );
}

#[test]
fn fieldref() {
    let both = |a: &'static str, b: &'static str| {
        vec![("user.name", Value::str(a)), ("db.name", Value::str(b))]
    };
    table(
        "sel:\n  user.name|fieldref: db.name\ncondition: sel",
        vec![
            (both("acme", "acme"), true),
            (both("ACME", "acme"), true),
            (both("acme", "acme_x"), false),
            (vec![("user.name", Value::str("acme"))], false),
        ],
    );
    table(
        "sel:\n  db.name|fieldref|startswith: user.name\ncondition: sel",
        vec![
            (both("acme", "acme_orders"), true),
            (both("acme", "orders"), false),
        ],
    );
    table(
        "sel:\n  db.name|fieldref|contains|cased: user.name\ncondition: sel",
        vec![
            (both("cme", "acme_x"), true),
            (both("CME", "acme_x"), false),
        ],
    );
}

#[test]
fn expand_placeholders_from_config() {
    let mut options = RuleOptions::default();
    options
        .placeholders
        .insert("Admins".into(), vec!["root".into(), "adm-*".into()]);
    let yaml = rule("sel:\n  user.name|expand: '%Admins%'\ncondition: sel");
    let set = RuleSet::from_yaml_with(Path::new("t.yml"), &yaml, &options).unwrap();
    for (user, expect) in [("root", true), ("adm-7", true), ("bob", false)] {
        let ev = event(Format::Json, &[("user.name", Value::str(user))]);
        assert_eq!(matches(&set, &ev), expect, "{user}");
    }
    // Without the placeholder defined, the rule is rejected (Sigma: "If the
    // tool isn't able to handle placeholders, it must reject the rule").
    assert!(compile(&yaml).is_err());
}

#[test]
fn time_parts() {
    let at = |h: i64| {
        let mut ev = event(Format::Json, &[]);
        ev.timestamp = Some(Timestamp::from_unix(1_772_409_600 + h * 3600, 0)); // 2026-03-02T00:00Z
        ev
    };
    let set = compile(&rule("sel:\n  '@timestamp|hour': 3\ncondition: sel")).unwrap();
    assert!(matches(&set, &at(3)));
    assert!(!matches(&set, &at(4)));
    for (m, want) in [
        ("minute", 0),
        ("day", 2),
        ("month", 3),
        ("year", 2026),
        ("week", 10),
    ] {
        let set = compile(&rule(&format!("sel:\n  when|{m}: {want}\ncondition: sel"))).unwrap();
        let ev = event(
            Format::Json,
            &[("when", Value::str("2026-03-02T08:00:01Z"))],
        );
        assert!(matches(&set, &ev), "{m}");
    }
}

#[test]
fn collections_global_reset_repeat() {
    let yaml = "\
action: global
title: web probe
logsource: {category: webserver}
detection:
    sel:
        cs-method: GET
    condition: sel
---
id: probe-a
detection:
    sel:
        cs-uri-stem: /a
---
action: repeat
id: probe-b
detection:
    sel:
        cs-uri-stem: /b
---
action: reset
---
title: other
id: other
detection:
    sel:
        url.path: /c
    condition: sel
";
    let set = RuleSet::from_yaml(Path::new("c.yml"), yaml).unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = set.rules().iter().map(|r| r.info.id.as_str()).collect();
    assert_eq!(ids, ["probe-a", "probe-b", "other"]);
    assert!(set.rules()[0].applies_to(Format::Combined));
    assert!(set.rules()[2].logsource().category.is_none());
    let hits = |method: &'static str, p: &'static str| {
        let ev = event(
            Format::Combined,
            &[
                ("http.request.method", Value::str(method)),
                ("url.path", Value::str(p)),
            ],
        );
        let mut h = Vec::new();
        set.evaluate(&ev, &mut set.new_scratch(), &mut h);
        h
    };
    assert_eq!(hits("GET", "/a"), [0]);
    assert_eq!(hits("POST", "/a"), Vec::<usize>::new());
    assert_eq!(hits("GET", "/b"), [1], "repeat keeps the global's method");
    assert_eq!(hits("POST", "/c"), [2], "reset dropped the global");
}

#[test]
fn taxonomies_per_logsource() {
    let cases: [(&str, &str, Fields<'_>, bool); 8] = [
        (
            "category: proxy",
            "c-uri|contains: /wp-admin",
            f("url.original", "/x/wp-admin/"),
            true,
        ),
        (
            "category: proxy",
            "c-useragent: curl/8",
            f("user_agent.original", "curl/8"),
            true,
        ),
        (
            "product: linux\n  service: auditd",
            "type: EXECVE",
            f("auditd.type", "EXECVE"),
            true,
        ),
        (
            "product: linux\n  service: auditd",
            "exe|endswith: /nc",
            f("process.executable", "/usr/bin/nc"),
            true,
        ),
        (
            "product: kubernetes\n  service: audit",
            "objectRef.resource: secrets",
            f("kubernetes.audit.objectRef.resource", "secrets"),
            true,
        ),
        (
            "product: aws\n  service: cloudtrail",
            "eventName: ConsoleLogin",
            f("event.action", "ConsoleLogin"),
            true,
        ),
        (
            "product: aws\n  service: cloudtrail",
            "requestParameters.userName: bob",
            f("cloudtrail.request_parameters.userName", "bob"),
            true,
        ),
        // The raw Sigma name, as a JSON event would carry it.
        (
            "product: aws\n  service: cloudtrail",
            "eventSource: iam.amazonaws.com",
            f("eventSource", "iam.amazonaws.com"),
            true,
        ),
    ];
    for (ls, sel, fields, expect) in cases {
        let yaml = format!(
            "title: t\nid: t\nlogsource:\n  {ls}\ndetection:\n  sel:\n    {sel}\n  condition: sel\n"
        );
        let set = compile(&yaml).unwrap_or_else(|e| panic!("{yaml}\n{e:?}"));
        let ev = event(Format::Json, &fields);
        assert_eq!(matches(&set, &ev), expect, "{yaml}");
        // Never on a format the logsource does not name.
        if !ls.contains("proxy") {
            let ev = event(Format::Combined, &fields);
            assert!(!matches(&set, &ev), "{yaml} on combined");
        }
    }
}

#[test]
fn mapped_names_read_the_first_present_field() {
    // `cs-uri-query` reads url.original, then the raw name. When both are
    // present, only url.original counts (the search shadows the raw one).
    let yaml = "title: t\nid: t\nlogsource: {category: webserver}\ndetection:\n  sel:\n    cs-uri-query|contains: /etc/passwd\n  kw:\n    - 'sqlmap'\n  condition: sel or kw\n";
    let set = compile(yaml).unwrap();
    let ev = |orig: Option<&'static str>, raw: Option<&'static str>| {
        let mut f: Vec<(&str, Value<'static>)> = Vec::new();
        if let Some(o) = orig {
            f.push(("url.original", Value::str(o)));
        }
        if let Some(r) = raw {
            f.push(("cs-uri-query", Value::str(r)));
        }
        event(Format::Json, &f)
    };
    assert!(matches(&set, &ev(Some("/x?f=/etc/passwd"), None)));
    assert!(matches(&set, &ev(None, Some("/x?f=/ETC/passwd"))));
    assert!(
        !matches(&set, &ev(Some("/x"), Some("/etc/passwd"))),
        "shadowed"
    );
    assert!(
        matches(&set, &ev(Some("/x"), Some("sqlmap/1.7"))),
        "keywords search every field"
    );
    // A literal never matches across two fields' texts.
    let both = event(
        Format::Json,
        &[
            ("url.original", Value::str("/etc/pa")),
            ("user.name", Value::str("sswd")),
        ],
    );
    assert!(!matches(&set, &both));
}
