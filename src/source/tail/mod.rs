//! Tailing: follow the files of `[[sources]]` globs into chunks, through
//! rotation, truncation and restarts (SPEC §8).
//!
//! The [`Tailer`] runs as the pipeline's producer. Each poll it
//!
//! 1. re-expands the globs when due (every `tail.rescan_interval`, or at
//!    once when inotify reports a file created, renamed or removed, also
//!    in the middle of reading a backlog, after the chunk at hand), and
//!    opens files it does not know yet, by device + inode;
//! 2. identifies new files once their first line is complete
//!    ([`FileIdentity`]: inode + hash of the first line; plus the *head*,
//!    the first 4 KiB, which tells apart files that share a first line)
//!    and decides where to start (`identify.rs`): a copy of a file being
//!    read is a *shadow*, not read unless the original is truncated
//!    (copytruncate: the copy is read on from where the original was) or
//!    goes away; otherwise the furthest checkpoint whose first line and
//!    head match (its own, or one of a file it is a copy of); else the
//!    start (or the end, with `read_from = "end"`, for files present when
//!    a source is first tailed);
//! 3. reads every file in the order it was found, so a file rotated away
//!    by rename is finished before its successor; a file that shrank or
//!    whose first bytes changed was truncated and is read again from 0
//!    (checked every poll; for files waiting behind an earlier one, once
//!    per poll interval);
//!    a file rotated away or deleted is read to its end and closed once it
//!    stayed unchanged for `tail.rotate_wait`.
//!
//! Partial last lines wait for their newline; lines longer than
//! `limits.max_line_bytes` are skipped and counted (the chunk reader's
//! follow mode). Between polls the tailer waits for an inotify event, a
//! control request or `tail.poll_interval`, whichever comes first; with
//! `tail.watch = "poll"` or without inotify it just polls.

mod discover;
mod file;
mod identify;
mod registry;
#[cfg(test)]
mod tests;

pub use discover::{SourceError, SourceSpec};
pub use registry::Registry;

use crate::clock::SharedClock;
use crate::config::{LimitsConfig, TailConfig, WatchMode};
use crate::logging::path as safe;
use crate::parse::{Format, FormatChoice, sniff};
use crate::source::checkpoint::{FileIdentity, Position};
use crate::source::fingerprint::{FileKey, Fingerprint, read_head_bytes};
use crate::source::{ChunkReaderBuilder, ChunkSink, FileTable};
use crate::telemetry::{Health, Metrics};
use file::{Polled, Reading, SharedFile, State, Tracked};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How many bytes of a new file format sniffing looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// What the tailer needs from its surroundings between polls.
pub trait Waiter {
    /// Whether to stop (shutdown or reload).
    fn should_stop(&self) -> bool;
    /// Sleeps up to `timeout`; returns early on a file event or a request.
    fn wait(&self, timeout: Duration);
}

/// Frozen tailing settings.
#[derive(Debug, Clone)]
pub struct TailSettings {
    /// Poll interval.
    pub poll_interval: Duration,
    /// Glob rescan interval.
    pub rescan_interval: Duration,
    /// Grace period for rotated-away and deleted files.
    pub rotate_wait: Duration,
    /// Fingerprint prefix length.
    pub fingerprint_bytes: usize,
    /// Per-file byte budget per poll.
    pub read_batch_bytes: u64,
    /// inotify or polling.
    pub watch: WatchMode,
    /// Chunking (follow mode, max line, chunk size).
    pub reader: ChunkReaderBuilder,
}

impl TailSettings {
    /// Settings from `[tail]` and `[limits]`.
    pub fn from_config(tail: &TailConfig, limits: &LimitsConfig) -> Self {
        TailSettings {
            poll_interval: tail.poll_interval.0.max(Duration::from_millis(1)),
            rescan_interval: tail.rescan_interval.0,
            rotate_wait: tail.rotate_wait.0,
            fingerprint_bytes: tail.fingerprint_bytes.max(1),
            read_batch_bytes: tail.read_batch_bytes.0.max(1),
            watch: tail.watch,
            reader: ChunkReaderBuilder::default()
                .max_line(limits.max_line_bytes)
                .follow(true),
        }
    }
}

/// Whether a poll found work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing new: wait before the next poll.
    Idle,
    /// Read something, or more is waiting: poll again at once.
    Busy,
    /// The pipeline stopped taking chunks.
    Stopped,
}

/// Where to start when a remembered offset lies beyond the file's end.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Beyond {
    /// The file itself shrank: read it from the start (duplicates, not loss).
    Restart,
    /// A copy shorter than what was read of its original: nothing in it is
    /// new, start at its end.
    End,
}

