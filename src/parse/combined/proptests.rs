//! Property tests: the parser never panics, and on generated valid lines it
//! returns exactly the generated values.

use super::*;
use crate::event::Origin;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Escapes a value the way servers do: nginx writes `\xHH` for `"`, `\`
/// and bytes outside printable ASCII; Apache writes `\"` and `\\` and
/// `\xhh` for the rest.
fn escape(value: &str, apache: bool) -> String {
    let mut out = String::new();
    for &b in value.as_bytes() {
        match b {
            b'"' if apache => out.push_str("\\\""),
            b'\\' if apache => out.push_str("\\\\"),
            b'"' | b'\\' | 0..0x20 | 0x7f.. if !apache => out.push_str(&format!("\\x{b:02X}")),
            0..0x20 | 0x7f.. => out.push_str(&format!("\\x{b:02x}")),
            _ => out.push(char::from(b)),
        }
    }
    out
}

#[derive(Debug, Clone)]
enum GenClient {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    Name(String),
}

impl GenClient {
    fn text(&self) -> String {
        match self {
            GenClient::V4(a) => a.to_string(),
            GenClient::V6(a) => a.to_string(),
            GenClient::Name(n) => n.clone(),
        }
    }
}

fn hostname() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){1,3}"
}

fn gen_client() -> impl Strategy<Value = GenClient> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| GenClient::V4(Ipv4Addr::from(o))),
        any::<[u16; 8]>().prop_map(|s| GenClient::V6(Ipv6Addr::from(s))),
        hostname().prop_map(GenClient::Name),
    ]
}

/// Text with characters that need escaping (quotes, backslashes, control
/// bytes, non-ASCII), never empty and never `-`.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[ -~\"\\\\\t\né日\u{7f}]{{1,{max}}}"))
        .expect("regex")
        .prop_filter("absent markers", |s| s != "-")
}

/// A path of segments with characters that need escaping, no space, `?` or
/// `#` (those would change the target's shape).
fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-zA-Z0-9._~%@\"\\\\é\u{1}-]{0,8}", 0..4)
        .prop_map(|segs| format!("/{}", segs.join("/")))
}

#[derive(Debug, Clone)]
struct GenLine {
    vhost: Option<(String, Option<u16>)>,
    client: GenClient,
    user: Option<String>,
    /// Seconds since the epoch, and offset in minutes.
    time: (i64, i32),
    method: &'static str,
    path: String,
    query: Option<String>,
    version: &'static str,
    status: Option<u16>,
    bytes: Option<i64>,
    referrer: Option<String>,
    agent: Option<String>,
    forwarded: Option<Ipv4Addr>,
    request_ms: Option<u32>,
    apache_escapes: bool,
}

prop_compose! {
    fn gen_line()(
        vhost in proptest::option::of((hostname(), proptest::option::of(any::<u16>()))),
        client in gen_client(),
        user in proptest::option::of("[a-zA-Z0-9._@%\"\\\\é-]{1,12}".prop_filter("not -", |u| u != "-")),
        secs in -5_000_000_000i64..7_000_000_000,
        offset in -(14 * 60)..=(14 * 60),
        method in prop::sample::select(&["GET", "POST", "PUT", "DELETE", "HEAD", "PROPFIND", "M-SEARCH"][..]),
        path in path(),
        query in proptest::option::of("[a-z0-9=&%._\"\\\\é-]{0,20}"),
        version in prop::sample::select(&["1.0", "1.1", "2.0"][..]),
        status in proptest::option::of(100u16..=599),
        bytes in proptest::option::of(0i64..1_000_000_000_000),
        referrer in proptest::option::of(text(40)),
        agent in proptest::option::of(text(60)),
        forwarded in proptest::option::of(any::<[u8; 4]>().prop_map(Ipv4Addr::from)),
        request_ms in proptest::option::of(0u32..100_000),
        apache_escapes in any::<bool>(),
    ) -> GenLine {
        GenLine {
            vhost, client, user, time: (secs, offset), method, path, query, version, status,
            bytes, referrer, agent, forwarded, request_ms, apache_escapes,
        }
    }
}

