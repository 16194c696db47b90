//! RFC 5424 syslog over UDP (one datagram per alert) or TCP (RFC 6587
//! octet counting).
//!
//! `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [picket@32473 rule=… level=… kind=…] MSG`
//! with the severity from the rule level and MSG the alert's safe JSON
//! line: no control characters reach the receiver, so a log line cannot
//! forge syslog records or terminal sequences. 32473 is the example
//! enterprise number of RFC 5612.

use super::{SendError, Transport};
use crate::sink::render::escape_text;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const FACILITIES: &[(&str, u8)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// Syslog severity of a Sigma level.
fn severity(level: &str) -> u8 {
    match level {
        "critical" => 2,
        "high" => 3,
        "medium" => 4,
        "low" => 5,
        _ => 6,
    }
}

/// A header field: printable ASCII without spaces, at most `max`, `-` if empty.
fn header_field(s: &str, max: usize) -> String {
    let v: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if v.is_empty() { "-".into() } else { v }
}

/// An SD-PARAM value: `"`, `\` and `]` escaped, controls escaped.
fn sd_value(s: &str) -> String {
    let mut out = String::new();
    for c in escape_text(s).chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

enum Conn {
    Udp(UdpSocket),
    Tcp(Option<TcpStream>),
}

/// Sends alerts to a syslog receiver.
pub struct SyslogTransport {
    addr: SocketAddr,
    conn: Conn,
    facility: u8,
    app: String,
    host: String,
    timeout: Duration,
}

impl std::fmt::Debug for SyslogTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyslogTransport")
            .field("addr", &self.addr)
            .finish()
    }
}

impl SyslogTransport {
    /// A transport to `udp://host:port` or `tcp://host:port`.
    pub fn new(
        address: &str,
        facility: &str,
        app: &str,
        timeout: Duration,
    ) -> Result<Self, String> {
        let (proto, rest) = address.split_once("://").ok_or_else(|| {
            format!("address `{address}`: expected udp://host:port or tcp://host:port")
        })?;
        let addr = rest
            .to_socket_addrs()
            .map_err(|e| format!("address `{address}`: {e}"))?
            .next()
            .ok_or_else(|| format!("address `{address}` resolves to nothing"))?;
        let facility = FACILITIES
            .iter()
            .find(|(n, _)| *n == facility)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("unknown facility `{facility}`"))?;
        let conn = match proto {
            "udp" => {
                let bind = if addr.is_ipv4() {
                    "0.0.0.0:0"
                } else {
                    "[::]:0"
                };
                let s = UdpSocket::bind(bind).map_err(|e| format!("udp socket: {e}"))?;
                s.connect(addr).map_err(|e| format!("udp connect: {e}"))?;
                Conn::Udp(s)
            }
            "tcp" => Conn::Tcp(None),
            other => return Err(format!("address `{address}`: unknown protocol `{other}`")),
        };
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        Ok(SyslogTransport {
            addr,
            conn,
            facility,
            app: header_field(app, 48),
            host: header_field(host.trim(), 255),
            timeout,
        })
    }

    /// The RFC 5424 message of one alert line.
    pub fn format(&self, line: &str, now: OffsetDateTime) -> String {
        let a: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        let level = s(&a["rule"]["level"]);
        let pri = u16::from(self.facility) * 8 + u16::from(severity(&level));
        let ts = now.format(&Rfc3339).unwrap_or_else(|_| "-".into());
        format!(
            "<{pri}>1 {ts} {} {} {} alert [picket@32473 rule=\"{}\" level=\"{}\" kind=\"{}\"] {line}",
            self.host,
            self.app,
            std::process::id(),
            sd_value(&s(&a["rule"]["id"])),
            sd_value(&level),
            sd_value(&s(&a["kind"])),
        )
    }

    fn send_one(&mut self, msg: &str) -> std::io::Result<()> {
        match &mut self.conn {
            Conn::Udp(s) => s.send(msg.as_bytes()).map(|_| ()),
            Conn::Tcp(slot) => {
                if slot.is_none() {
                    let s = TcpStream::connect_timeout(&self.addr, self.timeout)?;
                    s.set_write_timeout(Some(self.timeout))?;
                    *slot = Some(s);
                }
                let Some(s) = slot.as_mut() else {
                    return Err(std::io::Error::other("not connected"));
                };
                let r = write!(s, "{} {msg}", msg.len());
                if r.is_err() {
                    *slot = None; // reconnect on the retry
                }
                r
            }
        }
    }
}

impl Transport for SyslogTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        let now = OffsetDateTime::now_utc();
        for (i, line) in alerts.iter().enumerate() {
            let msg = self.format(line, now);
            if let Err(e) = self.send_one(&msg) {
                let mut err = if e.raw_os_error() == Some(90) {
                    // EMSGSIZE: the datagram can never fit.
                    SendError::permanent(format!("syslog: message too large ({} bytes)", msg.len()))
                } else {
                    SendError::transient(format!("syslog {}: {}", self.addr, e.kind()))
                };
                err.delivered = i;
                return Err(err);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const LINE: &str = r#"{"rule":{"id":"r\"]x","title":"t","level":"high","tags":[]},"kind":"match","entity":{},"log":{"file":{"path":"a"},"line":1,"offset":0},"message":"m \u001b[2J"}"#;

    #[test]
    fn formats_rfc5424_with_escaped_structured_data() {
        let t = SyslogTransport::new(
            "udp://127.0.0.1:9",
            "local3",
            "pick et",
            Duration::from_secs(1),
        )
        .unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_772_438_401).unwrap();
        let m = t.format(LINE, now);
        // local3 (19) * 8 + err (3) = 155.
        assert!(m.starts_with("<155>1 2026-03-02T08:00:01Z "), "{m}");
        assert!(m.contains(" picket "), "app name without spaces: {m}");
        assert!(
            m.contains(r#"rule="r\"\]x" level="high" kind="match"]"#),
            "{m}"
        );
        assert!(!m.chars().any(|c| c.is_control()), "{m}");
        assert!(
            SyslogTransport::new("udp://127.0.0.1:9", "nope", "p", Duration::from_secs(1)).is_err()
        );
        assert!(
            SyslogTransport::new("127.0.0.1:9", "local0", "p", Duration::from_secs(1)).is_err()
        );
    }

    #[test]
    fn delivers_over_udp_and_tcp() {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = udp.local_addr().unwrap();
        let mut t = SyslogTransport::new(
            &format!("udp://{addr}"),
            "local0",
            "picket",
            Duration::from_secs(1),
        )
        .unwrap();
        t.send(&[LINE.to_string()]).unwrap();
        let mut buf = [0u8; 4096];
        let n = udp.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("<131>1 "));

        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut t = SyslogTransport::new(
            &format!("tcp://{addr}"),
            "local0",
            "picket",
            Duration::from_secs(1),
        )
        .unwrap();
        t.send(&[LINE.to_string(), LINE.to_string()]).unwrap();
        drop(t);
        let (mut s, _) = l.accept().unwrap();
        let mut got = String::new();
        s.read_to_string(&mut got).unwrap();
        let (len, rest) = got.split_once(' ').unwrap();
        let len: usize = len.parse().unwrap();
        assert!(rest.len() > len, "two framed messages");
        assert!(rest.get(..len).unwrap().ends_with('}'));
    }
}
