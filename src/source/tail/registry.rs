//! The tailer's shared book: which pipeline input ([`FileId`]) reads which
//! file identity, and the checkpoints.
//!
//! The tailer thread opens and closes files here; the daemon's checkpoint
//! task commits delivered offsets (by `FileId`, as the pipeline reports
//! them) and saves. One mutex: every operation is a few map lookups.

use crate::source::FileId;
use crate::source::checkpoint::{CheckpointError, Checkpoints, FileIdentity, Position, unix_now};
use crate::source::fingerprint::{FileKey, Fingerprint};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// Shared between the tailer and the checkpointer.
#[derive(Debug, Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    checkpoints: Checkpoints,
    /// Every pipeline input opened by this process, with the offset it
    /// started at. Entries stay after the file is closed, because acks for
    /// its last chunks may still be on their way (a few dozen bytes per
    /// opened file).
    inputs: HashMap<FileId, (FileIdentity, u64)>,
}

impl Registry {
    /// A registry starting from loaded checkpoints.
    pub fn new(checkpoints: Checkpoints) -> Self {
        Registry {
            inner: Mutex::new(Inner {
                checkpoints,
                inputs: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The checkpointed position of an identity.
    pub fn position(&self, id: &FileIdentity) -> Option<Position> {
        self.lock().checkpoints.get(id).cloned()
    }

    /// The furthest checkpoint of a file with fingerprint `fp` that
    /// `eligible` accepts (a file's own, or one of a file it is a copy of);
    /// on a tie, the one of inode `prefer`.
    pub fn find_by_fingerprint(
        &self,
        fp: Fingerprint,
        prefer: FileKey,
        eligible: impl Fn(&FileIdentity, &Position) -> bool,
    ) -> Option<(FileIdentity, Position)> {
        let g = self.lock();
        g.checkpoints
            .iter()
            .filter(|(id, p)| id.fp == fp && eligible(id, p))
            .max_by_key(|(id, p)| (p.offset, id.key == prefer))
            .map(|(id, p)| (*id, p.clone()))
    }

    /// Whether `source` was tailed by an earlier run.
    pub fn knows_source(&self, source: &str) -> bool {
        self.lock().checkpoints.knows_source(source)
    }

    /// Records that `source` is tailed.
    pub fn add_source(&self, source: &str) {
        self.lock().checkpoints.add_source(source);
    }

    /// Input `file` reads identity `id` from `pos` on. `reset` replaces an
    /// existing position (a file read again from its start).
    pub fn open(&self, file: FileId, id: FileIdentity, pos: Position, reset: bool) {
        let mut g = self.lock();
        g.inputs.insert(file, (id, pos.offset));
        g.checkpoints.open(id, pos, reset);
    }

    /// The identity input `file` reads, and the offset it started at.
    pub fn input(&self, file: FileId) -> Option<(FileIdentity, u64)> {
        self.lock().inputs.get(&file).copied()
    }

    /// See [`Checkpoints::rewind`].
    pub fn rewind(&self, id: &FileIdentity, offset: u64, line: u64) {
        self.lock().checkpoints.rewind(id, offset, line);
    }

    /// Records a longer head of a growing file.
    pub fn set_head(&self, id: &FileIdentity, head: Fingerprint) {
        self.lock().checkpoints.set_head(id, head);
    }

    /// The content of `id` left its inode (truncated or rewritten): see
    /// [`Checkpoints::detach`]. Acks still on their way for it follow it.
    pub fn detach(&self, id: &FileIdentity) {
        let mut g = self.lock();
        if let Some(new) = g.checkpoints.detach(id, unix_now()) {
            for (ident, _) in g.inputs.values_mut() {
                if ident == id {
                    *ident = new;
                }
            }
        }
    }

    /// The file was finished: its entry is kept for a while.
    pub fn close(&self, id: &FileIdentity) {
        self.lock().checkpoints.close(id, unix_now());
    }

    /// Every line of input `file` before `offset` (line `line` starts
    /// there) had its alerts delivered durably.
    pub fn commit(&self, file: FileId, offset: u64, line: u64) {
        let mut g = self.lock();
        if let Some((id, _)) = g.inputs.get(&file).copied() {
            g.checkpoints.advance(&id, offset, line);
        }
    }

    /// Writes the checkpoint file if anything changed; `Ok(true)` if written.
    pub fn save(&self, dir: &Path) -> Result<bool, CheckpointError> {
        let mut g = self.lock();
        g.checkpoints.prune(unix_now());
        if !g.checkpoints.is_dirty() {
            return Ok(false);
        }
        g.checkpoints.save(dir).map(|()| true)
    }

    /// A copy of the positions (tests and diagnostics).
    pub fn snapshot(&self) -> Vec<(FileIdentity, Position)> {
        let g = self.lock();
        let mut v: Vec<_> = g.checkpoints.iter().map(|(i, p)| (*i, p.clone())).collect();
        v.sort_by_key(|e| e.0);
        v
    }
}
