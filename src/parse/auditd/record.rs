//! One audit record (one line): the header that keys it to an event, and
//! the `key=value` fields of its body.
//!
//! ```text
//! node=web-1 type=SYSCALL msg=audit(1615150974.493:21028): arch=c000003e syscall=59 … key="k"\x1dARCH=x86_64 SYSCALL=execve AUID="user"
//! [NODE]     TYPE         TIMESTAMP      SERIAL           BODY (raw fields)                  ENRICHED (optional, after 0x1d)
//! ```
//!
//! Values are decoded the way auditd writes them: `"quoted"` text, hex for
//! untrusted strings that needed it (`name=2F746D70`, `proctitle=…`), `?`
//! and `(null)` for nothing, 4294967295 (`(uint32)-1`) for an unset id.
//! User-space messages nest their fields in `msg='…'`, which is flattened.

use super::super::{ParseError, Reason};
use std::borrow::Cow;

/// The enriched format's separator between raw and interpreted fields.
pub(crate) const ENRICHED_SEP: u8 = 0x1d;

/// `(uint32)-1`: an id that was never set.
const UNSET: &str = "4294967295";

/// A record's header: what groups records into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// `node=` name (multi-host aggregation), if any.
    pub node: Option<&'a str>,
    /// The record type as written: `SYSCALL`, `USER_LOGIN`, `1400`, `UNKNOWN[1336]`.
    pub rtype: &'a str,
    /// Seconds of the event's time.
    pub secs: u64,
    /// Milliseconds of the event's time.
    pub millis: u32,
    /// The event's serial number.
    pub serial: u64,
    /// Byte position of the body (after `):`) in the line.
    pub body_at: usize,
}

impl Header<'_> {
    /// Event time in milliseconds since the epoch (saturating).
    pub(crate) fn time_ms(&self) -> i64 {
        i64::try_from(self.secs)
            .unwrap_or(i64::MAX / 1000)
            .saturating_mul(1000)
            .saturating_add(i64::from(self.millis))
    }

    /// How the record takes part in grouping.
    pub(crate) fn kind(&self) -> Kind {
        kind_of(self.rtype)
    }
}

/// How a record takes part in grouping records into events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `EOE`: ends a multi-record event.
    End,
    /// A record sent by user space (logins, PAM, daemon messages): an event
    /// on its own, never followed by `EOE`.
    Single,
    /// A kernel record that may be one of several (`SYSCALL`, `PATH`, …).
    Part,
}

/// Record type numbers of the names auditd writes, for the ranges that
/// decide [`Kind`] (linux/audit.h).
fn kind_of(rtype: &str) -> Kind {
    let number = rtype
        .strip_prefix("UNKNOWN[")
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rtype)
        .parse::<u32>()
        .ok();
    if let Some(n) = number {
        return match n {
            1320 => Kind::End,
            1100..=1299 | 2100..=2999 => Kind::Single,
            _ => Kind::Part,
        };
    }
    if rtype == "EOE" {
        return Kind::End;
    }
    // User-space and daemon message names (1100–1299, 2100–2999).
    const SINGLE_PREFIXES: &[&str] = &[
        "USER_",
        "USYS_",
        "DAEMON_",
        "CRED_",
        "CRYPTO_",
        "ADD_",
        "DEL_",
        "GRP_",
        "ROLE_",
        "ACCT_",
        "LABEL_",
        "TRUSTED_",
        "SERVICE_",
        "SYSTEM_",
        "ANOM_LOGIN",
        "ANOM_ROOT",
        "ANOM_AMTU",
        "ANOM_RBAC",
        "ANOM_CRYPTO",
        "ANOM_ADD",
        "ANOM_DEL",
        "ANOM_MOD",
        "ANOM_MAX",
        "ANOM_EXEC",
        "ANOM_ACCESS",
        "RESP_",
        "AVC_PATH_",
        "MAC_CHECK",
        "SOFTWARE_UPDATE",
        "TEST",
        "CHGRP_ID",
        "CHUSER_ID",
        "CHAUTHTOK",
        "DEV_",
        "VIRT_",
        "INTEGRITY_",
        "FS_RELABEL",
    ];
    if SINGLE_PREFIXES.iter().any(|p| rtype.starts_with(p)) && !rtype.starts_with("INTEGRITY_RULE")
    {
        Kind::Single
    } else {
        Kind::Part
    }
}

