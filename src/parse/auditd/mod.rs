//! Linux audit logs (`auditd`): records grouped into events.
//!
//! An audit event is written as several records (lines) that share
//! `msg=audit(TIME:SERIAL)` and, with `node=`, a host:
//!
//! ```text
//! type=SYSCALL msg=audit(1492037291.036:59): arch=c000003e syscall=59 success=yes … comm="grep" exe="/usr/bin/grep" key="exec"
//! type=EXECVE msg=audit(1492037291.036:59): argc=3 a0="grep" a1="--color=auto" a2="mapping"
//! type=CWD msg=audit(1492037291.036:59):  cwd="/home/andrew_kroh"
//! type=PATH msg=audit(1492037291.036:59): item=0 name="/usr/bin/grep" … nametype=NORMAL
//! type=EOE msg=audit(1492037291.036:59):
//! ```
//!
//! The work is split in two:
//!
//! - [`Assembler`] (sequential, headers only) decides which records form an
//!   event and when it is complete: at `EOE`, for a single-record user
//!   message at once, or after a timeout in event time, past a limit of open
//!   events, or at the end of the input (lost `EOE`). Its [`AuditPlan`] per
//!   chunk lists the completed events.
//! - [`build_event`] turns one event's records into an [`Event`] that
//!   borrows from them (only hex-decoded values and split EXECVE arguments
//!   allocate). The pipeline runs it on the workers.
//!
//! [`AuditdParser`] reads a single line as a one-record event: what format
//! sniffing, the syslog parser (audisp-syslog forwards one record per
//! message) and callers outside the pipeline get. Field mappings are in
//! `docs/FORMATS.md`.

mod assemble;
mod execve;
mod names;
mod record;
mod sockaddr;
mod syscalls;

pub use assemble::{Assembler, AssemblerConfig, AuditPlan, PlannedRecord, Span};

use super::fields::set_source;
use super::{Format, LineParser, ParseError};
use crate::event::{Event, Field, Origin, Timestamp, Value};
use record::{Pair, header};
use std::borrow::Cow;

/// Parser for `auditd`, one record per call; the pipeline groups records
/// with an [`Assembler`] first.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditdParser;

impl LineParser for AuditdParser {
    fn format(&self) -> Format {
        Format::Auditd
    }

    fn parse<'a>(&self, line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
        let origin = ev.origin;
        build_event(std::iter::once((line, origin)), ev)
    }
}

/// Whether a line (or syslog message) looks like an audit record: it starts
/// with `type=` or `node=` and names `audit(`.
pub fn looks_like_record(line: &[u8]) -> bool {
    (line.starts_with(b"type=") || line.starts_with(b"node="))
        && memchr::memmem::find(line, b"audit(").is_some()
}

/// Builds one event from its records (bytes and origin, in the order they
/// were read) into `ev`. The first record gives the time, serial and node;
/// a record whose header does not parse is an error only when it is the
/// first.
pub fn build_event<'a>(
    records: impl Iterator<Item = (&'a [u8], Origin)>,
    ev: &mut Event<'a>,
) -> Result<(), ParseError> {
    let mut b = Builder::default();
    let mut first = true;
    for (line, _) in records {
        let h = match header(line) {
            Ok(h) => h,
            Err(e) if first => return Err(e),
            Err(_) => continue,
        };
        if first {
            first = false;
            ev.timestamp = Some(Timestamp::from_unix(
                i64::try_from(h.secs).unwrap_or(i64::MAX / 1_000_000_000),
                h.millis * 1_000_000,
            ));
            if let Some(node) = h.node {
                ev.set_str(Field::HostName, node);
            }
            ev.push_extra("auditd.sequence", Value::Int(h.serial as i64));
        }
        b.record(h.rtype, &line[h.body_at.min(line.len())..]);
    }
    b.finish(ev);
    Ok(())
}