impl GenLine {
    fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    fn render(&self) -> String {
        let esc = |s: &str| escape(s, self.apache_escapes);
        let mut line = String::new();
        if let Some((host, port)) = &self.vhost {
            line.push_str(host);
            if let Some(port) = port {
                line.push_str(&format!(":{port}"));
            }
            line.push(' ');
        }
        let (secs, off) = self.time;
        let local = secs + i64::from(off) * 60;
        let t = Timestamp::from_unix(local, 0)
            .to_datetime()
            .expect("in range");
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let sign = if off < 0 { '-' } else { '+' };
        line.push_str(&format!(
            "{} - {} [{:02}/{}/{:04}:{:02}:{:02}:{:02} {sign}{:02}{:02}] ",
            self.client.text(),
            self.user.as_deref().map_or("-".to_string(), esc),
            t.day(),
            MONTHS[usize::from(u8::from(t.month())) - 1],
            t.year(),
            t.hour(),
            t.minute(),
            t.second(),
            off.unsigned_abs() / 60,
            off.unsigned_abs() % 60,
        ));
        line.push_str(&format!(
            "\"{} {} HTTP/{}\" ",
            self.method,
            esc(&self.target()),
            self.version
        ));
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        line.push_str(&format!(
            "{} {} \"{}\" \"{}\"",
            or_dash(self.status.map(|s| s.to_string())),
            or_dash(self.bytes.map(|b| b.to_string())),
            self.referrer.as_deref().map_or("-".to_string(), esc),
            self.agent.as_deref().map_or("-".to_string(), esc),
        ));
        if let Some(ip) = self.forwarded {
            line.push_str(&format!(" \"{ip}, 10.0.0.1\""));
        }
        if let Some(ms) = self.request_ms {
            line.push_str(&format!(" {}.{:03}", ms / 1000, ms % 1000));
        }
        line
    }

    /// The fields the parser must produce, minus `db.*` (tested in `url`).
    fn expected(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        if let Some((host, port)) = &self.vhost {
            put("host.name", host.clone());
            if let Some(port) = port {
                put("server.port", port.to_string());
            }
        }
        match &self.client {
            GenClient::Name(n) => put("source.domain", n.clone()),
            other => put("source.ip", other.text()),
        }
        if let Some(user) = &self.user {
            put("user.name", user.clone());
        }
        put(
            "@timestamp",
            Timestamp::from_unix(self.time.0, 0).to_string(),
        );
        put("http.request.method", self.method.into());
        put("url.original", self.target());
        put("url.path", self.path.clone());
        if let Some(q) = &self.query {
            put("url.query", q.clone());
        }
        put("http.version", self.version.into());
        if let Some(s) = self.status {
            put("http.response.status_code", s.to_string());
            put(
                "event.outcome",
                if s < 400 { "success" } else { "failure" }.into(),
            );
        }
        if let Some(b) = self.bytes {
            put("http.response.body.bytes", b.to_string());
        }
        if let Some(r) = &self.referrer {
            put("http.request.referrer", r.clone());
        }
        if let Some(a) = &self.agent {
            put("user_agent.original", a.clone());
        }
        if let Some(ip) = self.forwarded {
            put("network.forwarded_ip", ip.to_string());
        }
        if let Some(ms) = self.request_ms {
            put("event.duration", (i64::from(ms) * 1_000_000).to_string());
        }
        m
    }
}

fn parsed(p: &CombinedParser, line: &[u8]) -> Result<BTreeMap<String, String>, ParseError> {
    let mut ev = Event::new(p.format(), Origin::default());
    p.parse(line, &mut ev)?;
    let mut m: BTreeMap<String, String> = ev
        .fields()
        .filter(|(f, _)| !matches!(f, Field::DbName | Field::DbDocId))
        .map(|(f, v)| (f.name().to_string(), v.to_string()))
        .collect();
    if let Some(ts) = ev.timestamp {
        m.insert("@timestamp".into(), ts.to_string());
    }
    Ok(m)
}

proptest! {
    #[test]
    fn generated_lines_round_trip(g in gen_line()) {
        let line = g.render();
        prop_assert_eq!(parsed(&CombinedParser::combined(), line.as_bytes()), Ok(g.expected()), "{}", line);
    }

    #[test]
    fn common_parser_reads_the_common_part(g in gen_line()) {
        let line = g.render();
        let mut want = g.expected();
        for combined_only in ["http.request.referrer", "user_agent.original", "network.forwarded_ip", "event.duration"] {
            want.remove(combined_only);
        }
        prop_assert_eq!(parsed(&CombinedParser::common(), line.as_bytes()), Ok(want), "{}", line);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parsed(&CombinedParser::combined(), &b);
        let _ = parsed(&CombinedParser::common(), &b);
    }

    #[test]
    fn never_panics_on_mutated_lines(
        g in gen_line(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut b = g.render().into_bytes();
        for (at, byte, kind) in edits {
            let i = at.index(b.len() + 1);
            match kind {
                0 if i < b.len() => b[i] = byte,
                1 if i < b.len() => { b.remove(i); }
                _ => b.insert(i, byte),
            }
        }
        let _ = parsed(&CombinedParser::combined(), &b);
        let _ = parsed(&CombinedParser::common(), &b);
        let _ = crate::parse::sniff(&b);
    }
}
