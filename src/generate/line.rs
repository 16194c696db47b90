//! One request, and how it is written as an nginx `combined` line.

use super::text::{push_clf_time, push_secs_millis, push_u64};
use super::world::Actor;

/// The request being built for the next line. Buffers are reused from line
/// to line, so building a line allocates nothing once they have grown.
pub(super) struct Req {
    pub(super) ip: Vec<u8>,
    /// Empty means `-`.
    pub(super) user: Vec<u8>,
    pub(super) method: &'static str,
    /// Path and query, exactly as sent.
    pub(super) target: Vec<u8>,
    pub(super) proto: &'static str,
    pub(super) status: u16,
    pub(super) bytes: u64,
    /// Empty means `-`.
    pub(super) referrer: Vec<u8>,
    pub(super) ua: &'static str,
    /// `X-Forwarded-For` for the trailing fields; empty means `-`.
    pub(super) xff: Vec<u8>,
    /// `$request_time` in milliseconds for the trailing fields.
    pub(super) rt_ms: u32,
}

impl Req {
    pub(super) fn new() -> Self {
        Req {
            ip: Vec::with_capacity(40),
            user: Vec::with_capacity(32),
            method: "GET",
            target: Vec::with_capacity(256),
            proto: "HTTP/1.1",
            status: 200,
            bytes: 0,
            referrer: Vec::with_capacity(128),
            ua: "-",
            xff: Vec::with_capacity(64),
            rt_ms: 5,
        }
    }

    pub(super) fn clear(&mut self) {
        self.ip.clear();
        self.user.clear();
        self.target.clear();
        self.referrer.clear();
        self.xff.clear();
        self.method = "GET";
        self.proto = "HTTP/1.1";
        self.status = 200;
        self.bytes = 0;
        self.ua = "-";
        self.rt_ms = 5;
    }

    /// Takes address, user name and user agent from `a`.
    pub(super) fn actor(&mut self, a: &Actor) {
        self.ip.clear();
        self.ip.extend_from_slice(a.ip.as_bytes());
        self.user.clear();
        if a.name != "-" {
            self.user.extend_from_slice(a.name.as_bytes());
        }
        self.ua = a.ua;
    }
}

/// Writes lines, re-formatting the timestamp only when the second changes.
pub(super) struct LineWriter {
    stamp_sec: i64,
    stamp: Vec<u8>,
}

impl LineWriter {
    pub(super) fn new() -> Self {
        LineWriter {
            stamp_sec: i64::MIN,
            stamp: Vec::with_capacity(32),
        }
    }

    /// Appends `req` at Unix second `secs` as one combined line plus `\n`;
    /// with `trailing`, nginx's extra `"$http_x_forwarded_for" $request_time`.
    pub(super) fn write(&mut self, out: &mut Vec<u8>, req: &Req, secs: i64, trailing: bool) {
        if secs != self.stamp_sec {
            self.stamp.clear();
            push_clf_time(&mut self.stamp, secs);
            self.stamp_sec = secs;
        }
        out.extend_from_slice(&req.ip);
        out.extend_from_slice(b" - ");
        or_dash(out, &req.user);
        out.extend_from_slice(b" [");
        out.extend_from_slice(&self.stamp);
        out.extend_from_slice(b"] \"");
        out.extend_from_slice(req.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(&req.target);
        out.push(b' ');
        out.extend_from_slice(req.proto.as_bytes());
        out.extend_from_slice(b"\" ");
        push_u64(out, u64::from(req.status));
        out.push(b' ');
        push_u64(out, req.bytes);
        out.extend_from_slice(b" \"");
        or_dash(out, &req.referrer);
        out.extend_from_slice(b"\" \"");
        out.extend_from_slice(req.ua.as_bytes());
        out.push(b'"');
        if trailing {
            out.extend_from_slice(b" \"");
            or_dash(out, &req.xff);
            out.extend_from_slice(b"\" ");
            push_secs_millis(out, req.rt_ms);
        }
        out.push(b'\n');
    }
}

fn or_dash(out: &mut Vec<u8>, v: &[u8]) {
    if v.is_empty() {
        out.push(b'-');
    } else {
        out.extend_from_slice(v);
    }
}

/// An instant of event time with the calendar facts scenarios depend on.
#[derive(Copy, Clone, Debug)]
pub(super) struct Moment {
    pub(super) ns: i64,
    pub(super) hour: u32,
    /// 0 = Monday … 6 = Sunday.
    pub(super) weekday: u32,
}

/// Nanoseconds per second, minute, hour and day of event time.
pub(super) const SEC: i64 = 1_000_000_000;
pub(super) const MIN: i64 = 60 * SEC;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;

impl Moment {
    pub(super) fn at(ns: i64) -> Self {
        let days = ns.div_euclid(DAY);
        Moment {
            ns,
            hour: (ns.rem_euclid(DAY) / HOUR) as u32,
            // 1970-01-01 was a Thursday.
            weekday: (days + 3).rem_euclid(7) as u32,
        }
    }

    pub(super) fn secs(self) -> i64 {
        self.ns.div_euclid(SEC)
    }

    /// Monday–Friday 08:00–19:00 UTC: picket's default staff business hours.
    pub(super) fn business_hours(self) -> bool {
        self.weekday < 5 && (8..19).contains(&self.hour)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_combined_with_and_without_trailing_fields() {
        let mut req = Req::new();
        req.ip.extend_from_slice(b"203.0.113.9");
        req.user.extend_from_slice(b"app-7");
        req.target
            .extend_from_slice(b"/acme_customers/_all_docs?include_docs=true");
        req.bytes = 183_422;
        req.ua = "python-requests/2.31.0";
        let t = crate::event::days_from_civil(2026, 3, 2) * 86_400 + 8 * 3600 + 1;
        let mut w = LineWriter::new();
        let mut out = Vec::new();
        w.write(&mut out, &req, t, false);
        req.rt_ms = 12;
        w.write(&mut out, &req, t, true);
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            r#"203.0.113.9 - app-7 [02/Mar/2026:08:00:01 +0000] "GET /acme_customers/_all_docs?include_docs=true HTTP/1.1" 200 183422 "-" "python-requests/2.31.0""#
        );
        assert!(
            lines
                .next()
                .unwrap()
                .ends_with(r#""python-requests/2.31.0" "-" 0.012"#)
        );
    }

    #[test]
    fn calendar() {
        let monday = crate::event::days_from_civil(2026, 3, 2) * DAY;
        let m = Moment::at(monday + 3 * HOUR);
        assert_eq!((m.weekday, m.hour, m.business_hours()), (0, 3, false));
        assert!(Moment::at(monday + 9 * HOUR).business_hours());
        assert!(!Moment::at(monday + 5 * DAY + 9 * HOUR).business_hours());
    }
}