/// ECS fields that the first record carrying them decides.
#[derive(Default)]
struct Ecs<'a> {
    exe: Option<Cow<'a, str>>,
    comm: Option<Cow<'a, str>>,
    pid: Option<i64>,
    ppid: Option<i64>,
    auid: Option<Cow<'a, str>>,
    uid: Option<Cow<'a, str>>,
    user_name: Option<Cow<'a, str>>,
    acct: Option<Cow<'a, str>>,
    audit_name: Option<Cow<'a, str>>,
    outcome: Option<&'static str>,
    syscall_name: Option<Cow<'a, str>>,
    /// `SYSCALL` record's raw `arch` and `syscall`.
    arch: Option<Cow<'a, str>>,
    syscall: Option<Cow<'a, str>>,
    arch_name: bool,
    /// The first `SOCKADDR` address.
    saddr: Option<sockaddr::SockAddr>,
    proctitle: Option<Cow<'a, str>>,
    cmd: Option<Cow<'a, str>>,
    addr: Option<Cow<'a, str>>,
    /// PATH names: (name, is a PARENT item).
    paths: Vec<(Cow<'a, str>, bool)>,
    tags: Vec<Cow<'a, str>>,
}

/// The distinct values of a field, once there are several.
type Values<'a> = Vec<Cow<'a, str>>;

/// Collects the fields of an event's records.
#[derive(Default)]
struct Builder<'a> {
    types: Vec<&'a str>,
    /// Records read, `EOE` excluded.
    records: i64,
    /// `auditd.<key>`: its first value, and all distinct values in record
    /// order once a second one turns up.
    fields: Vec<(Cow<'a, str>, Cow<'a, str>, Option<Values<'a>>)>,
    args: execve::Args<'a>,
    ecs: Ecs<'a>,
}

