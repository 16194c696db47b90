//! The `json` format's field mapping: for each SPEC field, an ordered list of
//! candidate source paths; the first candidate present in a line (whose value
//! converts) wins. The built-in table covers ECS-shaped input, nginx
//! `escape=json` logs with the usual variable names, Caddy and Envoy; see
//! `docs/FORMATS.md` for the table as users read it.

use crate::event::Field;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// How a candidate's value becomes event fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Conv {
    /// `@timestamp`: RFC 3339 (and variants), nginx `time_local`, or an
    /// epoch number or numeric text (unit guessed from the magnitude).
    Time,
    /// A text field as is (lists keep their first element, `tags` all).
    Text(Field),
    /// A non-negative integer field (number or digit text).
    Int(Field),
    /// A client address: `source.ip`, `ip:port` also sets `source.port`, a
    /// host name goes to `source.domain`.
    Source,
    /// A request target: `url.original`, `url.path`, `url.query`, `db.*`.
    Url,
    /// nginx `$request` (`GET /x HTTP/1.1`): method, target and version,
    /// each only when no better candidate set it.
    RequestLine,
    /// `http.response.status_code` (100–599), and `event.outcome` from it.
    Status,
    /// `http.version`, without a leading `HTTP/`.
    HttpVersion,
    /// `network.forwarded_ip`: the first valid address of a list.
    FirstIp,
    /// `event.duration` from seconds (float or text).
    Seconds,
    /// `event.duration` from milliseconds.
    Millis,
    /// `event.duration` already in nanoseconds.
    Nanos,
    /// `event.duration` from Caddy's seconds, or Envoy's milliseconds when
    /// the line has Envoy's `response_code`.
    SecondsOrEnvoyMillis,
}

/// One candidate source path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Dotted path in the JSON object (`request.headers.User-Agent`).
    pub path: Cow<'static, str>,
    /// What its value becomes.
    pub conv: Conv,
}