/// Reads a record's header. Accepts `[node=N ]type=T msg=audit(S.MS:SERIAL):`
/// and the kernel-log spelling `type=T audit(S.MS:SERIAL):`.
pub(crate) fn header(line: &[u8]) -> Result<Header<'_>, ParseError> {
    let mut pos = 0;
    let mut node = None;
    if let Some(rest) = line.strip_prefix(b"node=") {
        let end = memchr::memchr(b' ', rest).ok_or(ParseError::at(Reason::Truncated, 5))?;
        node = Some(text(&rest[..end], 5)?);
        pos = 5 + end + 1;
    }
    let rest = line
        .get(pos..)
        .and_then(|r| r.strip_prefix(b"type="))
        .ok_or(ParseError::at(Reason::WrongShape, pos))?;
    pos += 5;
    let end = memchr::memchr(b' ', rest).ok_or(ParseError::at(Reason::Truncated, pos))?;
    let rtype = text(&rest[..end], pos)?;
    if rtype.is_empty() || !rtype.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ParseError::at(Reason::WrongShape, pos));
    }
    pos += end + 1;
    let rest = &line[pos..];
    let skip = if rest.starts_with(b"msg=audit(") {
        10
    } else if rest.starts_with(b"audit(") {
        6
    } else {
        return Err(ParseError::at(Reason::WrongShape, pos));
    };
    pos += skip;
    let rest = &line[pos..];
    let close = memchr::memchr(b')', rest).ok_or(ParseError::at(Reason::Truncated, pos))?;
    let (secs, millis, serial) =
        event_id(&rest[..close]).ok_or(ParseError::at(Reason::BadTimestamp, pos))?;
    let mut body_at = pos + close + 1;
    if line.get(body_at) == Some(&b':') {
        body_at += 1;
    }
    Ok(Header {
        node,
        rtype,
        secs,
        millis,
        serial,
        body_at,
    })
}

/// `1492037289.295:49` → (seconds, milliseconds, serial).
fn event_id(id: &[u8]) -> Option<(u64, u32, u64)> {
    let colon = memchr::memchr(b':', id)?;
    let (time, serial) = (&id[..colon], &id[colon + 1..]);
    let (secs, frac) = match memchr::memchr(b'.', time) {
        Some(dot) => (&time[..dot], &time[dot + 1..]),
        None => (time, &b""[..]),
    };
    let secs = digits(secs, 20)?;
    let frac_len = frac.len().min(3);
    let mut millis = if frac.is_empty() {
        0
    } else {
        u32::try_from(digits(frac, 9)?).ok()?
    };
    // Keep milliseconds whatever the precision written.
    for _ in frac_len..3 {
        millis *= 10;
    }
    for _ in 3..frac.len() {
        millis /= 10;
    }
    Some((secs, millis, digits(serial, 20)?))
}

/// A non-empty run of ASCII digits of at most `max` bytes.
fn digits(b: &[u8], max: usize) -> Option<u64> {
    if b.is_empty() || b.len() > max || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

fn text(b: &[u8], at: usize) -> Result<&str, ParseError> {
    std::str::from_utf8(b).map_err(|e| ParseError::at(Reason::BadUtf8, at + e.valid_up_to()))
}

/// One field of a record body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pair<'a> {
    /// The key as written (`pid`, `a1[0]`, `SYSCALL` when enriched).
    pub key: &'a str,
    /// The decoded value.
    pub value: Cow<'a, str>,
    /// The value was unquoted (so it may be hex that was not decoded, a
    /// number, an id).
    pub bare: bool,
    /// The field came from the enriched part (after 0x1d).
    pub enriched: bool,
}

/// Keys whose values auditd writes with `audit_log_untrustedstring`: quoted
/// when safe, hex otherwise. A bare value of one of these is hex.
fn untrusted(key: &str, execve: bool) -> bool {
    matches!(
        key,
        "acct"
            | "cmd"
            | "comm"
            | "cwd"
            | "data"
            | "dir"
            | "exe"
            | "file"
            | "key"
            | "name"
            | "ocomm"
            | "path"
            | "proctitle"
            | "root_dir"
            | "vm"
            | "watch"
            | "grp"
            | "new_group"
    ) || (execve && execve_arg(key) && !key.contains('['))
}

/// `a0`, `a12`, `a1[3]`: an EXECVE argument (or a SYSCALL argument, which is
/// never quoted and so never mistaken for text). The pieces of a split
/// argument (`a1[3]`) are decoded together, by `execve`.
pub(crate) fn execve_arg(key: &str) -> bool {
    let Some(rest) = key.strip_prefix('a') else {
        return false;
    };
    let idx = rest.split_once('[').map_or(rest, |(i, _)| i);
    !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit())
}

/// Ids that are `unset` at 4294967295.
fn id_key(key: &str) -> bool {
    matches!(
        key,
        "auid"
            | "ses"
            | "uid"
            | "euid"
            | "suid"
            | "fsuid"
            | "gid"
            | "egid"
            | "sgid"
            | "fsgid"
            | "ouid"
            | "ogid"
            | "old-auid"
            | "sauid"
            | "obj_uid"
            | "obj_gid"
    )
}

