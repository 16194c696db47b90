//! Tests of the `json` format.

use super::*;
use crate::parse::Reason;

/// `(name, rendered value)` of every field, `@timestamp` first.
fn parse(line: &str) -> Result<Vec<(String, String)>, Reason> {
    let mut ev = Event::new(Format::Json, Default::default());
    JsonParser::default()
        .parse(line.as_bytes(), &mut ev)
        .map_err(|e| e.reason)?;
    let out = crate::parse::field_pairs(&ev);
    Ok(out)
}

fn check(line: &str, want: &[(&str, &str)]) -> Vec<(String, String)> {
    let got = parse(line).unwrap();
    for (k, v) in want {
        let found = got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(found, Some(*v), "{k} in {got:?}");
    }
    got
}

fn absent(got: &[(String, String)], name: &str) {
    assert!(got.iter().all(|(n, _)| n != name), "{name} in {got:?}");
}

#[test]
fn nginx_escape_json() {
    let got = check(
        r#"{"time_local":"02/Mar/2026:08:00:01 +0000","remote_addr":"203.0.113.9","remote_user":"app-7","request":"GET /acme_customers/jane%40example.com?rev=1 HTTP/1.1","status": "200","body_bytes_sent":"512","request_time":"0.012","http_referer":"-","http_user_agent":"curl/8.0","http_x_forwarded_for":"198.51.100.7, 10.0.0.1","upstream":"10.0.0.5:8080"}"#,
        &[
            ("@timestamp", "2026-03-02T08:00:01Z"),
            ("source.ip", "203.0.113.9"),
            ("user.name", "app-7"),
            ("http.request.method", "GET"),
            ("url.original", "/acme_customers/jane%40example.com?rev=1"),
            ("url.path", "/acme_customers/jane%40example.com"),
            ("url.query", "rev=1"),
            ("db.name", "acme_customers"),
            ("db.doc_id", "jane@example.com"),
            ("http.version", "1.1"),
            ("http.response.status_code", "200"),
            ("event.outcome", "success"),
            ("http.response.body.bytes", "512"),
            ("event.duration", "12000000"),
            ("user_agent.original", "curl/8.0"),
            ("network.forwarded_ip", "198.51.100.7"),
            ("upstream", "10.0.0.5:8080"),
        ],
    );
    // A `-` referrer is absent, and the leaf stays as the log wrote it.
    absent(&got, "http.request.referrer");
    check(r#"{"http_referer":"-"}"#, &[("http_referer", "-")]);
}

#[test]
fn caddy() {
    let got = check(
        r#"{"level":"info","ts":1646861401.5241024,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"41342","proto":"HTTP/2.0","method":"GET","host":"localhost","uri":"/db1/doc?x=1","headers":{"User-Agent":["curl/7.82.0"],"Accept":["*/*"]},"tls":{"resumed":false,"version":772}},"user_id":"","duration":0.000929675,"size":10900,"status":404,"resp_headers":{"Server":["Caddy"]}}"#,
        &[
            ("@timestamp", "2022-03-09T21:30:01.524103Z"),
            ("source.ip", "127.0.0.1"),
            ("source.port", "41342"),
            ("http.version", "2.0"),
            ("http.request.method", "GET"),
            ("host.name", "localhost"),
            ("url.path", "/db1/doc"),
            ("db.doc_id", "doc"),
            ("user_agent.original", "curl/7.82.0"),
            ("event.duration", "929675"),
            ("http.response.body.bytes", "10900"),
            ("http.response.status_code", "404"),
            ("event.outcome", "failure"),
            ("level", "info"),
            ("msg", "handled request"),
            ("request.headers.Accept", "*/*"),
            ("request.tls.resumed", "false"),
            ("resp_headers.Server", "Caddy"),
            ("user_id", ""),
        ],
    );
    absent(&got, "user.id");
    absent(&got, "ts");
}

#[test]
fn envoy() {
    check(
        r#"{"start_time":"2026-03-02T08:00:01.123Z","method":"POST","path":"/api/v1/users?id=5","protocol":"HTTP/1.1","response_code":201,"response_flags":"-","bytes_received":154,"bytes_sent":20,"duration":12,"upstream_service_time":"10","x_forwarded_for":"-","user_agent":"Go-http-client/1.1","request_id":"abc","authority":"api.example","upstream_host":"10.0.0.5:8080","downstream_remote_address":"203.0.113.9:53422"}"#,
        &[
            ("@timestamp", "2026-03-02T08:00:01.123Z"),
            ("http.request.method", "POST"),
            ("url.path", "/api/v1/users"),
            ("url.query", "id=5"),
            ("http.response.status_code", "201"),
            ("http.request.body.bytes", "154"),
            ("http.response.body.bytes", "20"),
            ("event.duration", "12000000"),
            ("user_agent.original", "Go-http-client/1.1"),
            ("host.name", "api.example"),
            ("source.ip", "203.0.113.9"),
            ("source.port", "53422"),
            ("x_forwarded_for", "-"),
            ("request_id", "abc"),
        ],
    );
}

#[test]
fn ecs_nested_and_dotted_map_to_themselves() {
    let nested = r#"{"@timestamp":"2026-03-02T08:00:01Z","source":{"ip":"10.1.2.3"},"url":{"path":"/orders/o-1","query":"a=b"},"user":{"name":"u1","id":"42"},"event":{"action":"read","outcome":"success"},"tags":["x","y"],"cloud":{"account":{"id":"123"}}}"#;
    let dotted = r#"{"@timestamp":"2026-03-02T08:00:01Z","source.ip":"10.1.2.3","url.path":"/orders/o-1","url.query":"a=b","user.name":"u1","user.id":"42","event.action":"read","event.outcome":"success","tags":["x","y"],"cloud.account.id":"123"}"#;
    let want = [
        ("@timestamp", "2026-03-02T08:00:01Z"),
        ("source.ip", "10.1.2.3"),
        ("url.path", "/orders/o-1"),
        ("url.query", "a=b"),
        ("db.name", "orders"),
        ("db.doc_id", "o-1"),
        ("user.name", "u1"),
        ("user.id", "42"),
        ("event.action", "read"),
        ("event.outcome", "success"),
        ("tags", "x,y"),
        ("cloud.account.id", "123"),
    ];
    let a = check(nested, &want);
    let b = check(dotted, &want);
    assert_eq!(a, b);
}

#[test]
fn reserved_names_are_prefixed_and_first_candidate_wins() {
    let got = check(
        r#"{"tenant":"evil","staff":true,"log":{"line":5},"timestamp":"2026-03-02T08:00:02Z","time":"2026-03-02T08:00:01Z","source.port":"x","json.tenant":"y"}"#,
        &[
            ("@timestamp", "2026-03-02T08:00:02Z"),
            ("json.tenant", "evil,y"),
            ("json.staff", "true"),
            ("json.log.line", "5"),
            ("time", "2026-03-02T08:00:01Z"),
            ("json.source.port", "x"),
        ],
    );
    absent(&got, "tenant");
    absent(&got, "source.port");
}

#[test]
fn timestamps_in_every_shape() {
    for (line, want) in [
        (r#"{"ts":1646861401}"#, "2022-03-09T21:30:01Z"),
        (r#"{"ts":1646861401123}"#, "2022-03-09T21:30:01.123Z"),
        (r#"{"time":"1646861401.5"}"#, "2022-03-09T21:30:01.5Z"),
        (
            r#"{"time_iso8601":"2026-03-02T09:00:01+01:00"}"#,
            "2026-03-02T08:00:01Z",
        ),
        (r#"{"msec":"1646861401.250"}"#, "2022-03-09T21:30:01.25Z"),
    ] {
        check(line, &[("@timestamp", want)]);
    }
    // Not a time: kept as an extra, no @timestamp.
    let got = check(r#"{"time":"soon"}"#, &[("time", "soon")]);
    absent(&got, "@timestamp");
}

#[test]
fn custom_mapping() {
    let mut m = JsonMapping::builtin();
    m.set(
        "user.name",
        vec![Candidate {
            path: "actor.login".into(),
            conv: Conv::Text(Field::UserName),
        }],
    );
    let p = JsonParser::with_mapping(m);
    let mut ev = Event::new(Format::Json, Default::default());
    p.parse(br#"{"actor":{"login":"octo"},"remote_user":"x"}"#, &mut ev)
        .unwrap();
    assert_eq!(ev.get_str(Field::UserName), Some("octo"));
    assert_eq!(
        ev.get_extra("remote_user").and_then(Value::as_str),
        Some("x")
    );
}

#[test]
fn errors() {
    for (line, reason) in [
        ("", Reason::Truncated),
        ("[1,2]", Reason::BadJson),
        (r#""just a string""#, Reason::MultilineJson),
        ("42", Reason::BadJson),
        (r#"{"a":"#, Reason::Truncated),
        (r#"{"a":1}}"#, Reason::TrailingGarbage),
        ("not json", Reason::BadJson),
        (r#"  "status": 200,"#, Reason::MultilineJson),
        ("{", Reason::MultilineJson),
    ] {
        assert_eq!(parse(line).unwrap_err(), reason, "{line}");
    }
    let mut ev = Event::new(Format::Json, Default::default());
    let bad = b"{\"a\":\"\xff\"}";
    assert_eq!(
        JsonParser::default()
            .parse(bad, &mut ev)
            .unwrap_err()
            .reason,
        Reason::BadJson
    );
}

#[test]
fn huge_objects_are_capped() {
    let body: Vec<String> = (0..2000).map(|i| format!("\"k{i}\":{i}")).collect();
    let line = format!("{{{}}}", body.join(","));
    let got = parse(&line).unwrap();
    assert_eq!(got.len(), MAX_LEAVES + 1);
    assert!(
        got.iter()
            .any(|(n, v)| n == "json._truncated" && v == "true")
    );
}

#[test]
fn every_builtin_candidate_is_documented() {
    let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMATS.md"));
    for (field, cands) in JsonMapping::builtin().groups() {
        for c in cands {
            assert!(
                doc.contains(&format!("`{}`", c.path)),
                "{field}: {} not in docs/FORMATS.md",
                c.path
            );
        }
    }
}
