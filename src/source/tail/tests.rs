//! Model-based tests of the tailer: random writes, partial writes,
//! oversized lines, rename rotations, copytruncates, deletions, restarts
//! and crashes, against a model that knows every line written (compare
//! vector's `file_watcher/tests`). Every line must come out exactly once
//! with clean restarts, at least once with crashes, with its right line
//! number, and every oversized line must be counted once.

use super::*;
use crate::clock::FakeClock;
use crate::config::{ReadFrom, SourceConfig};
use crate::source::Chunk;
use crate::source::checkpoint::Checkpoints;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

const MAX_LINE: usize = 64;
const ROTATE_WAIT: Duration = Duration::from_secs(5);
const HEADER: &[u8] = b"#header shared by every file\n";

/// Collects chunks. Their acknowledgements wait, as in the daemon, until
/// the alerts are delivered (the `Deliver` action; a clean stop delivers
/// everything first, a crash loses what was not delivered).
struct Collect {
    chunks: Vec<Chunk>,
    registry: Arc<Registry>,
    pending: Vec<(crate::source::FileId, u64, u64)>,
}

impl Collect {
    fn deliver(&mut self) {
        for (file, offset, line) in self.pending.drain(..) {
            self.registry.commit(file, offset, line);
        }
    }
}

impl ChunkSink for Collect {
    fn buffer(&self) -> Vec<u8> {
        Vec::new()
    }

    fn send(&mut self, chunk: Chunk) -> bool {
        self.pending
            .push((chunk.file.id, chunk.end_offset(), chunk.next_line()));
        self.chunks.push(chunk);
        true
    }
}

#[derive(Clone, Debug)]
enum Action {
    Write(usize),
    WritePartial,
    WriteLong,
    Rotate,
    CopyTruncate,
    Delete(usize),
    DeleteActive,
    Poll(u64),
    Deliver,
    Save,
    Restart,
    Crash,
}

fn action(crashes: bool) -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (1usize..12).prop_map(Action::Write),
        2 => Just(Action::WritePartial),
        1 => Just(Action::WriteLong),
        2 => Just(Action::Rotate),
        2 => Just(Action::CopyTruncate),
        1 => (0usize..8).prop_map(Action::Delete),
        1 => Just(Action::DeleteActive),
        8 => prop_oneof![Just(0u64), 1u64..200, Just(6_000)].prop_map(Action::Poll),
        4 => Just(Action::Deliver),
        2 => Just(Action::Save),
        1 => Just(Action::Restart),
        2 => Just(if crashes { Action::Crash } else { Action::Restart }),
    ]
}

/// The writer's side: what is on disk and what must come out.
struct Model {
    dir: PathBuf,
    seq: u64,
    active_lines: u64,
    rotations: u32,
    /// Line number (in its file) of every normal line, by sequence number.
    expected: BTreeMap<u64, u64>,
    oversized: u64,
    partial: Option<Vec<u8>>,
    /// Rotated files the tailer has had a chance to open.
    deletable: Vec<PathBuf>,
    /// Inode of `app.log` at the last poll.
    active_at_poll: Option<u64>,
    /// A file was deleted since the last poll.
    deleted_since_poll: bool,
    /// Every new file starts with the same header line, so all files share
    /// a first line (a fingerprint alone cannot tell them apart).
    headers: bool,
}

impl Model {
    fn active(&self) -> PathBuf {
        self.dir.join("app.log")
    }

    fn append(&self, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.active())
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    fn next_line(&mut self) -> Vec<u8> {
        self.seq += 1;
        self.active_lines += 1;
        self.expected.insert(self.seq, self.active_lines);
        // Varying lengths, all under MAX_LINE.
        let pad = "p".repeat((self.seq % 13) as usize);
        format!("L{:06} {pad}\n", self.seq).into_bytes()
    }

    /// A new, empty active file: with headers, write the header line.
    fn started(&mut self) {
        self.active_lines = 0;
        if self.headers {
            self.append(HEADER);
            self.active_lines = 1;
        }
    }

    fn complete_partial(&mut self) {
        if let Some(rest) = self.partial.take() {
            self.append(&rest);
        }
    }

