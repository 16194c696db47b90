//! The combined/common parser against work nobody on this team wrote:
//!
//! - VRL's own test cases for `parse_apache_log`, `parse_nginx_log` and
//!   `parse_common_log` (`fixtures/vrl`, MPL-2.0), compared field by field
//!   through the name mapping below;
//! - real Apache lines from elastic/examples (`fixtures/apache`,
//!   Apache-2.0): a 500-line excerpt always, the full 10,000 lines when
//!   `../shared/data` (or `$PICKET_SHARED_DATA`) exists;
//! - format sniffing between `common` and `combined`.

use picket::event::{Event, Field, Origin, Value};
use picket::parse::combined::CombinedParser;
use picket::parse::{Format, LineParser, ParseError, sniff};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The picket fields compared with VRL's output. `@timestamp` stands for
/// `Event::timestamp`.
const COMPARED: &[&str] = &[
    "@timestamp",
    "source.ip",
    "user.name",
    "http.request.method",
    "url.original",
    "http.version",
    "http.response.status_code",
    "http.response.body.bytes",
    "http.request.referrer",
    "user_agent.original",
    "network.forwarded_ip",
    "event.duration",
];

/// VRL output keys that picket does not keep, and why.
const IGNORED: &[(&str, &str)] = &[
    ("identity", "%l: identd is dead; picket ignores it"),
    (
        "message",
        "the raw request line; picket splits it (method, url, version)",
    ),
    (
        "compression",
        "nginx $gzip_ratio: a quoted trailing number, ignored",
    ),
    (
        "request_length",
        "ingress $request_length: an integer trailing token, ignored",
    ),
    ("proxy_upstream_name", "ingress upstream name: ignored"),
    (
        "proxy_alternative_upstream_name",
        "ingress upstream name: ignored",
    ),
    ("upstream_addr", "ingress upstream address: ignored"),
    ("upstream_response_length", "upstream fields: ignored"),
    (
        "upstream_response_time",
        "upstream fields: only the request time is kept",
    ),
    ("upstream_status", "upstream fields: ignored"),
    ("req_id", "request id: ignored"),
];

/// VRL cases where picket deliberately differs, and why.
const DIVERGENT: &[(&str, &str, &str)] = &[
    (
        "parse_apache_log",
        "log_line_valid_empty",
        "an all-dash line has no client and no timestamp: nothing a detection can use, and \
         accepting it would let sniffing take any dashed text for an access log",
    ),
    (
        "parse_apache_log",
        "log_line_valid_empty_variant",
        "same: no client, `[-]` timestamp",
    ),
    (
        "parse_common_log",
        "log_line_valid_empty",
        "same as parse_apache_log",
    ),
    (
        "parse_common_log",
        "log_line_valid_empty_variant",
        "same as parse_apache_log",
    ),
    (
        "parse_common_log",
        "log_line_valid_with_timestamp_format",
        "VRL takes a custom timestamp format argument; picket reads only the CLF timestamp",
    ),
];