/// Candidate paths per field; see the module docs.
#[derive(Clone, Debug)]
pub struct JsonMapping {
    groups: Vec<(Cow<'static, str>, Vec<Candidate>)>,
    /// Path → (group, rank within the group).
    index: HashMap<Cow<'static, str>, (u16, u16), BuildHasherDefault<Fnv>>,
}

/// FNV-1a: every leaf of every line is looked up here, and the keys are
/// short and trusted (the table's own paths), so SipHash's DoS resistance
/// buys nothing and costs a third of the lookup.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Fields whose names are never taken from input: picket derives them.
const DERIVED: &[Field] = &[Field::Tenant, Field::Staff];

impl JsonMapping {
    /// The built-in table.
    pub fn builtin() -> Self {
        use Conv::*;
        use Field as F;
        let t = |f| Text(f);
        let table: &[(&str, &[(&str, Conv)])] = &[
            (
                "@timestamp",
                &[
                    ("@timestamp", Time),
                    ("timestamp", Time),
                    ("time", Time),
                    ("time_iso8601", Time),
                    ("time_local", Time),
                    ("ts", Time),
                    ("start_time", Time),
                    ("datetime", Time),
                    ("msec", Time),
                ],
            ),
            (
                "source.ip",
                &[
                    ("source.ip", Source),
                    ("source.address", Source),
                    ("client.ip", Source),
                    ("client.address", Source),
                    ("client_ip", Source),
                    ("clientip", Source),
                    ("request.client_ip", Source),
                    ("request.remote_ip", Source),
                    ("remote_addr", Source),
                    ("remote_ip", Source),
                    ("downstream_remote_address", Source),
                    ("ip", Source),
                ],
            ),
            (
                "source.port",
                &[
                    ("source.port", Int(F::SourcePort)),
                    ("client.port", Int(F::SourcePort)),
                    ("remote_port", Int(F::SourcePort)),
                    ("request.remote_port", Int(F::SourcePort)),
                ],
            ),
            (
                "user.name",
                &[
                    ("user.name", t(F::UserName)),
                    ("remote_user", t(F::UserName)),
                    ("username", t(F::UserName)),
                    ("user_name", t(F::UserName)),
                    ("user", t(F::UserName)),
                ],
            ),
            (
                "user.id",
                &[("user.id", t(F::UserId)), ("user_id", t(F::UserId))],
            ),
            (
                "http.request.method",
                &[
                    ("http.request.method", t(F::HttpRequestMethod)),
                    ("request_method", t(F::HttpRequestMethod)),
                    ("request.method", t(F::HttpRequestMethod)),
                    ("method", t(F::HttpRequestMethod)),
                    ("http_method", t(F::HttpRequestMethod)),
                ],
            ),
            (
                "url.original",
                &[
                    ("url.original", Url),
                    ("request_uri", Url),
                    ("request.uri", Url),
                    ("uri", Url),
                    ("path", Url),
                    ("url", Url),
                ],
            ),
            ("url.path", &[("url.path", t(F::UrlPath))]),
            ("url.query", &[("url.query", t(F::UrlQuery))]),
            ("request line", &[("request", RequestLine)]),
            (
                "http.version",
                &[
                    ("http.version", HttpVersion),
                    ("server_protocol", HttpVersion),
                    ("request.proto", HttpVersion),
                    ("protocol", HttpVersion),
                ],
            ),
            (
                "http.response.status_code",
                &[
                    ("http.response.status_code", Status),
                    ("status", Status),
                    ("response_code", Status),
                    ("status_code", Status),
                    ("statusCode", Status),
                    ("response.status_code", Status),
                    ("response.status", Status),
                ],
            ),
            (
                "http.response.body.bytes",
                &[
                    ("http.response.body.bytes", Int(F::HttpResponseBodyBytes)),
                    ("body_bytes_sent", Int(F::HttpResponseBodyBytes)),
                    ("bytes_sent", Int(F::HttpResponseBodyBytes)),
                    ("size", Int(F::HttpResponseBodyBytes)),
                    ("response.size", Int(F::HttpResponseBodyBytes)),
                ],
            ),
            (
                "http.request.body.bytes",
                &[
                    ("http.request.body.bytes", Int(F::HttpRequestBodyBytes)),
                    ("request_length", Int(F::HttpRequestBodyBytes)),
                    ("bytes_received", Int(F::HttpRequestBodyBytes)),
                    ("request.size", Int(F::HttpRequestBodyBytes)),
                ],
            ),
            (
                "http.request.referrer",
                &[
                    ("http.request.referrer", t(F::HttpRequestReferrer)),
                    ("http_referer", t(F::HttpRequestReferrer)),
                    ("http_referrer", t(F::HttpRequestReferrer)),
                    ("referer", t(F::HttpRequestReferrer)),
                    ("referrer", t(F::HttpRequestReferrer)),
                    ("request.headers.Referer", t(F::HttpRequestReferrer)),
                    ("request.headers.referer", t(F::HttpRequestReferrer)),
                ],
            ),
            (
                "user_agent.original",
                &[
                    ("user_agent.original", t(F::UserAgentOriginal)),
                    ("http_user_agent", t(F::UserAgentOriginal)),
                    ("user_agent", t(F::UserAgentOriginal)),
                    ("userAgent", t(F::UserAgentOriginal)),
                    ("request.headers.User-Agent", t(F::UserAgentOriginal)),
                    ("request.headers.user-agent", t(F::UserAgentOriginal)),
                    ("agent", t(F::UserAgentOriginal)),
                ],
            ),
            (
                "event.duration",
                &[
                    ("event.duration", Nanos),
                    ("request_time", Seconds),
                    ("duration", SecondsOrEnvoyMillis),
                    ("duration_ms", Millis),
                ],
            ),
            (
                "host.name",
                &[
                    ("host.name", t(F::HostName)),
                    ("hostname", t(F::HostName)),
                    ("host", t(F::HostName)),
                    ("server_name", t(F::HostName)),
                    ("request.host", t(F::HostName)),
                    ("authority", t(F::HostName)),
                    ("vhost", t(F::HostName)),
                ],
            ),
            (
                "network.forwarded_ip",
                &[
                    ("network.forwarded_ip", FirstIp),
                    ("http_x_forwarded_for", FirstIp),
                    ("x_forwarded_for", FirstIp),
                    ("request.headers.X-Forwarded-For", FirstIp),
                ],
            ),
        ];
        let mut groups: Vec<(Cow<'static, str>, Vec<Candidate>)> = table
            .iter()
            .map(|(name, cands)| {
                let cands = cands
                    .iter()
                    .map(|(path, conv)| Candidate {
                        path: Cow::Borrowed(*path),
                        conv: *conv,
                    })
                    .collect();
                (Cow::Borrowed(*name), cands)
            })
            .collect();
        // Every other well-known field maps from its own (ECS) name.
        for &f in Field::ALL {
            let taken = groups
                .iter()
                .any(|(_, c)| c.iter().any(|c| c.path == f.name()));
            if !taken && !DERIVED.contains(&f) {
                let conv = match f {
                    F::EventDuration => Nanos,
                    F::HttpResponseStatusCode => Status,
                    F::SourcePort
                    | F::HttpResponseBodyBytes
                    | F::HttpRequestBodyBytes
                    | F::UserAuditId => Int(f),
                    _ => Text(f),
                };
                groups.push((
                    Cow::Borrowed(f.name()),
                    vec![Candidate {
                        path: Cow::Borrowed(f.name()),
                        conv,
                    }],
                ));
            }
        }
        let mut m = JsonMapping {
            groups,
            index: HashMap::default(),
        };
        m.reindex();
        m
    }

    /// Replaces the candidates of the group named `field` (`"user.name"`,
    /// `"@timestamp"`, …), or adds a group after the others. An empty list
    /// disables the field.
    pub fn set(&mut self, field: &str, candidates: Vec<Candidate>) {
        match self.groups.iter_mut().find(|(n, _)| n == field) {
            Some((_, c)) => *c = candidates,
            None => self.groups.push((Cow::Owned(field.to_owned()), candidates)),
        }
        self.reindex();
    }

    /// The groups in the order they are applied: `(field, candidates)`.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &[Candidate])> {
        self.groups.iter().map(|(n, c)| (n.as_ref(), c.as_slice()))
    }

    /// The group and rank of a path, if it is a candidate.
    #[inline]
    pub(super) fn lookup(&self, path: &str) -> Option<(u16, u16)> {
        self.index.get(path).copied()
    }

    /// The candidate at a group and rank.
    pub(super) fn candidate(&self, group: u16, rank: u16) -> Option<&Candidate> {
        self.groups
            .get(usize::from(group))?
            .1
            .get(usize::from(rank))
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (g, (_, cands)) in self.groups.iter().enumerate() {
            for (r, c) in cands.iter().enumerate() {
                // A path in two groups belongs to the first.
                self.index
                    .entry(c.path.clone())
                    .or_insert((g as u16, r as u16));
            }
        }
    }
}

impl Default for JsonMapping {
    fn default() -> Self {
        Self::builtin()
    }
}