    fn apply(&mut self, a: &Action) {
        if !matches!(
            a,
            Action::Poll(_) | Action::Deliver | Action::Save | Action::Restart | Action::Crash
        ) {
            self.complete_partial();
        }
        match a {
            Action::Write(n) => {
                let mut buf = Vec::new();
                for _ in 0..*n {
                    buf.extend(self.next_line());
                }
                self.append(&buf);
            }
            Action::WritePartial => {
                let line = self.next_line();
                let (a, b) = line.split_at(line.len() / 2);
                self.append(a);
                self.partial = Some(b.to_vec());
            }
            Action::WriteLong => {
                self.seq += 1;
                self.active_lines += 1;
                self.oversized += 1;
                let mut l = format!("X{:06} ", self.seq).into_bytes();
                l.extend(std::iter::repeat_n(b'x', MAX_LINE * 2));
                l.push(b'\n');
                self.append(&l);
            }
            Action::Rotate => {
                self.rotations += 1;
                let to = self.dir.join(format!("app.log.{}", self.rotations));
                if self.active().exists() {
                    std::fs::rename(self.active(), &to).unwrap();
                }
                std::fs::File::create(self.active()).unwrap();
                self.started();
            }
            Action::CopyTruncate => {
                self.rotations += 1;
                let to = self.dir.join(format!("app.log.c{}", self.rotations));
                if self.active().exists() {
                    std::fs::copy(self.active(), &to).unwrap();
                }
                std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(true)
                    .open(self.active())
                    .unwrap();
                self.started();
            }
            Action::DeleteActive => {
                // Only a file the tailer has open can be finished after
                // its deletion; one it never saw is simply gone.
                use std::os::unix::fs::MetadataExt;
                let ino = std::fs::metadata(self.active()).ok().map(|m| m.ino());
                if ino.is_some() && ino == self.active_at_poll {
                    self.deleted_since_poll = true;
                    std::fs::remove_file(self.active()).unwrap();
                    std::fs::File::create(self.active()).unwrap();
                    self.started();
                }
            }
            Action::Delete(i) => {
                if !self.deletable.is_empty() {
                    let p = self.deletable.remove(i % self.deletable.len());
                    let _ = std::fs::remove_file(p);
                    self.deleted_since_poll = true;
                }
            }
            Action::Poll(_) | Action::Deliver | Action::Save | Action::Restart | Action::Crash => {}
        }
    }

    /// After a poll, every rotated file present was seen by the tailer.
    fn polled(&mut self) {
        use std::os::unix::fs::MetadataExt;
        self.deleted_since_poll = false;
        self.active_at_poll = std::fs::metadata(self.active()).ok().map(|m| m.ino());
        self.deletable = std::fs::read_dir(&self.dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| n != "app.log"))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("app.log"))
            })
            .collect();
    }
}

fn tailer(dir: &Path, state: &Path, clock: &FakeClock) -> (Tailer, Arc<Registry>) {
    let (cp, err) = Checkpoints::load(state);
    assert!(err.is_none(), "{err:?}");
    let registry = Arc::new(Registry::new(cp));
    let tail = TailConfig {
        rescan_interval: crate::config::Duration(Duration::ZERO),
        rotate_wait: crate::config::Duration(ROTATE_WAIT),
        read_batch_bytes: crate::config::ByteSize(300),
        ..TailConfig::default()
    };
    let limits = LimitsConfig {
        max_line_bytes: MAX_LINE,
        ..LimitsConfig::default()
    };
    let mut settings = TailSettings::from_config(&tail, &limits);
    settings.reader = settings.reader.chunk_size(97);
    let spec = SourceSpec::new(
        0,
        &SourceConfig {
            name: Some("app".into()),
            path: format!("{}/app.log*", dir.display()),
            exclude: vec![],
            format: "combined".into(),
            read_from: ReadFrom::Beginning,
            kafka: None,
        },
    )
    .unwrap();
    let t = Tailer::new(
        settings,
        vec![spec],
        Arc::new(FileTable::new()),
        registry.clone(),
        Metrics::new(),
        Health::new(),
        clock.shared(),
    );
    (t, registry)
}

fn poll_until_idle(t: &mut Tailer, sink: &mut Collect) {
    for _ in 0..200 {
        if t.poll(sink) == Step::Idle {
            return;
        }
    }
    panic!("tailer never went idle");
}