/// Translates VRL's expected output into picket's field names and values
/// (VRL name → picket name):
///
/// - `host`, `client`, `remote_addr` → `source.ip`
/// - `user`, `remote_user` → `user.name`
/// - `timestamp` → `@timestamp`
/// - `method` → `http.request.method`; `path` → `url.original`;
///   `protocol` `HTTP/x` → `http.version` `x`
/// - `request` `"M T HTTP/x"` → the three fields above; a request that is not
///   `METHOD TARGET [PROTOCOL]` (empty, binary garbage) → none of them
/// - `status` → `http.response.status_code`; `size`, `body_bytes_size` →
///   `http.response.body.bytes`
/// - `referrer`, `referer`, `http_referer` → `http.request.referrer`;
///   `agent`, `http_user_agent` → `user_agent.original` (VRL keeps `-` and
///   `""`; picket omits absent values)
/// - `http_x_forwarded_for` → `network.forwarded_ip` (first address)
/// - `request_time` (seconds) → `event.duration` (nanoseconds)
fn vrl_to_picket(want: &serde_json::Map<String, Json>) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (key, value) in want {
        let v = text(value);
        let absent = v == "-" || v.is_empty();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        match key.as_str() {
            "host" | "client" | "remote_addr" => put("source.ip", v),
            "user" | "remote_user" => put("user.name", v),
            "timestamp" => put("@timestamp", text(&value["timestamp"])),
            "method" => put("http.request.method", v),
            "path" => put("url.original", v),
            "protocol" => put("http.version", v.trim_start_matches("HTTP/").to_string()),
            "request" => {
                let parts: Vec<&str> = v.split(' ').collect();
                if let [method, target, protocol] = parts[..] {
                    if method.bytes().all(|b| b.is_ascii_uppercase()) {
                        put("http.request.method", method.into());
                        put("url.original", target.into());
                        put("http.version", protocol.trim_start_matches("HTTP/").into());
                    }
                }
            }
            "status" => put("http.response.status_code", v),
            "size" | "body_bytes_size" => put("http.response.body.bytes", v),
            "referrer" | "referer" | "http_referer" if !absent => put("http.request.referrer", v),
            "agent" | "http_user_agent" if !absent => put("user_agent.original", v),
            "http_x_forwarded_for" => put(
                "network.forwarded_ip",
                v.split(',').next().unwrap().trim().into(),
            ),
            "request_time" => {
                let secs = value.as_f64().expect("request_time is a number");
                put("event.duration", ((secs * 1e9).round() as i64).to_string());
            }
            "referrer" | "referer" | "http_referer" | "agent" | "http_user_agent" => {}
            other => assert!(
                IGNORED.iter().any(|(k, _)| *k == other),
                "VRL key `{other}` has no mapping: add it to vrl_to_picket or IGNORED"
            ),
        }
    }
    m
}

fn parse<'a>(format: Format, line: &'a [u8]) -> Result<Event<'a>, ParseError> {
    let parser = match format {
        Format::Common => CombinedParser::common(),
        _ => CombinedParser::combined(),
    };
    let mut ev = Event::new(format, Origin::default());
    parser.parse(line, &mut ev)?;
    Ok(ev)
}

fn compared_fields(ev: &Event<'_>) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for name in COMPARED {
        let value = match *name {
            "@timestamp" => ev.timestamp.map(|t| t.to_string()),
            _ => ev.get_by_name(name).map(Value::to_string),
        };
        if let Some(v) = value {
            m.insert(name.to_string(), v);
        }
    }
    m
}

#[test]
fn vrl_cases() {
    let raw = std::fs::read_to_string(fixture("vrl/access_log_cases.json")).unwrap();
    let doc: Json = serde_json::from_str(&raw).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 42);
    let (mut matched, mut rejected, mut divergent) = (0, 0, 0);
    for case in cases {
        let function = case["function"].as_str().unwrap();
        let name = case["case"].as_str().unwrap();
        let input = case["args"]["value"].as_str().unwrap();
        let id = format!("{function}/{name}");
        let format = match (function, case["args"]["format"].as_str()) {
            ("parse_common_log", _) | (_, Some("common")) => Some(Format::Common),
            (_, Some("combined" | "main" | "ingress_upstreaminfo")) => Some(Format::Combined),
            // Error logs are another format: neither access-log parser may
            // accept them.
            (_, Some("error")) => None,
            (_, other) => panic!("{id}: unexpected format {other:?}"),
        };
        if DIVERGENT
            .iter()
            .any(|(f, c, _)| *f == function && *c == name)
        {
            assert!(
                parse(format.unwrap(), input.as_bytes()).is_err(),
                "{id}: picket rejects it"
            );
            divergent += 1;
            continue;
        }
        let Some(format) = format else {
            for f in [Format::Combined, Format::Common] {
                assert!(
                    parse(f, input.as_bytes()).is_err(),
                    "{id}: {f} accepted an error log"
                );
            }
            rejected += 1;
            continue;
        };
        match case.get("want_error") {
            Some(_) => {
                assert!(
                    parse(format, input.as_bytes()).is_err(),
                    "{id}: VRL rejects it"
                );
                rejected += 1;
            }
            None => {
                let ev = parse(format, input.as_bytes())
                    .unwrap_or_else(|e| panic!("{id}: {e}\n{input}"));
                let want = vrl_to_picket(case["want"].as_object().unwrap());
                assert_eq!(compared_fields(&ev), want, "{id}\n{input}");
                matched += 1;
            }
        }
    }
    assert_eq!((matched, rejected, divergent), (18, 19, 5));
}

