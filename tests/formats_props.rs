//! Property tests of the line-based parsers: no input makes them panic, and
//! generated lines of each format parse back to the values they were built
//! from.

mod support;

use picket::event::{Event, Origin};
use picket::parse::{Format, LineParser, parser_for};
use proptest::prelude::*;
use support::*;

/// The formats of this work.
const FORMATS: &[Format] = &[
    Format::Couchdb,
    Format::Json,
    Format::Cadf,
    Format::Cloudtrail,
    Format::K8sAudit,
    Format::Syslog,
];

fn parsers() -> Vec<Box<dyn LineParser>> {
    FORMATS.iter().map(|f| parser_for(*f).unwrap()).collect()
}

/// Runs every parser on `line` through both entry points; only panics matter.
fn run_all(parsers: &[Box<dyn LineParser>], line: &[u8]) {
    for p in parsers {
        let mut ev = Event::new(p.format(), Origin::default());
        let _ = p.parse(line, &mut ev);
        let _ = p.parse_multi(line, Origin::default(), &mut |ev| {
            // Rendering walks every field: it must not panic either.
            let _ = picket::event::event_to_json(&ev, "x");
        });
    }
}

/// Valid lines of every format, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for f in [
        "picket/couchdb.log",
        "picket/nginx.json.log",
        "picket/caddy.json.log",
        "picket/cadf-cloudant.jsonl",
        "picket/cloudtrail-records.json",
        "picket/k8s-audit.jsonl",
        "picket/k8s-audit-gke.jsonl",
        "picket/k8s-audit-aks.jsonl",
        "picket/syslog-rfc3164.log",
        "picket/syslog-rfc5424.log",
        "picket/syslog-couchdb.log",
    ] {
        let data = std::fs::read(fixture(f)).unwrap();
        out.extend(
            data.split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop::collection::vec(
                prop::sample::select(b"{}[]\":,\\ <>0123456789-.%\x00\xff\xc3".to_vec()),
                1..8
            )
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Mutation::Remove(i, n)),
    ]
}

