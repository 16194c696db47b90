//! Tailing checkpoints: per file identity, the offset up to which every
//! line's alerts were delivered.
//!
//! The file (`state.dir/checkpoints.json`) is JSON with a version tag,
//! written atomically: a temporary file, `fsync`, `rename`, then an `fsync`
//! of the directory, so a crash leaves either the old or the new version
//! (vector's `checkpointer.rs` does the same). A missing file means a first
//! start; a corrupt one is moved aside and reported, never fatal: picket
//! then starts as if for the first time, which re-reads (duplicates) rather
//! than loses.

use super::fingerprint::{FileKey, Fingerprint};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// File name of the checkpoints inside the state directory.
pub const CHECKPOINT_FILE: &str = "checkpoints.json";

/// Version of the checkpoint format written by this build.
pub const CHECKPOINT_VERSION: u32 = 1;

/// Device number of detached entries (see [`Checkpoints::detach`]).
pub const DETACHED_DEV: u64 = u64::MAX;

/// Entries of files gone for longer than this (seconds) are forgotten.
pub const FORGET_AFTER_SECS: u64 = 24 * 3600;

/// A checkpoint problem. Loading problems are reported, then picket goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not a checkpoint this build understands.
    #[error("checkpoint {path} is unusable ({reason}); moved to {moved_to}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
        /// Where it was moved for inspection.
        moved_to: String,
    },
}

/// Who a file is: where it lives and how it starts.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileIdentity {
    /// Device and inode.
    pub key: FileKey,
    /// Hash of the first line.
    pub fp: Fingerprint,
}

/// How far a file is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Every line before this byte offset had its alerts delivered.
    pub offset: u64,
    /// 1-based number of the line starting at `offset`.
    pub line: u64,
    /// Last known path (informational; identity decides).
    pub path: String,
    /// Source name from config.
    pub source: String,
    /// Unix seconds when the file stopped being tailed, if it did.
    pub closed_at: Option<u64>,
    /// Hash of the file's first bytes (up to 4 KiB): a file with another
    /// inode and the same first line must also match this to be taken for
    /// a copy and resumed here.
    pub head: Option<Fingerprint>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    version: u32,
    #[serde(default)]
    sources: Vec<String>,
    files: Vec<EntryModel>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryModel {
    dev: u64,
    ino: u64,
    fingerprint: String,
    fingerprint_len: u32,
    offset: u64,
    line: u64,
    path: String,
    source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    closed_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    head_len: Option<u32>,
}

