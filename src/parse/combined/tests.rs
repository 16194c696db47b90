//! Table-driven tests: one table of accepted lines with every field they
//! must produce (and nothing else), one of rejected lines with reason and
//! column, and one test per production.

use super::*;
use crate::event::Origin;
use std::collections::BTreeMap;

const TS: &str = "[10/Oct/2000:13:55:36 -0700]";
const UTC: &str = "2000-10-10T20:55:36Z";

/// Every field of the event as text, plus `@timestamp`.
fn fields_of(ev: &Event<'_>) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = ev
        .fields()
        .map(|(f, v)| (f.name().to_string(), v.to_string()))
        .collect();
    if let Some(ts) = ev.timestamp {
        m.insert("@timestamp".into(), ts.to_string());
    }
    m
}

fn parse_with(p: &CombinedParser, line: &[u8]) -> Result<BTreeMap<String, String>, ParseError> {
    let mut ev = Event::new(p.format(), Origin::default());
    p.parse(line, &mut ev)?;
    Ok(fields_of(&ev))
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The fields of a plain `GET / HTTP/1.1` 200 request from 1.2.3.4.
fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("@timestamp", UTC),
        ("source.ip", "1.2.3.4"),
        ("http.request.method", "GET"),
        ("url.original", "/"),
        ("url.path", "/"),
        ("http.version", "1.1"),
        ("http.response.status_code", "200"),
        ("event.outcome", "success"),
        ("http.response.body.bytes", "512"),
    ]
}

/// `base()` with some fields replaced or added (`""` removes one).
fn base_with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = base();
    for (k, val) in changes {
        v.retain(|(f, _)| f != k);
        if !val.is_empty() {
            v.push((k, val));
        }
    }
    v
}

