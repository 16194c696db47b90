//! Tests of the `syslog` format (the upstream Vector cases run in
//! `tests/formats_upstream.rs`).

use super::*;
use crate::event::Origin;

fn parser() -> SyslogParser {
    SyslogParser::with_reference_time(datetime::rfc3339("2026-11-25T12:00:00Z").unwrap())
}

fn parse(line: &str) -> Result<(Format, Vec<(String, String)>), Reason> {
    let mut ev = Event::new(Format::Syslog, Origin::default());
    parser()
        .parse(line.as_bytes(), &mut ev)
        .map_err(|e| e.reason)?;
    let out = crate::parse::field_pairs(&ev);
    Ok((ev.format, out))
}

fn has(got: &[(String, String)], want: &[(&str, &str)]) {
    for (k, v) in want {
        let found = got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(*v), "{k} in {got:?}");
    }
}

fn absent(got: &[(String, String)], name: &str) {
    assert!(got.iter().all(|(n, _)| n != name), "{name} in {got:?}");
}

#[test]
fn rfc3164() {
    let (f, got) =
        parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
            .unwrap();
    assert_eq!(f, Format::Syslog);
    has(
        &got,
        &[
            ("@timestamp", "2026-10-11T22:14:15Z"),
            ("host.name", "mymachine"),
            ("log.syslog.appname", "su"),
            ("log.syslog.facility.name", "auth"),
            ("log.syslog.severity.name", "crit"),
            ("log.syslog.priority", "34"),
            ("message", "'su root' failed for lonvick on /dev/pts/8"),
        ],
    );
    // rsyslog's file format: no PRI, space-padded day, a PID.
    let (_, got) = parse("Mar  2 08:00:01 host prog[123]: msg text").unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2026-03-02T08:00:01Z"),
            ("host.name", "host"),
            ("log.syslog.appname", "prog"),
            ("log.syslog.procid", "123"),
            ("message", "msg text"),
        ],
    );
    absent(&got, "log.syslog.priority");
    // December read in late November: last year.
    let (_, got) = parse("Dec 24 23:00:00 h app: x").unwrap();
    has(&got, &[("@timestamp", "2025-12-24T23:00:00Z")]);
    // rsyslog high-precision file format.
    let (_, got) = parse("2026-03-02T08:00:01.123456+01:00 web1 nginx: hello").unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2026-03-02T07:00:01.123456Z"),
            ("host.name", "web1"),
            ("log.syslog.appname", "nginx"),
        ],
    );
}

#[test]
fn rfc5424() {
    let (_, got) = parse(r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][x@1 k="a\"b\\c\]d"] BOMAn application event log entry..."#.replace("BOM", "\u{feff}").as_str()).unwrap();
    has(
        &got,
        &[
            ("@timestamp", "2003-10-11T22:14:15.003Z"),
            ("host.name", "mymachine.example.com"),
            ("log.syslog.appname", "evntslog"),
            ("log.syslog.msgid", "ID47"),
            ("log.syslog.version", "1"),
            ("log.syslog.facility.name", "local4"),
            ("log.syslog.severity.name", "notice"),
            ("log.syslog.structured_data.exampleSDID@32473.iut", "3"),
            (
                "log.syslog.structured_data.exampleSDID@32473.eventID",
                "1011",
            ),
            ("log.syslog.structured_data.x@1.k", "a\"b\\c]d"),
            ("message", "An application event log entry..."),
        ],
    );
    absent(&got, "log.syslog.procid");
    let (_, got) = parse("<13>1 - - - - - -").unwrap();
    absent(&got, "@timestamp");
    absent(&got, "message");
}