/// The checkpoints of every known file, and the sources tailed before.
#[derive(Debug, Default)]
pub struct Checkpoints {
    entries: HashMap<FileIdentity, Position>,
    sources: BTreeSet<String>,
    dirty: bool,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Checkpoints {
    /// Empty checkpoints (a first start).
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads `dir/checkpoints.json`. Never fails: a missing file gives empty
    /// checkpoints, an unreadable or corrupt one gives empty checkpoints and
    /// the error to report (a corrupt file is renamed `*.corrupt-<unix>`).
    pub fn load(dir: &Path) -> (Checkpoints, Option<CheckpointError>) {
        let path = dir.join(CHECKPOINT_FILE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (Checkpoints::new(), None),
            Err(e) => {
                let err = CheckpointError::Io {
                    path: path.display().to_string(),
                    source: e,
                };
                return (Checkpoints::new(), Some(err));
            }
        };
        match Self::parse(&text) {
            Ok(c) => (c, None),
            Err(reason) => {
                let moved = path.with_extension(format!("json.corrupt-{}", unix_now()));
                let moved_to = match std::fs::rename(&path, &moved) {
                    Ok(()) => moved.display().to_string(),
                    Err(e) => format!("nowhere ({e})"),
                };
                let err = CheckpointError::Corrupt {
                    path: path.display().to_string(),
                    reason,
                    moved_to,
                };
                (Checkpoints::new(), Some(err))
            }
        }
    }

    fn parse(text: &[u8]) -> Result<Checkpoints, String> {
        // Read the version first so a newer format says so, not "bad field".
        let v: serde_json::Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        match v.get("version").and_then(serde_json::Value::as_u64) {
            Some(n) if n == u64::from(CHECKPOINT_VERSION) => {}
            Some(n) => {
                return Err(format!(
                    "version {n}, this build reads {CHECKPOINT_VERSION}"
                ));
            }
            None => return Err("no version tag".into()),
        }
        let m: FileModel = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let mut c = Checkpoints::new();
        c.sources = m.sources.into_iter().collect();
        let now = unix_now();
        for e in m.files {
            let hash = u64::from_str_radix(&e.fingerprint, 16)
                .map_err(|_| format!("bad fingerprint `{}`", e.fingerprint))?;
            let head = match (&e.head, e.head_len) {
                (Some(h), Some(len)) => Some(Fingerprint {
                    hash: u64::from_str_radix(h, 16).map_err(|_| format!("bad head `{h}`"))?,
                    len,
                }),
                _ => None,
            };
            let id = FileIdentity {
                key: FileKey {
                    dev: e.dev,
                    ino: e.ino,
                },
                fp: Fingerprint {
                    hash,
                    len: e.fingerprint_len,
                },
            };
            // Until the tailer finds the file again, it counts as closed now.
            let pos = Position {
                offset: e.offset,
                line: e.line.max(1),
                path: e.path,
                source: e.source,
                closed_at: Some(e.closed_at.unwrap_or(now)),
                head,
            };
            c.entries.insert(id, pos);
        }
        Ok(c)
    }

    /// The position of an identity.
    pub fn get(&self, id: &FileIdentity) -> Option<&Position> {
        self.entries.get(id)
    }

    /// Every entry.
    pub fn iter(&self) -> impl Iterator<Item = (&FileIdentity, &Position)> {
        self.entries.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `source` was tailed before (so `read_from` no longer applies).
    pub fn knows_source(&self, source: &str) -> bool {
        self.sources.contains(source)
    }

    /// Records that `source` is tailed.
    pub fn add_source(&mut self, source: &str) {
        if self.sources.insert(source.to_string()) {
            self.dirty = true;
        }
    }

    /// Starts (or resumes) tracking a file at `offset`/`line`; an existing
    /// position is kept unless `reset`.
    pub fn open(&mut self, id: FileIdentity, pos: Position, reset: bool) {
        match self.entries.get_mut(&id) {
            Some(p) if !reset => {
                p.closed_at = None;
                p.path = pos.path;
                p.source = pos.source;
                p.head = pos.head.or(p.head);
            }
            _ => {
                self.entries.insert(id, pos);
            }
        }
        self.dirty = true;
    }

    /// Moves a file's position forward (never back: acks may repeat).
    pub fn advance(&mut self, id: &FileIdentity, offset: u64, line: u64) {
        if let Some(p) = self.entries.get_mut(id)
            && offset > p.offset
        {
            p.offset = offset;
            p.line = line;
            self.dirty = true;
        }
    }

    /// Moves a file's position back to `offset`/`line` if it is further
    /// (its reading started before what is known to be delivered).
    pub fn rewind(&mut self, id: &FileIdentity, offset: u64, line: u64) {
        if let Some(p) = self.entries.get_mut(id)
            && offset < p.offset
        {
            p.offset = offset;
            p.line = line;
            self.dirty = true;
        }
    }

    /// Records a longer head of a growing file.
    pub fn set_head(&mut self, id: &FileIdentity, head: Fingerprint) {
        if let Some(p) = self.entries.get_mut(id)
            && p.head != Some(head)
        {
            p.head = Some(head);
            self.dirty = true;
        }
    }

    /// Marks a file as no longer tailed; it is forgotten later.
    pub fn close(&mut self, id: &FileIdentity, now_unix: u64) {
        if let Some(p) = self.entries.get_mut(id) {
            p.closed_at = Some(now_unix);
            self.dirty = true;
        }
    }

    /// The content an entry describes no longer lives in its inode (the
    /// file was truncated or rewritten): the entry moves to a key no file
    /// has, so the inode's new content starts afresh while a copy of the
    /// old content (same first line and head) can still resume from it.
    /// Returns the new identity.
    pub fn detach(&mut self, id: &FileIdentity, now_unix: u64) -> Option<FileIdentity> {
        let mut p = self.entries.remove(id)?;
        let ino = self
            .entries
            .keys()
            .filter(|k| k.key.dev == DETACHED_DEV)
            .map(|k| k.key.ino + 1)
            .max()
            .unwrap_or(0);
        let new = FileIdentity {
            key: FileKey {
                dev: DETACHED_DEV,
                ino,
            },
            fp: id.fp,
        };
        p.closed_at = Some(now_unix);
        self.entries.insert(new, p);
        self.dirty = true;
        Some(new)
    }

    /// Whether something changed since the last save.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Forgets files closed more than [`FORGET_AFTER_SECS`] before `now_unix`.
    pub fn prune(&mut self, now_unix: u64) {
        let before = self.entries.len();
        self.entries.retain(|_, p| {
            p.closed_at
                .is_none_or(|t| now_unix.saturating_sub(t) < FORGET_AFTER_SECS)
        });
        if self.entries.len() != before {
            self.dirty = true;
        }
    }

    /// The file's bytes.
    fn render(&self) -> Vec<u8> {
        let mut files: Vec<EntryModel> = self
            .entries
            .iter()
            .map(|(id, p)| EntryModel {
                dev: id.key.dev,
                ino: id.key.ino,
                fingerprint: id.fp.to_string(),
                fingerprint_len: id.fp.len,
                offset: p.offset,
                line: p.line,
                path: p.path.clone(),
                source: p.source.clone(),
                closed_at: p.closed_at,
                head: p.head.map(|h| h.to_string()),
                head_len: p.head.map(|h| h.len),
            })
            .collect();
        files.sort_by(|a, b| (&a.path, a.ino).cmp(&(&b.path, b.ino)));
        let m = FileModel {
            version: CHECKPOINT_VERSION,
            sources: self.sources.iter().cloned().collect(),
            files,
        };
        let mut out = serde_json::to_vec_pretty(&m).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Writes `dir/checkpoints.json` atomically and clears the dirty flag.
    pub fn save(&mut self, dir: &Path) -> Result<(), CheckpointError> {
        let path = dir.join(CHECKPOINT_FILE);
        let io_err = |source: io::Error| CheckpointError::Io {
            path: path.display().to_string(),
            source,
        };
        write_atomic(dir, &path, &self.render()).map_err(io_err)?;
        self.dirty = false;
        Ok(())
    }
}

/// Writes `data` to `path` (inside `dir`) via a temporary file, `fsync` and
/// `rename`, then syncs `dir` so the rename itself survives a power loss.
pub fn write_atomic(dir: &Path, path: &Path, data: &[u8]) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp: PathBuf = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ino: u64, hash: u64) -> FileIdentity {
        FileIdentity {
            key: FileKey { dev: 1, ino },
            fp: Fingerprint { hash, len: 40 },
        }
    }

    fn pos(offset: u64) -> Position {
        Position {
            offset,
            line: 1,
            path: "/var/log/a.log".into(),
            source: "web".into(),
            closed_at: None,
            head: Some(Fingerprint { hash: 9, len: 4096 }),
        }
    }

    #[test]
    fn round_trips_and_only_moves_forward() {
        let d = tempfile::tempdir().unwrap();
        let mut c = Checkpoints::new();
        c.add_source("web");
        c.open(id(7, 0xabc), pos(0), false);
        c.advance(&id(7, 0xabc), 500, 11);
        c.advance(&id(7, 0xabc), 300, 5);
        c.open(id(8, u64::MAX), pos(42), false);
        assert!(c.is_dirty());
        c.save(d.path()).unwrap();
        assert!(!c.is_dirty());
        let (l, err) = Checkpoints::load(d.path());
        assert!(err.is_none());
        assert_eq!(l.len(), 2);
        assert!(l.knows_source("web") && !l.knows_source("db"));
        let p = l.get(&id(7, 0xabc)).unwrap();
        assert_eq!((p.offset, p.line), (500, 11));
        assert!(p.closed_at.is_some(), "not yet found again");
        assert_eq!(p.head, Some(Fingerprint { hash: 9, len: 4096 }));
        assert_eq!(l.get(&id(8, u64::MAX)).unwrap().offset, 42);
        assert!(!d.path().join("checkpoints.tmp").exists());
    }

    #[test]
    fn missing_is_a_first_start_and_corrupt_is_reported_and_moved_aside() {
        let d = tempfile::tempdir().unwrap();
        let (c, err) = Checkpoints::load(d.path());
        assert!(c.is_empty() && err.is_none());
        for bad in [
            &b"{\"version\":1,\"files\":[{\"dev\":1"[..],
            b"\x00\x01garbage",
            b"{\"version\":99,\"files\":[]}",
            b"{\"files\":[]}",
            b"{\"version\":1,\"files\":[{\"dev\":1,\"ino\":2,\"fingerprint\":\"zz\",\"fingerprint_len\":1,\"offset\":0,\"line\":1,\"path\":\"p\",\"source\":\"s\"}]}",
        ] {
            std::fs::write(d.path().join(CHECKPOINT_FILE), bad).unwrap();
            let (c, err) = Checkpoints::load(d.path());
            assert!(c.is_empty());
            let msg = err.expect("reported").to_string();
            assert!(msg.contains("unusable"), "{msg}");
            assert!(!d.path().join(CHECKPOINT_FILE).exists(), "moved aside");
        }
        let moved = std::fs::read_dir(d.path()).unwrap().count();
        assert!(moved >= 1);
    }

    #[test]
    fn closed_entries_are_forgotten_after_a_day() {
        let mut c = Checkpoints::new();
        c.open(id(1, 1), pos(10), false);
        c.open(id(2, 2), pos(10), false);
        c.close(&id(1, 1), 1_000);
        c.prune(1_000 + FORGET_AFTER_SECS - 1);
        assert_eq!(c.len(), 2);
        c.prune(1_000 + FORGET_AFTER_SECS);
        assert_eq!(c.len(), 1);
        assert!(c.get(&id(2, 2)).is_some());
    }
}