/// Runs `actions`; returns (times each line came out, line numbers
/// seen wrong, oversized lines counted, the model).
fn run(actions: &[Action], headers: bool) -> (BTreeMap<u64, u32>, Vec<String>, u64, Model) {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    let state = d.path().join("state");
    std::fs::create_dir_all(&dir).unwrap();
    let clock = FakeClock::new();
    let mut m = Model {
        dir: dir.clone(),
        seq: 0,
        active_lines: 0,
        rotations: 0,
        expected: BTreeMap::new(),
        oversized: 0,
        partial: None,
        deletable: Vec::new(),
        active_at_poll: None,
        deleted_since_poll: false,
        headers,
    };
    std::fs::File::create(m.active()).unwrap();
    m.started();
    let (mut t, registry) = tailer(&dir, &state, &clock);
    let mut sink = Collect {
        chunks: Vec::new(),
        registry,
        pending: Vec::new(),
    };
    let mut out = Vec::new();
    for a in actions {
        m.apply(a);
        match a {
            Action::Poll(ms) => {
                clock.advance(Duration::from_millis(*ms));
                poll_until_idle(&mut t, &mut sink);
                m.polled();
            }
            Action::Deliver => sink.deliver(),
            Action::Save => {
                sink.registry.save(&state).unwrap();
            }
            Action::Restart | Action::Crash => {
                // A deleted file lives only in the open descriptor: a stop
                // right after the deletion, before any poll, loses what was
                // not read. The daemon polls on the deletion's inotify
                // event; the model gives it that poll.
                if m.deleted_since_poll {
                    poll_until_idle(&mut t, &mut sink);
                    m.polled();
                }
                if matches!(a, Action::Restart) {
                    // A clean stop: everything read is delivered, then
                    // checkpointed.
                    sink.deliver();
                    sink.registry.save(&state).unwrap();
                }
                drop(t);
                // The new tailer has opened nothing yet.
                m.active_at_poll = None;
                m.deletable.clear();
                let (t2, r2) = tailer(&dir, &state, &clock);
                t = t2;
                out.append(&mut sink.chunks);
                sink = Collect {
                    chunks: Vec::new(),
                    registry: r2,
                    pending: Vec::new(),
                };
            }
            _ => {}
        }
    }
    m.complete_partial();
    for _ in 0..4 {
        clock.advance(ROTATE_WAIT + Duration::from_secs(1));
        poll_until_idle(&mut t, &mut sink);
    }
    out.append(&mut sink.chunks);
    let mut counts = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut oversized = 0;
    for c in &out {
        if c.oversized.is_some() {
            oversized += 1;
            continue;
        }
        for (k, line) in c
            .data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            // Long lines inside one read reach the framer, which skips them
            // by the same limit (pipeline worker).
            if line.len() > MAX_LINE {
                oversized += 1;
                continue;
            }
            if line.starts_with(b"#header") {
                continue;
            }
            let text = String::from_utf8_lossy(line);
            let seq: u64 = text
                .get(1..7)
                .unwrap_or_default()
                .parse()
                .unwrap_or_else(|_| panic!("garbled line {text:?}"));
            *counts.entry(seq).or_insert(0) += 1;
            let got = c.start_line + k as u64;
            if m.expected.get(&seq) != Some(&got) {
                wrong.push(format!(
                    "{text}: line {got}, expected {:?}",
                    m.expected.get(&seq)
                ));
            }
        }
    }
    (counts, wrong, oversized, m)
}

fn assert_exactly_once(actions: &[Action]) {
    assert_exactly_once_with(actions, false);
    assert_exactly_once_with(actions, true);
}

fn assert_exactly_once_with(actions: &[Action], headers: bool) {
    let (counts, wrong, oversized, m) = run(actions, headers);
    let missing: Vec<u64> = m
        .expected
        .keys()
        .filter(|s| !counts.contains_key(s))
        .copied()
        .collect();
    let dup: Vec<(u64, u32)> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(s, n)| (*s, *n))
        .collect();
    assert!(missing.is_empty(), "lost lines {missing:?}");
    assert!(dup.is_empty(), "duplicated lines {dup:?}");
    assert_eq!(counts.len(), m.expected.len());
    assert!(wrong.is_empty(), "wrong line numbers: {wrong:?}");
    assert_eq!(oversized, m.oversized, "oversized lines counted");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_line_exactly_once_through_rotations_and_clean_restarts(
        actions in proptest::collection::vec(action(false), 1..60)
    ) {
        assert_exactly_once(&actions);
    }

    #[test]
    fn every_line_at_least_once_through_crashes(
        actions in proptest::collection::vec(action(true), 1..60),
        headers: bool,
    ) {
        let (counts, _wrong, _oversized, m) = run(&actions, headers);
        let missing: Vec<u64> =
            m.expected.keys().filter(|s| !counts.contains_key(s)).copied().collect();
        prop_assert!(missing.is_empty(), "lost lines {:?}", missing);
        let written: HashSet<u64> = m.expected.keys().copied().collect();
        prop_assert!(counts.keys().all(|s| written.contains(s)), "invented lines");
    }
}

