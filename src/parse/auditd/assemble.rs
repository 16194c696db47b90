//! Grouping records into events across lines and chunks.
//!
//! An [`Assembler`] reads one input's records **in input order** and
//! decides which records make up each event and when the event is
//! complete. It looks at headers only (type, time, serial, node), which is
//! cheap; building the events (decoding fields, EXECVE arguments) is left
//! to whoever carries out its [`AuditPlan`], in parallel.
//!
//! An event is complete, and emitted, when
//!
//! 1. its `EOE` record arrives;
//! 2. it began with a user-space message (`USER_LOGIN`, `SERVICE_START`,
//!    …), which is usually an event on its own, and a record of another
//!    event with a later time arrives (a message sent from an audited
//!    syscall is followed by that syscall's records, with the same time
//!    and serial, and an `EOE`);
//! 3. it is older, in **event time**, than the newest record seen by more
//!    than the timeout (lost `EOE`; old kernels write none) — checked in
//!    arrival order, oldest first;
//! 4. more than `max_open` events are open, or their records take more than
//!    `max_held_bytes` (the oldest goes first), or it reached `max_records`
//!    records;
//! 5. the input ends ([`Assembler::finish`]).
//!
//! Every decision depends on the sequence of records only, never on where
//! chunk boundaries fall or on the wall clock, so the events (and their
//! order: completion order) are the same for any chunking and thread count.
//! Records of an event still open at the end of a chunk are copied out of
//! the chunk and handed, with the plan, to the chunk that completes it.
//!
//! Records arriving for an event that was already emitted start a new
//! event (nothing is dropped); an `EOE` alone is ignored.

use super::record::{Kind, header};
use crate::event::Origin;
use crate::frame::Lines;
use crate::parse::ParseError;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

/// Limits of an [`Assembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssemblerConfig {
    /// An open event older than the newest record by more than this (event
    /// time, milliseconds) is emitted without its `EOE`.
    pub timeout_ms: i64,
    /// At most this many events wait for more records; past it the oldest
    /// is emitted.
    pub max_open: usize,
    /// Lines longer than this are not records (the pipeline skips them).
    pub max_line: usize,
    /// An event that reaches this many records is emitted; later records
    /// of it start another (bounds memory whatever the input).
    pub max_records: usize,
    /// Past this many bytes of records in open events, the oldest events
    /// are emitted.
    pub max_held_bytes: usize,
}

impl Default for AssemblerConfig {
    fn default() -> Self {
        AssemblerConfig {
            timeout_ms: 10_000,
            max_open: 512,
            max_line: usize::MAX,
            max_records: 1000,
            max_held_bytes: 16 << 20,
        }
    }
}

/// Where a planned record's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// `chunk.data[range]`: the chunk the plan belongs to.
    Chunk(usize, usize),
    /// `plan.carried[range]`: copied from an earlier chunk.
    Carried(usize, usize),
}

/// One record of a planned event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRecord {
    /// Its bytes (the line without its terminator).
    pub span: Span,
    /// Its line.
    pub origin: Origin,
}

/// What one chunk of an auditd input yields: the events completed while
/// reading it (in completion order), with the records carried over from
/// earlier chunks, and the lines that are not records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AuditPlan {
    /// Bytes of records from earlier chunks, back to back.
    pub carried: Vec<u8>,
    /// Records of the events, event after event.
    pub records: Vec<PlannedRecord>,
    /// Each event's records, as a range of `records`.
    pub events: Vec<Range<usize>>,
    /// Lines that are not audit records: 1-based line number and error.
    pub errors: Vec<(u64, ParseError)>,
}

impl AuditPlan {
    /// The records of event `i`: bytes and origin, with `data` the chunk's
    /// bytes.
    pub fn event<'p>(
        &'p self,
        data: &'p [u8],
        i: usize,
    ) -> impl Iterator<Item = (&'p [u8], Origin)> + 'p {
        let range = self.events.get(i).cloned().unwrap_or(0..0);
        self.records[range].iter().map(move |r| {
            let bytes = match r.span {
                Span::Chunk(s, e) => data.get(s..e),
                Span::Carried(s, e) => self.carried.get(s..e),
            };
            (bytes.unwrap_or_default(), r.origin)
        })
    }

    /// Appends another plan of the same chunk (the end-of-input flush after
    /// the chunk's own events).
    pub fn append(&mut self, other: AuditPlan) {
        let shift = self.carried.len();
        let base = self.records.len();
        self.carried.extend_from_slice(&other.carried);
        self.records.extend(other.records.into_iter().map(|mut r| {
            if let Span::Carried(s, e) = r.span {
                r.span = Span::Carried(s + shift, e + shift);
            }
            r
        }));
        self.events.extend(
            other
                .events
                .into_iter()
                .map(|r| r.start + base..r.end + base),
        );
        self.errors.extend(other.errors);
    }

    /// True when the plan has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.errors.is_empty()
    }
}

/// A record held by an open event.
#[derive(Debug)]
enum Held {
    /// In the chunk being read: `data[start..end]`.
    Here(usize, usize, Origin),
    /// Copied out of an earlier chunk.
    Kept(Box<[u8]>, Origin),
}

impl Held {
    fn len(&self) -> usize {
        match self {
            Held::Here(s, e, _) => e - s,
            Held::Kept(b, _) => b.len(),
        }
    }
}

/// Identity of an event: node (hashed), time and serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    node: u64,
    time_ms: i64,
    serial: u64,
}

#[derive(Debug)]
struct Open {
    key: Key,
    time_ms: i64,
    records: Vec<Held>,
}