#[test]
fn accepted_lines() {
    let cases: Vec<(String, Vec<(&str, &str)>)> = vec![
        // Common.
        (
            format!(r#"127.0.0.1 - frank {TS} "GET /apache_pb.gif HTTP/1.0" 200 2326 "-" "-""#),
            vec![
                ("@timestamp", UTC),
                ("source.ip", "127.0.0.1"),
                ("user.name", "frank"),
                ("http.request.method", "GET"),
                ("url.original", "/apache_pb.gif"),
                ("url.path", "/apache_pb.gif"),
                ("http.version", "1.0"),
                ("http.response.status_code", "200"),
                ("event.outcome", "success"),
                ("http.response.body.bytes", "2326"),
            ],
        ),
        // Combined with referrer and user agent; `%l` is ignored.
        (
            format!(
                r#"1.2.3.4 ident - {TS} "GET / HTTP/1.1" 200 512 "http://ref.example/x?y=1" "Mozilla/5.0 (X11; Linux)""#
            ),
            base_with(&[
                ("http.request.referrer", "http://ref.example/x?y=1"),
                ("user_agent.original", "Mozilla/5.0 (X11; Linux)"),
            ]),
        ),
        // Empty referrer / agent (HAProxy CLF) are absent, like `-`.
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "" """#),
            base(),
        ),
        // Unquoted `-` referrer and agent.
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 - -"#),
            base(),
        ),
        // CRLF line, and several spaces between fields.
        (
            format!("1.2.3.4  -  - {TS}  \"GET / HTTP/1.1\" 200  512 \"-\" \"-\"\r"),
            base(),
        ),
        // vhost_combined: `%v:%p`.
        (
            format!(r#"www.example.com:443 1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("host.name", "www.example.com"), ("server.port", "443")]),
        ),
        // vhost without port.
        (
            format!(r#"example.com 1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("host.name", "example.com")]),
        ),
        // vhost with a host-name client.
        (
            format!(
                r#"example.com:80 client.isp.example - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#
            ),
            base_with(&[
                ("host.name", "example.com"),
                ("server.port", "80"),
                ("source.ip", ""),
                ("source.domain", "client.isp.example"),
            ]),
        ),
        // vhost that is an IPv6 address, client IPv6.
        (
            format!(r#"2001:db8::80 2001:db8::1 - bob {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[
                ("host.name", "2001:db8::80"),
                ("source.ip", "2001:db8::1"),
                ("user.name", "bob"),
            ]),
        ),
        // A user name with a space is not a vhost.
        (
            format!(r#"1.2.3.4 - john doe {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("user.name", "john doe")]),
        ),
        // Percent-encoded and escaped user names.
        (
            format!(r#"1.2.3.4 - jane%40example.com {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("user.name", "jane%40example.com")]),
        ),
        (
            format!(r#"1.2.3.4 - caf\xC3\xA9 {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("user.name", "café")]),
        ),
        // IPv6 clients.
        (
            format!(r#"::1 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("source.ip", "::1")]),
        ),
        (
            format!(r#"::ffff:1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("source.ip", "::ffff:1.2.3.4")]),
        ),
        (
            format!(r#"fe80::1%eth0 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("source.ip", "fe80::1")]),
        ),
        // Host-name client (HostnameLookups On), and nginx's unix socket.
        (
            format!(r#"crawl-66-249-66-1.googlebot.com - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[
                ("source.ip", ""),
                ("source.domain", "crawl-66-249-66-1.googlebot.com"),
            ]),
        ),
        (
            format!(r#"unix: - - {TS} "GET / HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("source.ip", "")]),
        ),
        // Fractional seconds.
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36.250 -0700] "GET / HTTP/1.1" 200 512 "-" "-""#
                .to_string(),
            base_with(&[("@timestamp", "2000-10-10T20:55:36.25Z")]),
        ),
        // Status and bytes `-`: no status, no outcome, no bytes.
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" - - "-" "-""#),
            base_with(&[
                ("http.response.status_code", ""),
                ("event.outcome", ""),
                ("http.response.body.bytes", ""),
            ]),
        ),
        // Outcomes.
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 404 512 "-" "-""#),
            base_with(&[
                ("http.response.status_code", "404"),
                ("event.outcome", "failure"),
            ]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 399 512 "-" "-""#),
            base_with(&[("http.response.status_code", "399")]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 000 512 "-" "-""#),
            base_with(&[
                ("http.response.status_code", "0"),
                ("event.outcome", "unknown"),
            ]),
        ),
        // Request lines: query, fragment, HTTP/2, escapes, absolute form.
        (
            format!(
                r#"1.2.3.4 - - {TS} "POST /acme/jane%40x.org?rev=1#top HTTP/2.0" 200 512 "-" "-""#
            ),
            base_with(&[
                ("http.request.method", "POST"),
                ("url.original", "/acme/jane%40x.org?rev=1#top"),
                ("url.path", "/acme/jane%40x.org"),
                ("url.query", "rev=1"),
                ("http.version", "2.0"),
                ("db.name", "acme"),
                ("db.doc_id", "jane@x.org"),
            ]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET /a\"b\\c\x20d HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("url.original", r#"/a"b\c d"#), ("url.path", r#"/a"b\c d"#)]),
        ),
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET http://example.com/a/b?c=d HTTP/1.1" 200 512 "-" "-""#
            ),
            base_with(&[
                ("url.original", "http://example.com/a/b?c=d"),
                ("url.path", "/a/b"),
                ("url.query", "c=d"),
                ("db.name", "a"),
                ("db.doc_id", "b"),
            ]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "CONNECT example.com:443 HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[
                ("http.request.method", "CONNECT"),
                ("url.original", "example.com:443"),
                ("url.path", ""),
            ]),
        ),
        // A target with a space (Apache logs the raw request line).
        (
            format!(r#"1.2.3.4 - - {TS} "GET /a b HTTP/1.1" 200 512 "-" "-""#),
            base_with(&[("url.original", "/a b"), ("url.path", "/a b")]),
        ),
        // HTTP/0.9: no protocol.
        (
            format!(r#"1.2.3.4 - - {TS} "GET /" 200 512 "-" "-""#),
            base_with(&[("http.version", "")]),
        ),
        // Not requests: kept, with no method or URL.
        (
            format!(
                r#"1.2.3.4 - - {TS} "\x16\x03\x01\x00\xA5\x01\x00\x00\xA1\x03\x03" 400 150 "-" "-""#
            ),
            no_request(),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "-" 400 150 "-" "-""#),
            no_request(),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "" 400 150 "-" "-""#),
            no_request(),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "]&\xDF\xBDV" 400 150 "-" "-""#),
            no_request(),
        ),
        // Escapes and invalid UTF-8 in referrer and user agent.
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "http://\xe4\xe5.\xf0\xf4/" "say \"hi\" \\o/""#
            ),
            base_with(&[
                (
                    "http.request.referrer",
                    "http://\u{fffd}\u{fffd}.\u{fffd}\u{fffd}/",
                ),
                ("user_agent.original", r#"say "hi" \o/"#),
            ]),
        ),
        // Unescaped quotes inside fields (old Apache): a quote closes a
        // field only before a space or the end of the line.
        (
            format!(r#"1.2.3.4 - - {TS} "GET /a"b HTTP/1.1" 200 512 "-" "a "quoted"word""#),
            base_with(&[
                ("url.original", r#"/a"b"#),
                ("url.path", r#"/a"b"#),
                ("user_agent.original", r#"a "quoted"word"#),
            ]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "a "quoted" word""#),
            base_with(&[("user_agent.original", r#"a "quoted"#)]),
        ),
        // A user agent cut at the end of the line.
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "Mozilla/5.0 (compatible; Googlebot/2.1"#
            ),
            base_with(&[(
                "user_agent.original",
                "Mozilla/5.0 (compatible; Googlebot/2.1",
            )]),
        ),
        // nginx `main`: X-Forwarded-For.
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "curl/8" "203.0.113.9, 10.0.0.1""#
            ),
            base_with(&[
                ("user_agent.original", "curl/8"),
                ("network.forwarded_ip", "203.0.113.9"),
            ]),
        ),
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" "unknown, [2001:db8::7]:443""#
            ),
            base_with(&[("network.forwarded_ip", "2001:db8::7")]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" "-""#),
            base(),
        ),
        // Request time: bare decimal, and key=value winning over it.
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" "-" 0.050 0.049"#),
            base_with(&[("event.duration", "50000000")]),
        ),
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" 1.5 rt=0.123 uct="0.000" urt="0.1, 0.2""#
            ),
            base_with(&[("event.duration", "123000000")]),
        ),
        (
            format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" request_time="2" 3.5"#),
            base_with(&[("event.duration", "2000000000")]),
        ),
        // ingress-nginx upstreaminfo: request_length (integer) is skipped.
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" 462 0.050 [svc-9000] [] 10.0.50.80:9000 19437 0.049 200 752178adb1"#
            ),
            base_with(&[("event.duration", "50000000")]),
        ),
        // Quoted numbers (gzip ratio) and junk are ignored.
        (
            format!(
                r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512 "-" "-" "2.75" x=\ "unterminated"#
            ),
            base(),
        ),
    ];
    let p = CombinedParser::combined();
    for (line, want) in &cases {
        let got = parse_with(&p, line.as_bytes());
        assert_eq!(got, Ok(expect(want)), "\n{line}");
    }
}

fn no_request() -> Vec<(&'static str, &'static str)> {
    base_with(&[
        ("http.request.method", ""),
        ("url.original", ""),
        ("url.path", ""),
        ("http.version", ""),
        ("http.response.status_code", "400"),
        ("event.outcome", "failure"),
        ("http.response.body.bytes", "150"),
    ])
}

#[test]
fn common_parser_ignores_what_follows_the_bytes() {
    let p = CombinedParser::common();
    let want = expect(&base());
    for tail in [
        "",
        " ",
        r#" "http://r/" "UA" "1.2.3.4" 0.5"#,
        " junk \"unterminated",
    ] {
        let line = format!(r#"1.2.3.4 - - {TS} "GET / HTTP/1.1" 200 512{tail}"#);
        assert_eq!(parse_with(&p, line.as_bytes()), Ok(want.clone()), "{line}");
    }
}

#[test]
fn rejected_lines() {
    use Reason::*;
    // (line, reason, 1-based column) for the combined parser.
    let cases: &[(&str, Reason, usize)] = &[
        ("", Truncated, 1),
        ("   ", Truncated, 1),
        ("1.2.3.4", Truncated, 8),
        ("1.2.3.4 - -", Truncated, 12),
        ("not a common log line", BadTimestamp, 14),
        ("- - - - - - -", BadClient, 1),
        (r#"- - - [-] "-" - -"#, BadClient, 1),
        (
            r#"999.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadClient,
            1,
        ),
        (
            r#""1.2.3.4" - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadClient,
            1,
        ),
        (
            r#"1.2.3.4 - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadSeparator,
            10,
        ),
        (
            r#"1.2.3.4 - - [1234] "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadTimestamp,
            13,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadTimestamp,
            13,
        ),
        (
            r#"1.2.3.4 - - [31/Feb/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-""#,
            BadTimestamp,
            13,
        ),
        (r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700]"#, Truncated, 41),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.1 200 1"#,
            BadSeparator,
            42,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1 "-" "-""#,
            BadStatus,
            68,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1 200 1"#,
            UnterminatedQuote,
            42,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 20 1 "-" "-""#,
            BadStatus,
            59,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" OK 1 "-" "-""#,
            BadStatus,
            59,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1k "-" "-""#,
            BadBytes,
            63,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 -1 "-" "-""#,
            BadBytes,
            63,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200"#,
            Truncated,
            62,
        ),
        // A common line is not combined.
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1"#,
            Truncated,
            64,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-""#,
            Truncated,
            68,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 ref "-""#,
            BadSeparator,
            65,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "http://x "-""#,
            Truncated,
            78,
        ),
        (
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "http://x"#,
            UnterminatedQuote,
            65,
        ),
    ];
    let p = CombinedParser::combined();
    for (line, reason, column) in cases {
        let got = parse_with(&p, line.as_bytes()).map(|_| ());
        assert_eq!(
            got,
            Err(ParseError {
                reason: *reason,
                column: *column
            }),
            "\n{line}"
        );
    }
}

#[test]
fn common_line_values_borrow_from_the_line() {
    let line = br#"www.example.com:443 203.0.113.9 - bob [10/Oct/2000:13:55:36 -0700] "GET /acme/doc-1?rev=2 HTTP/1.1" 200 512 "http://r.example/" "curl/8" "10.0.0.1""#;
    let mut ev = Event::new(Format::Combined, Origin::default());
    CombinedParser::combined().parse(line, &mut ev).unwrap();
    let mut n = 0;
    for (field, value) in ev.fields() {
        if let Value::Str(s) = value {
            assert!(matches!(s, Cow::Borrowed(_)), "{field} was copied");
            n += 1;
        }
    }
    assert_eq!(n, 14);
}

#[test]
fn head_production() {
    let h = |s: &'static str| head(s.as_bytes());
    let (rest, got) = h("1.2.3.4 - bob [ts]").unwrap();
    assert_eq!(rest, b" [ts]");
    assert_eq!(
        got,
        Head {
            vhost: None,
            client: Client::Ip(b"1.2.3.4"),
            user: b"bob"
        }
    );
    let (_, got) = h("v.example:8080 1.2.3.4 - bob [ts]").unwrap();
    assert_eq!(got.vhost, Some((&b"v.example"[..], Some(8080))));
    let (_, got) = h("1.2.3.4 root a b c [ts]").unwrap();
    assert_eq!((got.vhost, got.user), (None, &b"a b c"[..]));
    let (_, got) = h("v.example 1.2.3.4 - a b [ts]").unwrap();
    assert_eq!(
        (got.vhost.map(|v| v.0), got.user),
        (Some(&b"v.example"[..]), &b"a b"[..])
    );
    // The first `[` after a space opens the timestamp.
    let (_, got) = h("1.2.3.4 - a[1] [ts]").unwrap();
    assert_eq!(got.user, b"a[1]");
}

#[test]
fn client_production() {
    assert_eq!(client(b"10.0.0.1"), Some(Client::Ip(b"10.0.0.1")));
    assert_eq!(client(b"2001:db8::1"), Some(Client::Ip(b"2001:db8::1")));
    assert_eq!(client(b"fe80::1%en0"), Some(Client::Ip(b"fe80::1")));
    assert_eq!(
        client(b"host.example."),
        Some(Client::Domain(b"host.example."))
    );
    assert_eq!(client(b"localhost"), Some(Client::Domain(b"localhost")));
    assert_eq!(client(b"unix:"), Some(Client::Unix));
    for bad in [
        &b"-"[..],
        b"1.2.3.4.5",
        b"300.1.1.1",
        b"a..b",
        b"a b",
        b"\xff",
        b"1.2.3.4%x",
        b"[::1]",
        b"1.2.3.4:80",
    ] {
        assert_eq!(client(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn split_port_production() {
    assert_eq!(split_port(b"a.example:443"), (&b"a.example"[..], Some(443)));
    assert_eq!(split_port(b"a.example"), (&b"a.example"[..], None));
    assert_eq!(
        split_port(b"a.example:99999"),
        (&b"a.example:99999"[..], None)
    );
    assert_eq!(split_port(b"a.example:"), (&b"a.example:"[..], None));
    assert_eq!(split_port(b":80"), (&b":80"[..], None));
    assert_eq!(split_port(b"::1"), (&b"::1"[..], None));
    assert_eq!(split_port(b"[::1]:80"), (&b"[::1]"[..], Some(80)));
    assert_eq!(
        split_port(b"h:99999999999999"),
        (&b"h:99999999999999"[..], None)
    );
    assert_eq!(
        split_port(b"h:\xff\xff\xff\xff\xff7"),
        (&b"h:\xff\xff\xff\xff\xff7"[..], None)
    );
}

/// Inputs the fuzzer found (`fuzz/fuzz_targets/parse_combined.rs`).
#[test]
fn fuzz_regressions() {
    // crash-de9b6d63: a four-token head whose first token has a long
    // non-numeric "port" overflowed the port fold in `split_port`.
    let mut crash = b"[01/Mar/2021:1\"\x03\0\0\0\0\0\0\x0000113)No route to host: AH0095".to_vec();
    crash.extend([0xff; 92]);
    crash.extend_from_slice(
        b"7: HTTP: attempt to connect to 10.1.0.244:9000 (hosjname.domain.com) failed",
    );
    for p in [CombinedParser::combined(), CombinedParser::common()] {
        assert!(parse_with(&p, &crash).is_err());
    }
}

#[test]
fn quoted_production() {
    let ok = |s: &'static [u8]| quoted(s).map(|(rest, q)| (q.raw(), rest)).ok();
    assert_eq!(ok(br#""abc" x"#), Some((&b"abc"[..], &b" x"[..])));
    assert_eq!(ok(br#""""#), Some((&b""[..], &b""[..])));
    assert_eq!(ok(br#""a\"b""#), Some((&br#"a\"b"#[..], &b""[..])));
    assert_eq!(ok(br#""a\\" b"#), Some((&br"a\\"[..], &b" b"[..])));
    assert_eq!(ok(br#""a"b" c"#), Some((&br#"a"b"#[..], &b" c"[..])));
    assert_eq!(ok(br#""a\"#), None);
    assert_eq!(ok(br#""abc"#), None);
    assert_eq!(ok(b"abc"), None);
    assert_eq!(ok(b""), None);
}

#[test]
fn status_and_bytes_productions() {
    assert_eq!(status(b"200 x"), Ok((&b" x"[..], Some(200))));
    assert_eq!(status(b"-").map(|(_, s)| s), Ok(None));
    assert!(status(b"2000").is_err());
    assert!(status(b"20").is_err());
    assert_eq!(body_bytes(b"0").map(|(_, s)| s), Ok(Some(0)));
    assert_eq!(
        body_bytes(b"999999999999999999").map(|(_, s)| s),
        Ok(Some(999_999_999_999_999_999))
    );
    assert!(body_bytes(b"9999999999999999999").is_err());
    assert!(body_bytes(b"+1").is_err());
}

#[test]
fn request_parts_production() {
    let parts = |s: &str| {
        request_parts(s).map(|p| {
            (
                s.get(p.method).unwrap().to_string(),
                s.get(p.target).unwrap().to_string(),
                p.version.map(|v| s.get(v).unwrap().to_string()),
            )
        })
    };
    let some = |m: &str, t: &str, v: Option<&str>| Some((m.into(), t.into(), v.map(String::from)));
    assert_eq!(parts("GET / HTTP/1.1"), some("GET", "/", Some("1.1")));
    assert_eq!(parts("GET /  HTTP/1.0 "), some("GET", "/", Some("1.0")));
    assert_eq!(parts("GET /"), some("GET", "/", None));
    assert_eq!(parts("DESCRIBE /s RTSP/1.0"), some("DESCRIBE", "/s", None));
    assert_eq!(parts("GET /a b HTTP/2"), some("GET", "/a b", Some("2")));
    assert_eq!(parts("GET /a HTTP/"), some("GET", "/a HTTP/", None));
    assert_eq!(
        parts("M-SEARCH * HTTP/1.1"),
        some("M-SEARCH", "*", Some("1.1"))
    );
    assert_eq!(parts("GET "), some("GET", "", None));
    assert_eq!(parts("GET"), None);
    assert_eq!(parts("\u{16}\u{3}\u{1} x"), None);
    assert_eq!(parts("<script> /"), None);
}

#[test]
fn trailing_productions() {
    use trailing::seconds;
    assert_eq!(seconds(b"0.123"), Some(123_000_000));
    assert_eq!(seconds(b"12"), Some(12_000_000_000));
    assert_eq!(seconds(b"1.0000000019"), Some(1_000_000_001));
    assert_eq!(seconds(b"999999999.5"), Some(999_999_999_500_000_000));
    for bad in [
        &b""[..],
        b".5",
        b"5.",
        b"1.2.3",
        b"-",
        b"1e3",
        b"1234567890.0",
        b"-1.0",
    ] {
        assert_eq!(seconds(bad), None, "{}", String::from_utf8_lossy(bad));
    }
}