#[test]
fn copytruncate_continues_in_the_copy() {
    use Action::*;
    assert_exactly_once(&[Write(5), Poll(0), Write(3), CopyTruncate, Write(2), Poll(0)]);
}

#[test]
fn rename_rotation_finishes_the_old_file_first_and_survives_restart() {
    use Action::*;
    assert_exactly_once(&[
        Write(5),
        Poll(0),
        Write(4),
        Rotate,
        Write(3),
        Restart,
        Write(1),
        Rotate,
        Poll(10),
        Delete(0),
        Write(2),
        Poll(6_000),
        Poll(6_000),
    ]);
}

#[test]
fn partial_and_oversized_lines() {
    use Action::*;
    assert_exactly_once(&[
        WritePartial,
        Poll(0),
        Poll(6_000),
        Write(1),
        WriteLong,
        Poll(0),
        WritePartial,
        Restart,
    ]);
}

/// Found by the model: the truncated file regained exactly its old size
/// before the next poll, so only the first-line check can tell.
#[test]
fn truncation_to_the_same_size_is_noticed() {
    use Action::*;
    assert_exactly_once(&[Write(8), Poll(0), CopyTruncate, Write(7)]);
    assert_exactly_once(&[WriteLong, Poll(0), CopyTruncate, WriteLong, Rotate]);
}

/// Found by the model: with a header shared by every file, a half-written
/// line that starts like another file's line made a new file look like a
/// copy; copies are now compared on complete lines only.
#[test]
fn a_partial_line_does_not_make_a_copy() {
    use Action::*;
    assert_exactly_once_with(
        &[
            WritePartial,
            Write(3),
            Write(1),
            Rotate,
            WritePartial,
            Write(10),
            Write(3),
            Write(1),
            Write(8),
            Poll(0),
            Write(4),
            Rotate,
            Write(5),
            Write(1),
            Delete(0),
            Rotate,
            WritePartial,
            Poll(6000),
        ],
        true,
    );
}

/// Found by the model: a truncated file that starts again with the same
/// header has the same identity as its old content, whose checkpoint must
/// stay available (detached) for the copy.
#[test]
fn a_rewritten_file_does_not_take_over_its_old_checkpoint() {
    use Action::*;
    assert_exactly_once_with(&[Write(1), Poll(0), CopyTruncate, Restart], true);
}

/// Found by the model: the copy got the inode of a file deleted earlier,
/// with the same header; the old file's entry and late acks must not
/// become the copy's.
#[test]
fn a_reused_inode_does_not_inherit_the_old_checkpoint() {
    use Action::*;
    assert_exactly_once(&[
        Write(1),
        Write(3),
        Poll(0),
        DeleteActive,
        Write(1),
        Poll(6000),
        CopyTruncate,
        Poll(6000),
        Restart,
        Save,
    ]);
}