/// Decodes hex text (`2F746D70` → `/tmp`); `None` unless the whole value is
/// an even number of hex digits. NULs (argument separators in
/// `proctitle`) become spaces; bytes that are not UTF-8 are replaced.
pub(crate) fn unhex(v: &str) -> Option<String> {
    let b = v.as_bytes();
    if b.is_empty() || b.len() % 2 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        let hi = hex_val(pair[0])?;
        let lo = hex_val(pair[1])?;
        out.push(match hi << 4 | lo {
            0 => b' ',
            x => x,
        });
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    Some(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Reads the fields of a record body (the bytes after the header), calling
/// `f` for each in order. Tokens that are not `key=value` (`avc:`,
/// `denied`, `auditd start,`) are skipped; `msg='…'` is flattened; `?`,
/// `(null)` and unset ids are left out. Text that is not UTF-8 is read with
/// replacement characters.
///
/// `execve`: the body is an `EXECVE` record's, whose bare `aN` are hex (a
/// `SYSCALL` record's bare `aN` are numbers).
pub(crate) fn fields<'a>(body: &'a [u8], execve: bool, f: &mut dyn FnMut(Pair<'a>)) {
    let mode = Mode {
        enriched: false,
        execve,
    };
    let (raw, enriched) = match memchr::memchr(ENRICHED_SEP, body) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    match std::str::from_utf8(raw) {
        Ok(s) => scan(s, mode, f),
        Err(_) => {
            // Rare (the kernel hex-encodes unsafe bytes): decode lossily and
            // own every value of this record.
            let s = String::from_utf8_lossy(raw).into_owned();
            scan(&s, mode, &mut |p| {
                f(Pair {
                    key: leak_key(p.key),
                    value: Cow::Owned(p.value.into_owned()),
                    bare: p.bare,
                    enriched: p.enriched,
                })
            });
        }
    }
    if let Some(e) = enriched
        && let Ok(s) = std::str::from_utf8(e)
    {
        scan(
            s,
            Mode {
                enriched: true,
                execve: false,
            },
            f,
        );
    }
}

/// How a body part is read.
#[derive(Clone, Copy)]
struct Mode {
    /// After the 0x1d separator: interpreted values, never hex.
    enriched: bool,
    /// An `EXECVE` record.
    execve: bool,
}

/// Keys of a lossily decoded record must outlive the temporary text: known
/// keys map to static names, the rest to a fixed placeholder.
fn leak_key(k: &str) -> &'static str {
    super::names::static_key(k).unwrap_or("invalid_key")
}

/// The `key=value` scanner over one text.
fn scan<'a>(s: &'a str, mode: Mode, f: &mut dyn FnMut(Pair<'a>)) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b',' | b'(' | b')' | b':') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b' ' | b'\t') {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            // A bare word; SELinux AVCs say `avc:  denied  { read write } for …`.
            match s.get(start..i).unwrap_or_default() {
                word @ ("denied" | "granted") => f(Pair {
                    key: "seresult",
                    value: Cow::Borrowed(word),
                    bare: true,
                    enriched: false,
                }),
                "{" => {
                    let close = memchr::memchr(b'}', &b[i..]).map_or(b.len(), |c| i + c);
                    let perms = s.get(i..close).unwrap_or_default().trim();
                    i = (close + 1).min(b.len());
                    if !perms.is_empty() {
                        let value = if perms.contains(' ') {
                            Cow::Owned(perms.split_whitespace().collect::<Vec<_>>().join(","))
                        } else {
                            Cow::Borrowed(perms)
                        };
                        f(Pair {
                            key: "seperms",
                            value,
                            bare: true,
                            enriched: false,
                        });
                    }
                }
                _ => {}
            }
            continue;
        }
        let key = s.get(start..i).unwrap_or_default();
        i += 1;
        let valid_key = !key.is_empty()
            && key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'[' | b']'));
        let (value, bare) = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = memchr::memchr(q, &b[i + 1..]).map_or(b.len(), |e| i + 1 + e);
                let v = s.get(i + 1..end).unwrap_or_default();
                i = (end + 1).min(b.len());
                if q == b'\'' && key == "msg" {
                    // A user-space message: its own fields, flattened.
                    scan(v, mode, f);
                    continue;
                }
                (v, false)
            }
            _ => {
                let end = b[i..]
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t'))
                    .map_or(b.len(), |e| i + e);
                let mut v = s.get(i..end).unwrap_or_default();
                i = end;
                // `key=(null)ARCH=x86_64 …`: the enriched separator was
                // lost in transit (copied logs); what follows is enriched.
                if v.len() > 6 && v.starts_with("(null)") && v.as_bytes()[6].is_ascii_uppercase() {
                    i = i - v.len() + 6;
                    v = "(null)";
                }
                // `(hostname=?, addr=?, terminal=cron res=success)`
                v = v.trim_end_matches(',');
                if !v.contains('(') {
                    v = v.trim_end_matches(')');
                }
                (v, true)
            }
        };
        if !valid_key || key == "msg" {
            continue;
        }
        if bare && (value == "?" || value == "(null)" || value.is_empty()) {
            continue;
        }
        if bare && value == UNSET && id_key(key) {
            continue;
        }
        let value = if bare && !mode.enriched && untrusted(key, mode.execve) {
            // (upper-case keys never match `untrusted`)
            match unhex(value) {
                Some(decoded) => Cow::Owned(decoded),
                None => Cow::Borrowed(value),
            }
        } else {
            Cow::Borrowed(value)
        };
        // Kernel keys are lower case; upper-case ones are interpreted
        // (enriched) values even when the separator was lost.
        let enriched = mode.enriched || key.bytes().all(|c| c.is_ascii_uppercase() || c == b'_');
        f(Pair {
            key,
            value,
            bare,
            enriched,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        fields(body.as_bytes(), false, &mut |p| {
            out.push((p.key.to_owned(), p.value.into_owned()))
        });
        out
    }

    #[test]
    fn headers() {
        let h = header(b"node=web-1 type=SYSCALL msg=audit(1615150974.493:21028): arch=c000003e")
            .unwrap();
        assert_eq!(h.node, Some("web-1"));
        assert_eq!(h.rtype, "SYSCALL");
        assert_eq!((h.secs, h.millis, h.serial), (1615150974, 493, 21028));
        assert_eq!(h.time_ms(), 1615150974493);
        assert_eq!(h.kind(), Kind::Part);
        let h = header(b"type=1400 audit(1524662933.08:61207): apparmor=\"DENIED\"").unwrap();
        assert_eq!((h.rtype, h.millis), ("1400", 80));
        assert_eq!(
            header(b"type=EOE msg=audit(1.002:3):").unwrap().kind(),
            Kind::End
        );
        assert_eq!(
            header(b"type=USER_LOGIN msg=audit(1.002:3): x=1")
                .unwrap()
                .kind(),
            Kind::Single
        );
        for bad in [
            &b"hello"[..],
            b"type=SYSCALL",
            b"type=SYSCALL msg=audit(",
            b"type=SYSCALL msg=audit(12:)",
            b"type=SYSCALL msg=audit(x.1:2):",
            b"type=SYSCALL foo",
            b"node=",
        ] {
            assert!(header(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn values() {
        let got = pairs(
            r#" arch=c000003e auid=4294967295 ses=4294967295 uid=0 comm="grep" exe=2F7573722F62696E2F67726570 key=(null) tty=(none) hostname=? name="a b""#,
        );
        let want: Vec<(String, String)> = [
            ("arch", "c000003e"),
            ("uid", "0"),
            ("comm", "grep"),
            ("exe", "/usr/bin/grep"),
            ("tty", "(none)"),
            ("name", "a b"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn user_messages_and_enriched() {
        let got = pairs(
            "pid=1 uid=0 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=sshd res=failed'\x1dUID=\"root\" AUID=\"unset\"",
        );
        let keys: Vec<_> = got.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            keys,
            [
                "pid=1",
                "uid=0",
                "op=login",
                "acct=(invalid user)",
                "exe=/usr/sbin/sshd",
                "addr=1.2.3.4",
                "terminal=sshd",
                "res=failed",
                "UID=root",
                "AUID=unset"
            ]
        );
        let old = pairs(
            "user pid=13015 uid=0 msg='PAM: session open acct=root : exe=\"/usr/sbin/crond\" (hostname=?, addr=?, terminal=cron res=success)'",
        );
        assert!(old.contains(&("terminal".into(), "cron".into())));
        assert!(old.contains(&("res".into(), "success".into())));
        assert!(old.contains(&("acct".into(), "root".into())));
    }

    #[test]
    fn selinux_avc_verdict_and_permissions() {
        let got = pairs(
            "avc:  denied  { read write } for  pid=13010 comm=\"pickup\" name=\"maildrop\" tclass=dir",
        );
        assert_eq!(got[0], ("seresult".into(), "denied".into()));
        assert_eq!(got[1], ("seperms".into(), "read,write".into()));
        assert!(got.contains(&("pid".into(), "13010".into())));
    }

    #[test]
    fn hex_decoding() {
        assert_eq!(
            unhex("2F62696E2F7368002D63006C73").as_deref(),
            Some("/bin/sh -c ls")
        );
        assert_eq!(unhex("2F6"), None);
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex("FF").as_deref(), Some("\u{FFFD}"));
    }
}