/// A source with what the tailer learned about it at startup.
#[derive(Debug)]
struct Source {
    spec: SourceSpec,
    /// Not tailed by an earlier run: `read_from` applies to its files.
    fresh: bool,
    /// Last listing error, reported once.
    error: Option<String>,
}

/// Follows the files of the configured sources. See the module docs.
pub struct Tailer {
    settings: TailSettings,
    sources: Vec<Source>,
    table: Arc<FileTable>,
    registry: Arc<Registry>,
    files: Vec<Tracked>,
    /// Compressed files matched by a glob: left alone (seen flag).
    ignored: HashMap<FileKey, bool>,
    metrics: Metrics,
    health: Health,
    clock: SharedClock,
    first_scan: bool,
    /// Last time files waiting behind a backlog were checked for
    /// truncation (at most once per poll interval: a poll while busy
    /// comes after every chunk).
    backlog_checked: Option<Instant>,
    next_rescan: Instant,
    rescan: Arc<AtomicBool>,
    watcher: Option<notify::RecommendedWatcher>,
    watched: HashSet<PathBuf>,
}

impl std::fmt::Debug for Tailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tailer")
            .field("sources", &self.sources)
            .field("files", &self.files.len())
            .finish()
    }
}

impl Tailer {
    /// A tailer over `sources`, resuming from the checkpoints in `registry`.
    pub fn new(
        settings: TailSettings,
        sources: Vec<SourceSpec>,
        table: Arc<FileTable>,
        registry: Arc<Registry>,
        metrics: Metrics,
        health: Health,
        clock: SharedClock,
    ) -> Self {
        let now = clock.now();
        let mut t = Tailer {
            settings,
            sources: Vec::new(),
            table,
            registry,
            files: Vec::new(),
            ignored: HashMap::new(),
            metrics,
            health,
            clock,
            first_scan: true,
            backlog_checked: None,
            next_rescan: now,
            rescan: Arc::new(AtomicBool::new(true)),
            watcher: None,
            watched: HashSet::new(),
        };
        t.set_sources(sources);
        t
    }