/// Every line must parse as combined; returns the number of lines.
fn parse_all(text: &[u8]) -> usize {
    let mut n = 0;
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Err(e) = parse(Format::Combined, line) {
            panic!("line {}: {e}\n{}", i + 1, String::from_utf8_lossy(line));
        }
        n += 1;
    }
    n
}

#[test]
fn apache_excerpt_parses_without_errors() {
    let text = std::fs::read(fixture("apache/apache_logs_excerpt.log")).unwrap();
    assert_eq!(parse_all(&text), 500);
    assert_eq!(sniff(&text), Some(Format::Combined));

    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let ev = parse(Format::Combined, lines[0]).unwrap();
    let got = |f: Field| ev.get(f).map(Value::to_string);
    assert_eq!(ev.timestamp.unwrap().to_string(), "2015-05-17T10:05:03Z");
    assert_eq!(got(Field::SourceIp).as_deref(), Some("83.149.9.216"));
    assert_eq!(
        got(Field::UrlPath).as_deref(),
        Some("/presentations/logstash-monitorama-2013/images/kibana-search.png")
    );
    assert_eq!(got(Field::HttpResponseBodyBytes).as_deref(), Some("203023"));
    assert_eq!(
        got(Field::UserAgentOriginal).as_deref(),
        Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 \
             (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"
        )
    );

    // Non-UTF-8 (cp1251) bytes escaped by Apache become U+FFFD.
    let cyrillic = lines
        .iter()
        .find(|l| l.windows(4).any(|w| w == br"\xe4"))
        .unwrap();
    let ev = parse(Format::Combined, cyrillic).unwrap();
    let referrer = ev.get_str(Field::HttpRequestReferrer).unwrap();
    assert!(
        referrer.starts_with("http://\u{fffd}\u{fffd}"),
        "{referrer}"
    );

    // The line cut inside its user agent keeps every field.
    let cut = lines.iter().find(|l| l.ends_with(b"bot.html")).unwrap();
    let ev = parse(Format::Combined, cut).unwrap();
    assert_eq!(
        ev.get_str(Field::UserAgentOriginal),
        Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html")
    );
}

#[test]
fn apache_full_sample_when_shared_data_exists() {
    let data = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = data.join("elastic-examples/Common Data Formats/apache_logs/apache_logs");
    let Ok(text) = std::fs::read(&path) else {
        eprintln!(
            "note: {} not found, skipping the full 10,000-line check",
            path.display()
        );
        return;
    };
    assert_eq!(parse_all(&text), 10_000);
}

#[test]
fn sniff_tells_common_from_combined() {
    let common = "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 200 2326\n\
                  127.0.0.1 - - [10/Oct/2000:13:55:37 -0700] \"GET /b HTTP/1.0\" 404 -\n";
    assert_eq!(sniff(common.as_bytes()), Some(Format::Common));

    let combined = "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\r\n\
                    ::1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\" \"1.2.3.4\" 0.002\r\n";
    assert_eq!(sniff(combined.as_bytes()), Some(Format::Combined));

    let vhost = "example.com:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n";
    assert_eq!(sniff(vhost.as_bytes()), Some(Format::Combined));

    // Mostly common with one combined line is still common.
    let mostly_common = format!("{common}{common}{}", combined.lines().next().unwrap());
    assert_eq!(sniff(mostly_common.as_bytes()), Some(Format::Common));

    let nginx_error = "2021/04/01 13:02:31 [error] 31#31: *1 open() \"/x\" failed (2: No such file or directory), client: 172.17.0.1\n";
    assert_eq!(sniff(nginx_error.as_bytes()), None);
}