/// Groups one input's records into events; see the module documentation.
#[derive(Debug)]
pub struct Assembler {
    cfg: AssemblerConfig,
    /// Open events by arrival order of their first record.
    open: BTreeMap<u64, Open>,
    index: HashMap<Key, u64>,
    /// Open events that began with a user-space message.
    singles: Vec<u64>,
    next: u64,
    /// Newest event time seen.
    clock_ms: i64,
    /// Bytes of the records of open events.
    held_bytes: usize,
}

impl Assembler {
    /// An assembler with no open events.
    pub fn new(cfg: AssemblerConfig) -> Self {
        Assembler {
            cfg,
            open: BTreeMap::new(),
            index: HashMap::new(),
            singles: Vec::new(),
            next: 0,
            clock_ms: i64::MIN,
            held_bytes: 0,
        }
    }

    /// Number of events waiting for more records.
    pub fn open_events(&self) -> usize {
        self.open.len()
    }

    /// Reads the next chunk of the input (`data`, whose first line is
    /// `start_line` at byte `start_offset`) and returns its plan. Records
    /// of events still open afterwards are copied and kept.
    pub fn read_chunk(
        &mut self,
        data: &[u8],
        start_line: u64,
        start_offset: u64,
        file: crate::source::FileId,
    ) -> AuditPlan {
        let mut plan = AuditPlan::default();
        for line in Lines::new(data, start_line, start_offset) {
            if line.bytes.len() > self.cfg.max_line
                || line.bytes.iter().all(u8::is_ascii_whitespace)
            {
                continue;
            }
            let start = (line.offset - start_offset) as usize;
            let origin = Origin {
                file,
                line: line.number,
                offset: line.offset,
            };
            match header(line.bytes) {
                Ok(h) => {
                    let key = Key {
                        node: h.node.map_or(0, node_hash),
                        time_ms: h.time_ms(),
                        serial: h.serial,
                    };
                    let held = Held::Here(start, start + line.bytes.len(), origin);
                    self.push(key, h.kind(), held, data, &mut plan);
                }
                Err(e) => plan.errors.push((line.number, e)),
            }
        }
        for ev in self.open.values_mut() {
            for r in &mut ev.records {
                if let Held::Here(s, e, origin) = *r {
                    *r = Held::Kept(data[s..e].into(), origin);
                }
            }
        }
        plan
    }

    /// Emits every open event (end of input), oldest first.
    pub fn finish(&mut self) -> AuditPlan {
        let mut plan = AuditPlan::default();
        while let Some((&order, _)) = self.open.first_key_value() {
            self.emit(order, &[], &mut plan);
        }
        plan
    }

    fn push(&mut self, key: Key, kind: Kind, held: Held, data: &[u8], plan: &mut AuditPlan) {
        self.clock_ms = self.clock_ms.max(key.time_ms);
        if kind != Kind::End || self.index.contains_key(&key) {
            self.held_bytes += held.len();
        }
        let horizon = self.clock_ms.saturating_sub(self.cfg.timeout_ms);
        while let Some((&order, ev)) = self.open.first_key_value() {
            if ev.time_ms >= horizon {
                break;
            }
            self.emit(order, data, plan);
        }
        let mut i = 0;
        while i < self.singles.len() {
            let order = self.singles[i];
            match self.open.get(&order) {
                Some(ev) if ev.key != key && key.time_ms > ev.time_ms => {
                    self.singles.swap_remove(i);
                    self.emit(order, data, plan);
                }
                Some(_) => i += 1,
                None => {
                    self.singles.swap_remove(i);
                }
            }
        }
        if let Some(&order) = self.index.get(&key) {
            let mut full = false;
            if let Some(ev) = self.open.get_mut(&order) {
                ev.records.push(held);
                full = ev.records.len() >= self.cfg.max_records;
            }
            if kind == Kind::End || full {
                self.emit(order, data, plan);
            }
            return;
        }
        match kind {
            Kind::End => {}
            Kind::Single | Kind::Part => {
                let order = self.next;
                if kind == Kind::Single {
                    self.singles.push(order);
                }
                self.next += 1;
                self.index.insert(key, order);
                self.open.insert(
                    order,
                    Open {
                        key,
                        time_ms: key.time_ms,
                        records: vec![held],
                    },
                );
            }
        }
        while self.open.len() > self.cfg.max_open || self.held_bytes > self.cfg.max_held_bytes {
            let Some((&oldest, _)) = self.open.first_key_value() else {
                break;
            };
            self.emit(oldest, data, plan);
        }
    }

    fn emit(&mut self, order: u64, data: &[u8], plan: &mut AuditPlan) {
        let Some(ev) = self.open.remove(&order) else {
            return;
        };
        self.index.remove(&ev.key);
        let start = plan.records.len();
        for r in &ev.records {
            self.held_bytes = self.held_bytes.saturating_sub(r.len());
            push_record(plan, r, data);
        }
        plan.events.push(start..plan.records.len());
    }
}

fn push_record(plan: &mut AuditPlan, held: &Held, data: &[u8]) {
    let (span, origin) = match held {
        Held::Here(s, e, origin) => (Span::Chunk(*s, *e), *origin),
        Held::Kept(bytes, origin) => {
            let s = plan.carried.len();
            plan.carried.extend_from_slice(bytes);
            (Span::Carried(s, plan.carried.len()), *origin)
        }
    };
    debug_assert!(matches!(span, Span::Carried(..)) || !data.is_empty());
    plan.records.push(PlannedRecord { span, origin });
}

fn node_hash(node: &str) -> u64 {
    let mut h = DefaultHasher::new();
    node.hash(&mut h);
    // 0 is "no node".
    h.finish() | 1
}