    /// Replaces the sources (config reload). Files of sources that are
    /// gone are closed (their checkpoints stay); new sources are scanned
    /// at the next poll.
    pub fn set_sources(&mut self, specs: Vec<SourceSpec>) {
        let old: Vec<Arc<str>> = self.sources.iter().map(|s| s.spec.name.clone()).collect();
        let sources: Vec<Source> = specs
            .into_iter()
            .map(|spec| Source {
                fresh: !self.registry.knows_source(&spec.name),
                spec,
                error: None,
            })
            .collect();
        for s in &sources {
            self.registry.add_source(&s.spec.name);
            self.declare_series(&s.spec.name);
        }
        let index: HashMap<Arc<str>, usize> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (s.spec.name.clone(), i))
            .collect();
        let mut kept = Vec::with_capacity(self.files.len());
        for mut t in self.files.drain(..) {
            match old.get(t.source).and_then(|n| index.get(n)) {
                Some(&i) => {
                    t.source = i;
                    kept.push(t);
                }
                None => {
                    if let State::Reading(r) = &t.state {
                        self.registry.close(&r.id);
                    }
                }
            }
        }
        self.files = kept;
        self.sources = sources;
        self.rescan.store(true, Ordering::SeqCst);
    }

    /// Starts inotify watches on the sources' directories; `wake` is called
    /// on every event. Without inotify (or with `tail.watch = "poll"`)
    /// polling alone goes on, and this says why.
    pub fn enable_watch(&mut self, wake: Arc<dyn Fn() + Send + Sync>) {
        if self.settings.watch == WatchMode::Poll {
            crate::info!(
                "tail: polling every {:?} (tail.watch = \"poll\")",
                self.settings.poll_interval
            );
            return;
        }
        let rescan = self.rescan.clone();
        let handler = move |res: notify::Result<notify::Event>| {
            use notify::EventKind;
            if let Ok(ev) = res {
                match ev.kind {
                    EventKind::Modify(notify::event::ModifyKind::Data(_)) => {}
                    EventKind::Access(_) => return,
                    _ => rescan.store(true, Ordering::SeqCst),
                }
            }
            wake();
        };
        match notify::recommended_watcher(handler) {
            Ok(w) => {
                self.watcher = Some(w);
                self.watch_dirs();
            }
            Err(e) => crate::warn!(
                "tail: inotify unavailable ({e}); polling every {:?}",
                self.settings.poll_interval
            ),
        }
    }

    /// Adds watches for source directories not watched yet (they may
    /// appear after startup).
    fn watch_dirs(&mut self) {
        use notify::{RecursiveMode, Watcher};
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        for s in &self.sources {
            let dir = s.spec.watch_dir().to_path_buf();
            if self.watched.contains(&dir) {
                continue;
            }
            let mode = if s.spec.depth > 1 {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            if w.watch(&dir, mode).is_ok() {
                self.watched.insert(dir);
            }
        }
    }

    /// Polls until the waiter says stop or the pipeline stops.
    pub fn run(&mut self, sink: &mut dyn ChunkSink, waiter: &dyn Waiter) {
        while !waiter.should_stop() {
            match self.poll(sink) {
                Step::Stopped => return,
                Step::Busy => {}
                Step::Idle => waiter.wait(self.settings.poll_interval),
            }
        }
    }

    /// One round: rescan if due, identify new files, read every file.
    pub fn poll(&mut self, sink: &mut dyn ChunkSink) -> Step {
        let now = self.clock.now();
        if self.rescan.swap(false, Ordering::SeqCst) || now >= self.next_rescan {
            self.discover(now);
        }
        self.revalidate_shadows();
        self.resolve_awaiting(now, true);
        let mut busy = false;
        // A source whose earlier file still has unread data waits: a file
        // rotated away is finished before its successor is read.
        let mut backlog = vec![false; self.sources.len()];
        let check_backlog = self
            .backlog_checked
            .is_none_or(|t| now.saturating_duration_since(t) >= self.settings.poll_interval);
        if check_backlog {
            self.backlog_checked = Some(now);
        }
        let mut i = 0;
        while i < self.files.len() {
            let t = &mut self.files[i];
            if backlog[t.source] {
                // Not read yet, but a truncation is noticed now.
                let truncated = check_backlog
                    && t.check(now, &self.registry).unwrap_or_else(|e| {
                        crate::warn!("tail: {}: {e}", safe(&t.path));
                        false
                    });
                if truncated {
                    self.truncated(i, now);
                    return Step::Busy;
                }
                i += 1;
                continue;
            }
            let nlink = match t.nlink() {
                Ok(n) => n,
                Err(e) => {
                    crate::warn!("tail: {}: {e}", safe(&t.path));
                    i += 1;
                    continue;
                }
            };
            match &t.state {
                State::Reading(_) => {}
                State::Awaiting { .. } | State::Shadow { .. } => {
                    // Identified in resolve_awaiting; shadows of a file that
                    // went away are dropped.
                    if t.orphaned(nlink) && matches!(t.state, State::Shadow { .. }) {
                        self.files.remove(i);
                        continue;
                    }
                    i += 1;
                    continue;
                }
            }
            let rescan = &self.rescan;
            let interrupted = || rescan.load(Ordering::SeqCst);
            let polled = t.poll(
                sink,
                self.settings.read_batch_bytes,
                now,
                &self.registry,
                &interrupted,
            );
            match polled {
                Ok(Polled::Stopped) => return Step::Stopped,
                Ok(Polled::Truncated) => {
                    self.truncated(i, now);
                    // Files were moved around: start the next round at once.
                    return Step::Busy;
                }
                Ok(Polled::Read { bytes, more }) => {
                    busy |= more;
                    let t = &self.files[i];
                    backlog[t.source] |= more;
                    if bytes == 0
                        && t.orphaned(nlink)
                        && now.saturating_duration_since(t.changed_at) >= self.settings.rotate_wait
                    {
                        if !self.finish(i, sink) {
                            return Step::Stopped;
                        }
                        continue;
                    }
                }
                Err(e) => crate::warn!("tail: reading {}: {e}", safe(&self.files[i].path)),
            }
            if self.rescan.swap(false, Ordering::SeqCst) {
                // A directory changed while reading (a file created,
                // renamed or removed): find and identify new files now,
                // not after the round, so a copytruncate's original is
                // known by its content before that content is gone.
                // Discovery only appends, so `i` stays valid.
                self.discover(now);
                self.revalidate_shadows();
                self.resolve_awaiting(now, false);
            }
            i += 1;
        }
        self.report();
        if busy { Step::Busy } else { Step::Idle }
    }

    /// Opens file `i` as a pipeline input from `offset`/`line`.
    fn start_reading(
        &mut self,
        i: usize,
        id: FileIdentity,
        offset: u64,
        line: u64,
        reset: bool,
        beyond: Beyond,
    ) {
        let t = &mut self.files[i];
        let spec = &self.sources[t.source].spec;
        let size = t.file.metadata().map_or(0, |m| m.len());
        let (offset, line, reset) = match beyond {
            _ if offset <= size => (offset, line, reset),
            Beyond::Restart => (0, 1, true),
            Beyond::End => {
                let (o, l) = end_position(&t.file).unwrap_or((0, 1));
                (o, l, true)
            }
        };
        if let Err(e) = (&*t.file).seek(SeekFrom::Start(offset)) {
            crate::warn!("tail: {}: {e}", safe(&t.path));
            return;
        }
        let (format, detected) = match spec.format {
            FormatChoice::Fixed(f) => (f, false),
            FormatChoice::Auto => (sniff_file(&t.file).unwrap_or(Format::Combined), true),
        };
        let head = read_head_bytes(&t.file).unwrap_or_default();
        let path = t.path.display().to_string();
        let info = self.table.register(&path, &spec.name, format, detected);
        let pos = Position {
            offset,
            line,
            path: path.clone(),
            source: spec.name.to_string(),
            closed_at: None,
            head: (!head.is_empty()).then(|| Fingerprint::of_prefix(&head)),
        };
        if reset && self.registry.position(&id).is_some() {
            // An earlier file with the same inode and first line (the inode
            // was reused): its entry, and acks still on their way for it,
            // must not become this file's.
            self.registry.detach(&id);
        }
        self.registry.open(info.id, id, pos, reset);
        // Series exist from the start (at 0), so dashboards and queries see
        // a source before its first event.
        let m = &self.metrics;
        m.events
            .with_label_values(&[format.name(), &spec.name])
            .inc_by(0);
        m.lines.with_label_values(&[&spec.name]).inc_by(0);
        m.bytes_read.with_label_values(&[&spec.name]).inc_by(0);
        crate::debug!(
            "tail: reading {} (inode {}) from offset {offset}",
            safe(&t.path),
            t.key.ino
        );
        let reader = self
            .settings
            .reader
            .build(info, SharedFile(t.file.clone()), offset, line);
        t.state = State::Reading(Box::new(Reading { id, head, reader }));
    }

    /// Exports a source's series at 0 before it reads anything, so that a
    /// source that never produces a line is visible (and alerted on: see
    /// `deploy/prometheus/picket-rules.yml`).
    fn declare_series(&self, name: &str) {
        let m = &self.metrics;
        m.lines.with_label_values(&[name]);
        m.bytes_read.with_label_values(&[name]);
        m.source_lag.with_label_values(&[name]);
        m.source_files.with_label_values(&[name]);
        for kind in ["rename", "truncate"] {
            m.source_rotations.with_label_values(&[name, kind]);
        }
    }

    /// Updates per-source gauges: files followed and bytes not yet read.
    fn report(&self) {
        let mut lag = vec![0i64; self.sources.len()];
        let mut files = vec![0i64; self.sources.len()];
        for t in &self.files {
            files[t.source] += 1;
            let done = match &t.state {
                State::Reading(r) => r.reader.read_position(),
                State::Shadow { .. } => t.size,
                State::Awaiting { .. } => 0,
            };
            lag[t.source] += i64::try_from(t.size.saturating_sub(done)).unwrap_or(i64::MAX);
        }
        for (i, s) in self.sources.iter().enumerate() {
            let name: &str = &s.spec.name;
            self.metrics
                .source_lag
                .with_label_values(&[name])
                .set(lag[i]);
            self.metrics
                .source_files
                .with_label_values(&[name])
                .set(files[i]);
        }
    }
}

/// The format of a file from its first bytes (complete lines only).
fn sniff_file(file: &File) -> Option<Format> {
    let mut buf = vec![0u8; SNIFF_BYTES];
    let n = file.read_at(&mut buf, 0).ok()?;
    buf.truncate(n);
    let end = memchr::memrchr(b'\n', &buf)?;
    sniff(&buf[..=end])
}

/// Offset after the file's last complete line, and that line's number + 1
/// (`read_from = "end"`; counting lines reads the file once).
pub(super) fn end_position(file: &File) -> std::io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 128 * 1024];
    let mut offset = 0u64;
    let mut after_last_nl = 0u64;
    let mut lines = 0u64;
    loop {
        let n = file.read_at(&mut buf, offset)?;
        if n == 0 {
            break;
        }
        for p in memchr::memchr_iter(b'\n', &buf[..n]) {
            lines += 1;
            after_last_nl = offset + p as u64 + 1;
        }
        offset += n as u64;
    }
    Ok((after_last_nl, lines + 1))
}