impl<'a> Builder<'a> {
    fn record(&mut self, rtype: &'a str, body: &'a [u8]) {
        if rtype == "EOE" {
            return;
        }
        self.records += 1;
        if !self.types.contains(&rtype) {
            self.types.push(rtype);
        }
        let execve = rtype == "EXECVE";
        let path = rtype == "PATH";
        let mut name: Option<Cow<'a, str>> = None;
        let mut parent = false;
        record::fields(body, execve, &mut |mut p: Pair<'a>| {
            if execve {
                match self.args.take(p.key, p.value, p.bare) {
                    Some(v) => p.value = v,
                    None => return,
                }
            }
            if path {
                match p.key {
                    "name" => name = Some(p.value.clone()),
                    "nametype" => parent = p.value == "PARENT",
                    _ => {}
                }
            }
            self.ecs(rtype, &p);
            self.add(Cow::Borrowed(p.key), p.value);
        });
        if let Some(n) = name {
            self.ecs.paths.push((n, parent));
        }
    }

    /// Records the ECS-relevant fields of one pair.
    fn ecs(&mut self, rtype: &str, p: &Pair<'a>) {
        let e = &mut self.ecs;
        let set = |slot: &mut Option<Cow<'a, str>>| {
            if slot.is_none() {
                *slot = Some(p.value.clone());
            }
        };
        match (p.key, p.enriched) {
            ("exe", false) => set(&mut e.exe),
            ("comm", false) => set(&mut e.comm),
            ("pid", false) if e.pid.is_none() => e.pid = p.value.parse().ok(),
            ("ppid", false) if e.ppid.is_none() => e.ppid = p.value.parse().ok(),
            ("auid", false) => set(&mut e.auid),
            ("uid", false) => set(&mut e.uid),
            ("acct", false) => set(&mut e.acct),
            ("UID", true) => set(&mut e.user_name),
            ("AUID", true) if p.value != "unset" => set(&mut e.audit_name),
            ("SYSCALL", true) => set(&mut e.syscall_name),
            ("ARCH", true) => e.arch_name = true,
            ("arch", false) if rtype == "SYSCALL" => set(&mut e.arch),
            ("syscall", false) if rtype == "SYSCALL" => set(&mut e.syscall),
            ("proctitle", false) => set(&mut e.proctitle),
            ("cmd", false) => set(&mut e.cmd),
            ("addr", false) => set(&mut e.addr),
            ("saddr", false) if rtype == "SOCKADDR" && e.saddr.is_none() => {
                e.saddr = sockaddr::decode(&p.value);
            }
            ("key", false) => {
                for k in split_keys(&p.value) {
                    if !e.tags.contains(&k) {
                        e.tags.push(k);
                    }
                }
            }
            ("success", false) if rtype == "SYSCALL" => {
                e.outcome = match p.value.as_ref() {
                    "yes" => Some("success"),
                    "no" => Some("failure"),
                    _ => e.outcome,
                };
            }
            ("seresult", false) if e.outcome.is_none() => {
                e.outcome = match p.value.as_ref() {
                    "granted" => Some("success"),
                    _ => Some("failure"),
                };
            }
            ("res", false) if e.outcome.is_none() => {
                e.outcome = match p.value.as_ref() {
                    "success" | "yes" | "1" => Some("success"),
                    "failed" | "fail" | "no" | "0" => Some("failure"),
                    _ => None,
                };
            }
            _ => {}
        }
    }

    /// Adds a value under `auditd.<key>`, once per distinct value. A record
    /// field named like one picket writes (`type`, `records`, `sequence`)
    /// is kept as `auditd.raw_<key>`.
    fn add(&mut self, key: Cow<'a, str>, value: Cow<'a, str>) {
        let key = match key.as_ref() {
            "type" | "records" | "sequence" => Cow::Owned(format!("raw_{key}")),
            _ => key,
        };
        match self.fields.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, first, more)) => {
                if *first != value {
                    let values = more.get_or_insert_with(|| vec![first.clone()]);
                    if !values.contains(&value) {
                        values.push(value);
                    }
                }
            }
            None => self.fields.push((key, value, None)),
        }
    }

    fn finish(mut self, ev: &mut Event<'a>) {
        let args = std::mem::take(&mut self.args);
        if !args.is_empty() {
            let argc = args.argc;
            let list = args.into_list();
            ev.set(
                Field::ProcessCommandLine,
                Value::Str(Cow::Owned(execve::command_line(&list))),
            );
            for (i, a) in list {
                let key = format!("a{i}");
                let key = names::static_key(&key).map_or(Cow::Owned(key), Cow::Borrowed);
                self.add(key, a);
            }
            // (A stray `argc` in another record stays text under the same name.)
            if let Some(n) = argc
                && !self.fields.iter().any(|(k, _, _)| k == "argc")
            {
                ev.push_extra("auditd.argc", Value::Int(n as i64));
            }
        }
        let e = self.ecs;
        if ev.get(Field::ProcessCommandLine).is_none()
            && let Some(cl) = e.proctitle.or(e.cmd)
        {
            ev.set(Field::ProcessCommandLine, Value::Str(cl));
        }
        if let Some(v) = e.exe {
            ev.set(Field::ProcessExecutable, Value::Str(v));
        }
        if let Some(v) = e.comm {
            ev.push_extra("process.name", Value::Str(v));
        }
        if let Some(v) = e.pid {
            ev.push_extra("process.pid", Value::Int(v));
        }
        if let Some(v) = e.ppid {
            ev.push_extra("process.parent.pid", Value::Int(v));
        }
        if let Some(v) = e.auid {
            ev.set(Field::UserAuditId, Value::Str(v));
        }
        if let Some(v) = e.audit_name {
            ev.push_extra("user.audit.name", Value::Str(v));
        }
        if let Some(v) = e.uid {
            ev.set(Field::UserId, Value::Str(v));
        }
        if let Some(v) = e.user_name.or(e.acct) {
            ev.set(Field::UserName, Value::Str(v));
        }
        if let Some(v) = e.addr {
            set_source(ev, v);
        }
        if let Some(o) = e.outcome {
            ev.set(Field::EventOutcome, Value::str(o));
        }
        // Raw logs: the names an enriched log would carry.
        let mut syscall_name = e.syscall_name;
        let has = |name: &str| self.fields.iter().any(|(k, _, _)| k == name);
        if let Some(arch) = &e.arch {
            if syscall_name.is_none()
                && !has("SYSCALL")
                && let Some(name) = e
                    .syscall
                    .as_deref()
                    .and_then(|nr| syscalls::syscall_name(arch, nr))
            {
                ev.push_extra("auditd.SYSCALL", Value::str(name));
                syscall_name = Some(Cow::Borrowed(name));
            }
            if !e.arch_name
                && !has("ARCH")
                && let Some(name) = syscalls::arch_name(arch)
            {
                ev.push_extra("auditd.ARCH", Value::str(name));
            }
        }
        if let Some(sa) = e.saddr {
            set_socket(ev, sa, syscall_name.as_deref());
        }
        // What the event is: its first record (`LOGIN`, `AVC`,
        // `CONFIG_CHANGE` come before their `SYSCALL`); a `SYSCALL` first
        // says it by the syscall's name.
        let first = self.types.first().copied().unwrap_or("unknown");
        let action = match syscall_name {
            Some(s) if first == "SYSCALL" => s,
            _ => Cow::Owned(first.to_ascii_lowercase()),
        };
        ev.set(Field::EventAction, Value::Str(action));
        let primary = e
            .paths
            .iter()
            .find(|(_, parent)| !parent)
            .or(e.paths.first());
        if let Some((p, _)) = primary {
            ev.set(Field::FilePath, Value::Str(p.clone()));
        }
        if !e.tags.is_empty() {
            ev.set(Field::Tags, Value::List(e.tags));
        }
        let types = match self.types.as_slice() {
            [one] => Value::str(one),
            many => Value::List(many.iter().map(|t| Cow::Borrowed(*t)).collect()),
        };
        ev.push_extra("auditd.type", types);
        ev.push_extra("auditd.records", Value::Int(self.records));
        for (key, first, more) in self.fields {
            let value = match more {
                Some(values) => Value::List(values),
                None => Value::Str(first),
            };
            ev.push_extra(names::prefixed(&key), value);
        }
    }
}