#[test]
fn inner_formats() {
    let (f, got) = parse("<134>1 2026-03-02T08:00:05Z relay couchdb - - - [notice] 2026-03-02T08:00:01.123456Z couchdb@node1 <0.1234.0> 1a2b3c4d5e host.example:5984 203.0.113.9 app-7 GET /acme_customers/doc1 200 ok 12").unwrap();
    assert_eq!(f, Format::Couchdb);
    has(
        &got,
        &[
            ("@timestamp", "2026-03-02T08:00:01.123456Z"),
            ("host.name", "couchdb@node1"),
            ("log.syslog.hostname", "relay"),
            ("db.doc_id", "doc1"),
            ("log.syslog.appname", "couchdb"),
        ],
    );
    absent(&got, "message");
    let (f, got) = parse(
        r#"<14>Mar  2 08:00:01 web1 app[7]: {"level":"warn","user":"u1","log.syslog.appname":"x"}"#,
    )
    .unwrap();
    assert_eq!(f, Format::Json);
    has(
        &got,
        &[
            ("user.name", "u1"),
            ("level", "warn"),
            ("log.syslog.appname", "app"),
            ("@timestamp", "2026-03-02T08:00:01Z"),
        ],
    );
    let (f, _) = parse(r#"Mar  2 08:00:01 k8s kube-apiserver: {"kind":"Event","verb":"get","objectRef":{"resource":"pods"}}"#).unwrap();
    assert_eq!(f, Format::K8sAudit);
}

#[test]
fn bare_words_after_the_host() {
    // Vector's `non_structured_data_in_message` case: a tag without colon.
    let (_, got) = parse("<131>Jun 8 11:54:08 master apache_error [Tue Jun 08 11:54:08.929301 2021] [php7:emerg] rest").unwrap();
    has(
        &got,
        &[
            ("host.name", "master"),
            ("log.syslog.appname", "apache_error"),
            (
                "message",
                "[Tue Jun 08 11:54:08.929301 2021] [php7:emerg] rest",
            ),
        ],
    );
    // Without a host: the tag is the first token.
    let (_, got) =
        parse("<133>Jun 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.").unwrap();
    has(
        &got,
        &[
            ("log.syslog.appname", "haproxy"),
            ("log.syslog.procid", "73411"),
            ("message", "Proxy sticky-servers started."),
        ],
    );
    absent(&got, "host.name");
}

#[test]
fn errors() {
    for (line, reason) in [
        ("not much of a syslog message", Reason::WrongShape),
        ("", Reason::WrongShape),
        ("<999>Oct 11 22:14:15 h a: m", Reason::BadPriority),
        ("<x>Oct 11 22:14:15 h a: m", Reason::BadPriority),
        ("<34", Reason::BadPriority),
        ("<34>hello", Reason::BadTimestamp),
        ("<34>1 yesterday h a p m -", Reason::BadTimestamp),
        ("<34>1 2003-10-11T22:14:15Z host", Reason::Truncated),
        (
            "<34>1 2003-10-11T22:14:15Z h a p m [id k=\"v",
            Reason::UnterminatedQuote,
        ),
        (
            "<34>1 2003-10-11T22:14:15Z h a p m [id k=v]",
            Reason::BadSeparator,
        ),
        ("<34>1 2003-10-11T22:14:15Z h a p m [id", Reason::Truncated),
        ("Feb 30 08:00:01 h a: m", Reason::BadTimestamp),
        ("Mar  2 08:00:01Xh", Reason::BadSeparator),
        (
            "203.0.113.9 - - [02/Mar/2026:08:00:01 +0000] \"GET / HTTP/1.1\" 200 1",
            Reason::WrongShape,
        ),
        ("{\"a\":1}", Reason::WrongShape),
    ] {
        assert_eq!(parse(line).unwrap_err(), reason, "{line}");
    }
    let mut ev = Event::new(Format::Syslog, Origin::default());
    assert_eq!(
        parser()
            .parse(b"<34>Oct 1\xff", &mut ev)
            .unwrap_err()
            .reason,
        Reason::BadUtf8
    );
    // A message that is not UTF-8 is kept, lossily.
    let mut ev = Event::new(Format::Syslog, Origin::default());
    parser()
        .parse(b"<34>Oct 11 22:14:15 h a: caf\xe9", &mut ev)
        .unwrap();
    assert_eq!(
        ev.get_extra("message").and_then(Value::as_str),
        Some("caf\u{fffd}")
    );
}
