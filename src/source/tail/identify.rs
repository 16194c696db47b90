//! Which file is which: discovery (globs → open files), identification
//! (first line + head → a checkpoint, a shadow or a new file) and what
//! truncation, finishing and copies do to identities. See the module docs
//! of [`super`] for the rules.

use super::file::{Reading, State, Tracked, is_compressed};
use super::{Beyond, Tailer, end_position};
use crate::config::ReadFrom;
use crate::logging::path as safe;
use crate::source::ChunkSink;
use crate::source::checkpoint::FileIdentity;
use crate::source::fingerprint::{FileKey, Fingerprint, matches_head, starts_like};
use std::collections::HashSet;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

impl Tailer {
    /// Expands every glob; opens new files, notes renames and files gone.
    pub(super) fn discover(&mut self, now: Instant) {
        self.next_rescan = now + self.settings.rescan_interval;
        self.watch_dirs();
        let mut found: Vec<(FileKey, usize, PathBuf, u64, Option<std::time::SystemTime>)> =
            Vec::new();
        let mut keys = HashSet::new();
        for (si, s) in self.sources.iter_mut().enumerate() {
            match s.spec.expand() {
                Ok(list) => {
                    if s.error.take().is_some() {
                        crate::info!("source {}: {} is readable again", s.spec.name, s.spec.glob);
                        self.health.clear(&format!("source/{}", s.spec.name));
                    }
                    for (p, m) in list {
                        let key = FileKey::of(&m);
                        // A file matched by two sources belongs to the first.
                        if keys.insert(key) {
                            found.push((key, si, p, m.len(), m.modified().ok()));
                        }
                    }
                }
                Err(e) => {
                    let msg = format!("cannot list {}: {e}", safe(s.spec.watch_dir()));
                    if s.error.as_deref() != Some(&msg) {
                        crate::warn!("source {}: {msg}", s.spec.name);
                        self.health.set(&format!("source/{}", s.spec.name), &msg);
                    }
                    s.error = Some(msg);
                }
            }
        }
        for t in &mut self.files {
            t.seen = false;
        }
        for seen in self.ignored.values_mut() {
            *seen = false;
        }
        // New files are read oldest first (rotated files before the live one).
        found.sort_by(|a, b| (a.4, &a.2).cmp(&(b.4, &b.2)));
        for (key, si, path, size, _) in found {
            if let Some(seen) = self.ignored.get_mut(&key) {
                *seen = true;
                continue;
            }
            if let Some(t) = self.files.iter_mut().find(|t| t.key == key) {
                t.seen = true;
                if t.path != path {
                    crate::info!("tail: {} was renamed to {}", safe(&t.path), safe(&path));
                    self.metrics
                        .source_rotations
                        .with_label_values(&[&self.sources[t.source].spec.name, "rename"])
                        .inc();
                    t.path = path;
                }
                continue;
            }
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) => {
                    crate::warn!("tail: cannot open {}: {e}", safe(&path));
                    continue;
                }
            };
            // Replaced between listing and opening: the next scan sees it.
            if file.metadata().map(|m| FileKey::of(&m)).ok() != Some(key) {
                continue;
            }
            if is_compressed(&file) {
                crate::info!("tail: {} is compressed; not tailed", safe(&path));
                self.ignored.insert(key, true);
                continue;
            }
            crate::debug!(
                "tail: found {} (inode {}, {size} bytes)",
                safe(&path),
                key.ino
            );
            self.files.push(Tracked {
                key,
                path,
                source: si,
                file: Arc::new(file),
                seen: true,
                state: State::Awaiting {
                    initial: self.first_scan,
                },
                size,
                changed_at: now,
            });
        }
        self.ignored.retain(|_, seen| *seen);
        self.first_scan = false;
    }

    /// Identifies files whose first line became complete. Exact checkpoint
    /// matches go first, so an original claims its checkpoint before a copy
    /// of it is considered. Files that will never be identified (compressed,
    /// or gone while empty) are removed only with `prune`: in the middle of
    /// a reading round, indexes must stay valid.
    pub(super) fn resolve_awaiting(&mut self, now: Instant, prune: bool) {
        let mut ready: Vec<(usize, Fingerprint, bool)> = Vec::new();
        let mut drop: Vec<usize> = Vec::new();
        for (i, t) in self.files.iter_mut().enumerate() {
            if !matches!(t.state, State::Awaiting { .. }) {
                continue;
            }
            let meta = t.file.metadata();
            let (size, nlink) = match &meta {
                Ok(m) => (m.len(), std::os::unix::fs::MetadataExt::nlink(m)),
                Err(_) => (t.size, 0),
            };
            if size != t.size {
                t.size = size;
                t.changed_at = now;
            }
            let idle = now.saturating_duration_since(t.changed_at) >= self.settings.rotate_wait;
            let finishing = t.orphaned(nlink) && idle;
            if is_compressed(&t.file) {
                drop.push(i);
                continue;
            }
            match Fingerprint::read(&t.file, self.settings.fingerprint_bytes, finishing) {
                Ok(Some(fp)) => {
                    let exact = self
                        .registry
                        .position(&FileIdentity { key: t.key, fp })
                        .is_some();
                    ready.push((i, fp, exact));
                }
                Ok(None) if finishing => drop.push(i),
                Ok(None) => {}
                Err(e) => crate::warn!("tail: {}: {e}", safe(&t.path)),
            }
        }
        ready.sort_by_key(|(_, _, exact)| !*exact);
        for (i, fp, _) in ready {
            self.decide(i, fp);
        }
        if prune {
            for i in drop.into_iter().rev() {
                self.files.remove(i);
            }
        }
    }

    /// Decides where file `i` with fingerprint `fp` starts (module docs, 2).
    pub(super) fn decide(&mut self, i: usize, fp: Fingerprint) {
        let key = self.files[i].key;
        let id = FileIdentity { key, fp };
        // Same first line and same first bytes as a file being read: a copy.
        let file = self.files[i].file.clone();
        let file = &*file;
        let source = self.files[i].source;
        match self.copy_of_live(i, fp) {
            Some(true) => {
                crate::debug!(
                    "tail: {} is a copy of a file being read; held back",
                    safe(&self.files[i].path)
                );
                self.files[i].state = State::Shadow { fp };
                return;
            }
            // Undecidable until the reading loop has dealt with that
            // file's truncation (whose copy this may be): wait a poll.
            None => {
                crate::debug!(
                    "tail: {} may be a copy of a truncated file; deciding later",
                    safe(&self.files[i].path)
                );
                return;
            }
            Some(false) => {}
        }
        // A checkpoint of this content: same first line, and the first bytes
        // recorded with it (up to 4 KiB, which covers everything skipped
        // when it is resumed below that offset) still match. Its own inode's
        // entry, or a copy's of a file read before. The furthest wins: the
        // content before it was read, whichever file it was read from.
        let reading: HashSet<FileIdentity> = self
            .files
            .iter()
            .filter_map(|u| match &u.state {
                State::Reading(r) => Some(r.id),
                _ => None,
            })
            .collect();
        let stale = self
            .registry
            .position(&id)
            .is_some_and(|p| p.head.is_some_and(|h| !h.matches(file).unwrap_or(false)));
        if stale {
            // Rewritten: that entry describes content that left this inode.
            self.registry.detach(&id);
        }
        let known = self.registry.find_by_fingerprint(fp, key, |o, p| {
            // Not the checkpoint of a file being read: this file is no copy
            // of it (checked above).
            if reading.contains(o) {
                return false;
            }
            // Copies are only looked for within a source (its glob
            // matches the rotated names).
            let same_source = *p.source == *self.sources[source].spec.name;
            match p.head {
                Some(h) => same_source && h.matches(file).unwrap_or(false),
                None => o.key == key,
            }
        });
        if let Some((cid, pos)) = known {
            let own = cid.key == key;
            if !own {
                crate::info!(
                    "tail: {} continues a file read before (same first bytes); resuming at offset {}",
                    safe(&self.files[i].path),
                    pos.offset
                );
            }
            let beyond = if own { Beyond::Restart } else { Beyond::End };
            self.start_reading(i, id, pos.offset, pos.line, !own, beyond);
            return;
        }
        let t = &self.files[i];
        let src = &self.sources[t.source];
        let initial = matches!(t.state, State::Awaiting { initial: true });
        let (offset, line) = if initial && src.fresh && src.spec.read_from == ReadFrom::End {
            end_position(&t.file).unwrap_or((0, 1))
        } else {
            (0, 1)
        };
        self.start_reading(i, id, offset, line, true, Beyond::Restart);
    }

    /// File `i` was truncated: finish its copy if one is known, then read
    /// it again from the start under a new identity.
    pub(super) fn truncated(&mut self, i: usize, now: Instant) {
        let State::Reading(r) =
            std::mem::replace(&mut self.files[i].state, State::Awaiting { initial: false })
        else {
            return;
        };
        let key = self.files[i].key;
        let (offset, line) = (r.reader.offset(), r.reader.next_line());
        let unread = self.files[i].size.saturating_sub(offset);
        let path = self.files[i].path.clone();
        self.metrics
            .source_rotations
            .with_label_values(&[&self.sources[self.files[i].source].spec.name, "truncate"])
            .inc();
        // copytruncate copies before it truncates: look for the copy now
        // (discovery only appends, so `i` stays valid).
        self.discover(now);
        let fp_bytes = self.settings.fingerprint_bytes;
        let source = self.files[i].source;
        // The candidate whose bytes before `offset` are verified furthest.
        let copy = self
            .files
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.key != key
                    && s.source == source
                    && match s.state {
                        State::Shadow { fp } => fp == r.id.fp,
                        State::Awaiting { .. } => {
                            Fingerprint::read(&s.file, fp_bytes, false).ok().flatten()
                                == Some(r.id.fp)
                        }
                        State::Reading(_) => false,
                    }
            })
            .filter_map(|(j, s)| Some((j, verified_copy(&s.file, &r, offset)?)))
            .max_by_key(|(_, verified)| *verified)
            .map(|(j, _)| j);
        match copy {
            Some(j) => {
                crate::info!(
                    "tail: {} was truncated (copytruncate); reading its copy {} from offset {offset}",
                    safe(&path),
                    safe(&self.files[j].path)
                );
                self.promote(j, &r.id, offset, line);
                // The copy's rest comes before the truncated file's new lines.
                let s = self.files.remove(j);
                let at = if j < i { i - 1 } else { i };
                self.files.insert(at, s);
            }
            None if unread > 0 => crate::warn!(
                "tail: {} was truncated at offset {offset} with up to {unread} bytes unread, and no copy matches a source glob: they are lost",
                safe(&path)
            ),
            None => crate::info!(
                "tail: {} was truncated; reading it from the start",
                safe(&path)
            ),
        }
        self.registry.detach(&r.id);
        if let Some(t) = self.files.iter_mut().find(|t| t.key == key) {
            let _ = (&*t.file).seek(SeekFrom::Start(0));
            t.size = 0;
            t.changed_at = now;
        }
    }

    /// Whether file `i` (fingerprint `fp`) is a copy of a file of its source
    /// being read: same first line, not longer than that file (a copy never
    /// is), and the same first bytes as far as that file's head goes.
    /// `None` when a candidate original looks truncated and that is not
    /// dealt with yet.
    pub(super) fn copy_of_live(&self, i: usize, fp: Fingerprint) -> Option<bool> {
        let c = &self.files[i];
        let c_len = c.file.metadata().map_or(0, |m| m.len());
        let mut undecided = false;
        for u in &self.files {
            let State::Reading(r) = &u.state else {
                continue;
            };
            if u.key == c.key || u.source != c.source || r.id.fp != fp {
                continue;
            }
            let size = u.file.metadata().map_or(0, |m| m.len());
            let intact = size >= r.reader.read_position()
                && starts_like(&u.file, &r.head, fp.len as usize).unwrap_or(false);
            if !intact {
                undecided = true;
                continue;
            }
            if c_len <= size
                && matches_head(&c.file, &r.head, u64::MAX)
                    .ok()
                    .flatten()
                    .is_some()
            {
                return Some(true);
            }
        }
        if undecided { None } else { Some(false) }
    }

    /// A shadow that no longer looks like a copy of a file being read (it
    /// grew other lines after a shared first line, or its original went
    /// away) is identified again, as a file of its own.
    pub(super) fn revalidate_shadows(&mut self) {
        for i in 0..self.files.len() {
            let State::Shadow { fp } = self.files[i].state else {
                continue;
            };
            if self.copy_of_live(i, fp) == Some(false) {
                self.files[i].state = State::Awaiting { initial: false };
            }
        }
    }

    /// Starts reading shadow `j` (a copy of `original`) where the original
    /// was read to (`offset`, `line`). Its checkpoint starts where the
    /// original's was: the original's last chunks may still be on their way
    /// through the pipeline, and a crash before they are delivered must
    /// read them again, from the copy.
    pub(super) fn promote(&mut self, j: usize, original: &FileIdentity, offset: u64, line: u64) {
        let id = FileIdentity {
            key: self.files[j].key,
            fp: original.fp,
        };
        self.start_reading(j, id, offset, line, true, Beyond::End);
        if let Some(p) = self.registry.position(original) {
            self.registry.rewind(&id, p.offset, p.line);
        }
    }

    /// File `i` was rotated away or deleted and stayed unchanged: emit its
    /// last partial line, close it, and let a copy of it take over.
    pub(super) fn finish(&mut self, i: usize, sink: &mut dyn ChunkSink) -> bool {
        let mut t = self.files.remove(i);
        let ok = match t.finish(sink) {
            Ok(ok) => ok,
            Err(e) => {
                crate::warn!("tail: finishing {}: {e}", safe(&t.path));
                true
            }
        };
        if let State::Reading(r) = &t.state {
            crate::info!("tail: finished {} (rotated away or deleted)", safe(&t.path));
            self.registry.close(&r.id);
            let (offset, line) = (r.reader.offset(), r.reader.next_line());
            let copy = self
                .files
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.source == t.source && matches!(s.state, State::Shadow { fp } if fp == r.id.fp)
                })
                .filter_map(|(j, s)| Some((j, verified_copy(&s.file, r, offset)?)))
                .max_by_key(|(_, verified)| *verified)
                .map(|(j, _)| j);
            if let Some(j) = copy {
                self.promote(j, &r.id, offset, line);
            }
            self.revalidate_shadows();
        }
        ok
    }
}

/// How far `copy` is verified to hold the same bytes as the file `r` reads
/// before its read offset `offset` (see [`matches_head`]); at least the
/// first line is compared, so a copy of a file of which nothing was read
/// yet takes over too. `None` if it differs.
fn verified_copy(copy: &File, r: &Reading, offset: u64) -> Option<usize> {
    let upto = offset.max(u64::from(r.id.fp.len));
    matches_head(copy, &r.head, upto).ok().flatten()
}