/// Found by the daemon's rotation test under load: the tailer was behind,
/// still reading an earlier file, when the live file (identified, nothing
/// read of it yet) was copied and truncated. The truncation is noticed at
/// the next poll although the file waits behind the backlog, and the copy
/// takes over from offset 0 (nothing of the original had been read, so
/// there is nothing to verify beyond its first line).
#[test]
fn a_copytruncate_behind_a_backlog_is_noticed_and_the_copy_takes_over() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    let state = d.path().join("state");
    std::fs::create_dir_all(&dir).unwrap();
    let lines = |from: u64, n: u64| -> Vec<u8> {
        (from..from + n)
            .flat_map(|s| format!("L{s:06} payload\n").into_bytes())
            .collect()
    };
    std::fs::write(dir.join("app.log.1"), lines(1, 200)).unwrap();
    std::fs::write(dir.join("app.log"), lines(201, 10)).unwrap();
    // The rotated file is older, so it is read first.
    let old = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(dir.join("app.log.1"))
        .and_then(|f| f.set_modified(old))
        .unwrap();
    let clock = FakeClock::new();
    let (mut t, registry) = tailer(&dir, &state, &clock);
    let mut sink = Collect {
        chunks: Vec::new(),
        registry,
        pending: Vec::new(),
    };
    assert_eq!(t.poll(&mut sink), Step::Busy, "app.log.1 is long");
    let original = t
        .files
        .iter()
        .find(|f| f.path.ends_with("app.log"))
        .and_then(|f| match &f.state {
            State::Reading(r) => Some((r.id.fp, r.reader.read_position())),
            _ => None,
        });
    let (fp, read) = original.expect("app.log identified");
    assert_eq!(read, 0, "app.log waits behind app.log.1");
    // logrotate's copytruncate, then new lines in the truncated file.
    std::fs::copy(dir.join("app.log"), dir.join("app.log.c")).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dir.join("app.log"))
        .unwrap();
    std::fs::write(dir.join("app.log"), lines(211, 20)).unwrap();
    // Two polls a poll interval apart: one finds the copy (undecided while
    // its original looks truncated), the next notices the truncation
    // behind the backlog.
    for _ in 0..2 {
        clock.advance(Duration::from_millis(300));
        t.poll(&mut sink);
    }
    let copy = t.files.iter().find(|f| f.path.ends_with("app.log.c"));
    match copy.map(|f| &f.state) {
        Some(State::Reading(r)) => assert_eq!(r.id.fp, fp, "the copy continues the original"),
        other => panic!("the copy is not reading: {other:?}"),
    }
    poll_until_idle(&mut t, &mut sink);
    let mut seen = BTreeMap::new();
    for c in &sink.chunks {
        for l in c.data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            *seen.entry(l.to_vec()).or_insert(0u32) += 1;
        }
    }
    assert_eq!(seen.len(), 230, "every line");
    assert!(seen.values().all(|n| *n == 1), "once");
}

/// A sink that, at its first chunk, creates a file and reports a directory
/// change, as inotify would while the tailer is busy with a backlog.
struct ChangeOnFirstSend {
    inner: Collect,
    change: Option<(PathBuf, Arc<std::sync::atomic::AtomicBool>)>,
}

impl ChunkSink for ChangeOnFirstSend {
    fn buffer(&self) -> Vec<u8> {
        Vec::new()
    }

    fn send(&mut self, chunk: Chunk) -> bool {
        if let Some((path, flag)) = self.change.take() {
            std::fs::write(path, b"N000001 new file\n").unwrap();
            flag.store(true, Ordering::SeqCst);
        }
        self.inner.send(chunk)
    }
}

/// A file created while the tailer reads a backlog is identified (its
/// first bytes recorded) in the same round, not after the backlog: its
/// content may be gone (copytruncate) by the time the backlog is read.
#[test]
fn a_file_created_during_a_backlog_is_identified_at_once() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("logs");
    let state = d.path().join("state");
    std::fs::create_dir_all(&dir).unwrap();
    // More than one read (128 KiB) of lines.
    let backlog: Vec<u8> = (1..=20_000)
        .flat_map(|s| format!("L{s:06} payload\n").into_bytes())
        .collect();
    std::fs::write(dir.join("app.log.1"), backlog).unwrap();
    let clock = FakeClock::new();
    let (mut t, registry) = tailer(&dir, &state, &clock);
    // Only inotify (the flag) triggers a rescan here.
    t.settings.rescan_interval = Duration::from_secs(3600);
    let mut sink = ChangeOnFirstSend {
        inner: Collect {
            chunks: Vec::new(),
            registry,
            pending: Vec::new(),
        },
        change: Some((dir.join("app.log"), t.rescan.clone())),
    };
    assert_eq!(t.poll(&mut sink), Step::Busy, "the backlog is not read yet");
    let new = t.files.iter().find(|f| f.path.ends_with("app.log"));
    assert!(
        matches!(new.map(|f| &f.state), Some(State::Reading(_))),
        "identified in the round that saw it created"
    );
    let backlog_left = t.files.iter().any(|f| match &f.state {
        State::Reading(r) => f.path.ends_with("app.log.1") && r.reader.offset() < f.size,
        _ => false,
    });
    assert!(backlog_left, "still behind on app.log.1");
}