/// A `SOCKADDR` address: `auditd.socket.*`, and the remote end of a
/// connection as `destination.*` (`connect`, `sendto`, `sendmsg`) or
/// `source.*` (`accept`, `accept4`, `recvfrom`, `recvmsg`).
fn set_socket(ev: &mut Event<'_>, sa: sockaddr::SockAddr, syscall: Option<&str>) {
    ev.push_extra("auditd.socket.family", Value::str(sa.family()));
    match sa {
        sockaddr::SockAddr::Ip(ip, port) => {
            let ip = ip.to_string();
            let port = Value::Int(i64::from(port));
            match syscall {
                Some("connect" | "sendto" | "sendmsg" | "sendmmsg") => {
                    ev.push_extra("destination.ip", Value::Str(Cow::Owned(ip.clone())));
                    ev.push_extra("destination.port", port.clone());
                }
                Some("accept" | "accept4" | "recvfrom" | "recvmsg" | "recvmmsg")
                    if ev.get(Field::SourceIp).is_none() =>
                {
                    ev.set(Field::SourceIp, Value::Str(Cow::Owned(ip.clone())));
                    ev.set(Field::SourcePort, port.clone());
                }
                _ => {}
            }
            ev.push_extra("auditd.socket.addr", Value::Str(Cow::Owned(ip)));
            ev.push_extra("auditd.socket.port", port);
        }
        sockaddr::SockAddr::Unix(path) => {
            ev.push_extra("auditd.socket.path", Value::Str(Cow::Owned(path)));
        }
    }
}

/// The `key` field: several keys are joined by 0x01. Old `auditctl`
/// versions wrote `key="key=name"`; the tag is `name`.
fn split_keys<'a>(v: &Cow<'a, str>) -> impl Iterator<Item = Cow<'a, str>> {
    let parts: Vec<Cow<'a, str>> = if v.contains('\u{1}') {
        v.split('\u{1}')
            .filter(|s| !s.is_empty())
            .map(|s| Cow::Owned(s.strip_prefix("key=").unwrap_or(s).to_owned()))
            .collect()
    } else {
        match v {
            Cow::Borrowed(b) => vec![Cow::Borrowed(b.strip_prefix("key=").unwrap_or(b))],
            Cow::Owned(o) => vec![Cow::Owned(o.strip_prefix("key=").unwrap_or(o).to_owned())],
        }
    };
    parts.into_iter()
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