fn apply(line: &mut Vec<u8>, m: &Mutation) {
    let n = line.len().max(1);
    match m {
        Mutation::Truncate(i) => line.truncate(i % n),
        Mutation::Flip(i, b) => {
            if !line.is_empty() {
                line[i % n] = *b;
            }
        }
        Mutation::Insert(i, v) => {
            let at = i % (line.len() + 1);
            line.splice(at..at, v.iter().copied());
        }
        Mutation::Remove(i, len) => {
            let at = i % n;
            let end = (at + len).min(line.len());
            if at < end {
                line.drain(at..end);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(line in prop::collection::vec(any::<u8>(), 0..600)) {
        run_all(&parsers(), &line);
    }

    #[test]
    fn mutated_valid_lines_never_panic(seed in any::<prop::sample::Index>(), muts in prop::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let mut line = seed.get(&seeds).clone();
        for m in &muts {
            apply(&mut line, m);
        }
        run_all(&parsers(), &line);
    }

    #[test]
    fn couchdb_lines_round_trip(
        level in "[a-z]{1,9}",
        secs in 0i64..4_000_000_000,
        micros in 0u32..1_000_000,
        node in "[a-z]{1,8}@[a-z0-9.]{1,12}",
        nonce in "[0-9a-f]{10}",
        ip in any::<[u8; 4]>(),
        user in prop::option::of("[A-Za-z0-9_-]{1,12}"),
        method in "(GET|PUT|POST|DELETE|HEAD|COPY)",
        db in "[a-z][a-z0-9_]{0,15}",
        doc in prop::option::of("[A-Za-z0-9_.-]{1,20}"),
        query in prop::option::of("[a-z]{1,5}=[a-z0-9]{1,5}"),
        code in 100i64..600,
        ms in 0i64..10_000_000,
    ) {
        let ts = picket::event::Timestamp::from_unix(secs, micros * 1000);
        let ip = std::net::Ipv4Addr::from(ip).to_string();
        let mut path = format!("/{db}");
        if let Some(d) = &doc {
            path.push('/');
            path.push_str(d);
        }
        if let Some(q) = &query {
            path.push('?');
            path.push_str(q);
        }
        let line = format!(
            "[{level}] {ts} {node} <0.1.0> {nonce} h:5984 {ip} {} {method} {path} {code} ok {ms}",
            user.as_deref().unwrap_or("undefined")
        );
        let ev = parse(Format::Couchdb, line.as_bytes()).unwrap().remove(0);
        prop_assert_eq!(text(&ev, "@timestamp"), Some(ts.to_string()));
        prop_assert_eq!(text(&ev, "source.ip"), Some(ip));
        prop_assert_eq!(text(&ev, "user.name"), user);
        prop_assert_eq!(text(&ev, "db.name"), Some(db));
        let doc_id = doc.filter(|d| !d.starts_with('_'));
        prop_assert_eq!(text(&ev, "db.doc_id"), doc_id);
        prop_assert_eq!(text(&ev, "url.query"), query);
        prop_assert_eq!(text(&ev, "http.response.status_code"), Some(code.to_string()));
        prop_assert_eq!(text(&ev, "event.duration"), Some((ms * 1_000_000).to_string()));
    }

    /// Keys that are no mapping candidate come back as extras with their
    /// values, at their dotted paths, whatever the nesting.
    #[test]
    fn json_leaves_round_trip(
        leaves in prop::collection::btree_map("k_[a-z]{1,6}", "[^\u{0}-\u{1f}]{0,12}", 1..12),
        nest in prop::collection::vec("n_[a-z]{1,4}", 0..3),
    ) {
        let mut obj = serde_json::Value::Object(leaves.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect());
        for n in nest.iter().rev() {
            obj = serde_json::json!({ n.clone(): obj });
        }
        let line = serde_json::to_string(&obj).unwrap();
        let ev = parse(Format::Json, line.as_bytes()).unwrap().remove(0);
        let prefix: String = nest.iter().map(|n| format!("{n}.")).collect();
        for (k, v) in &leaves {
            prop_assert_eq!(text(&ev, &format!("{prefix}{k}")), Some(v.clone()), "{}", line);
        }
    }

    #[test]
    fn syslog_5424_round_trips(
        pri in 0u8..192,
        secs in 0i64..4_000_000_000,
        host in "[a-z][a-z0-9.-]{0,20}",
        app in "[a-z][a-z0-9_-]{0,10}",
        procid in 0u32..100_000,
        msgid in "[A-Z0-9]{1,8}",
        params in prop::collection::btree_map("[a-z]{1,6}", "[ -~]{0,10}", 0..4),
        msg in "[ -~]{0,40}",
    ) {
        let ts = picket::event::Timestamp::from_unix(secs, 0);
        let sd = if params.is_empty() {
            "-".to_owned()
        } else {
            let ps: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace(']', "\\]")))
                .collect();
            format!("[id@1 {}]", ps.join(" "))
        };
        let line = format!("<{pri}>1 {ts} {host} {app} {procid} {msgid} {sd} {msg}");
        let ev = parse(Format::Syslog, line.as_bytes()).unwrap().remove(0);
        prop_assert_eq!(text(&ev, "@timestamp"), Some(ts.to_string()));
        prop_assert_eq!(text(&ev, "log.syslog.priority"), Some(pri.to_string()));
        prop_assert_eq!(text(&ev, "log.syslog.appname"), Some(app));
        prop_assert_eq!(text(&ev, "log.syslog.procid"), Some(procid.to_string()));
        prop_assert_eq!(text(&ev, "log.syslog.msgid"), Some(msgid));
        for (k, v) in &params {
            prop_assert_eq!(text(&ev, &format!("log.syslog.structured_data.id@1.{k}")), Some(v.clone()));
        }
        // The message may happen to be another format's line; when it is
        // kept as text, it is kept whole.
        if text(&ev, "event.dataset").as_deref() == Some("syslog") {
            prop_assert_eq!(text(&ev, "host.name"), Some(host));
            prop_assert_eq!(text(&ev, "message"), Some(msg).filter(|m| !m.is_empty()));
        }
    }

    #[test]
    fn records_files_yield_one_event_per_record(n in 0usize..40, first_key in any::<bool>()) {
        let rec = r#"{"eventVersion":"1.08","eventTime":"2026-03-02T08:00:01Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.9"}"#;
        let records = vec![rec; n].join(",");
        let line = if first_key {
            format!(r#"{{"Records":[{records}]}}"#)
        } else {
            format!(r#"{{"x":1,"Records":[{records}]}}"#)
        };
        let evs = parse(Format::Cloudtrail, line.as_bytes()).unwrap();
        prop_assert_eq!(evs.len(), n);
    }
}

/// Huge and hostile lines: 1 MB lines of each kind, deep nesting, invalid
/// UTF-8. Errors are fine; panics, stack overflows and hangs are not.
#[test]
fn hostile_lines() {
    let parsers = parsers();
    let mb = 1 << 20;
    let mut lines: Vec<Vec<u8>> = vec![
        vec![b'{'; mb],
        vec![b'['; mb],
        b"[".repeat(mb / 2)
            .into_iter()
            .chain(b"]".repeat(mb / 2))
            .collect(),
        vec![b'a'; mb],
        vec![0xff; mb],
        (0..mb).map(|i| (i % 251) as u8).collect(),
    ];
    // A valid 1 MB JSON object with many keys, and one long string.
    let keys: Vec<String> = (0..40_000).map(|i| format!("\"k{i}\":{i}")).collect();
    lines.push(format!("{{{}}}", keys.join(",")).into_bytes());
    lines.push(
        format!(
            r#"{{"kind":"Event","verb":"get","requestURI":"/{}"}}"#,
            "x".repeat(mb)
        )
        .into_bytes(),
    );
    lines.push(
        format!(
            "<13>1 2026-03-02T08:00:01Z h a 1 m [id k=\"{}\"] msg",
            "v".repeat(mb)
        )
        .into_bytes(),
    );
    let records =
        vec![r#"{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#; 15_000].join(",");
    lines.push(format!(r#"{{"Records":[{records}]}}"#).into_bytes());
    for line in &lines {
        let t = std::time::Instant::now();
        run_all(&parsers, line);
        assert!(
            t.elapsed().as_secs() < 20,
            "slow on a line starting {:?}",
            &line[..16]
        );
    }
    // The 1 MB Records line gives all its events.
    assert_eq!(
        parse(Format::Cloudtrail, lines.last().unwrap())
            .unwrap()
            .len(),
        15_000
    );
}
