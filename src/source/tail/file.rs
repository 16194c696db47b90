//! One followed file: its open descriptor, what is known about it, and
//! reading whatever it gained since the last poll.

use crate::source::checkpoint::FileIdentity;
use crate::source::fingerprint::{FileKey, Fingerprint, HEAD_BYTES, read_head_bytes, starts_like};
use crate::source::tail::Registry;
use crate::source::{ChunkReader, ChunkSink};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// A shared open file as a sequential reader (`&File` reads advance the
/// descriptor's offset; `pread` for fingerprints does not).
#[derive(Debug, Clone)]
pub(super) struct SharedFile(pub(super) Arc<File>);

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

/// Where a followed file stands.
#[derive(Debug)]
pub(super) enum State {
    /// Its first line is not complete yet, so its identity is unknown.
    /// `initial`: found by the daemon's first scan (`read_from` applies).
    Awaiting {
        /// Found by the first scan.
        initial: bool,
    },
    /// A copy of a file being read (same first line, other inode): not
    /// read unless that file is truncated or goes away (copytruncate).
    Shadow {
        /// The shared fingerprint.
        fp: Fingerprint,
    },
    /// Being read.
    Reading(Box<Reading>),
}

/// A file being read.
#[derive(Debug)]
pub(super) struct Reading {
    /// Identity (inode + first line).
    pub(super) id: FileIdentity,
    /// The file's first bytes (up to `HEAD_BYTES`), to recognise its copies.
    pub(super) head: Vec<u8>,
    /// Cuts it into chunks, following.
    pub(super) reader: ChunkReader<SharedFile>,
}

/// One file the tailer follows.
#[derive(Debug)]
pub(super) struct Tracked {
    /// Device and inode.
    pub(super) key: FileKey,
    /// Last path it was found at.
    pub(super) path: PathBuf,
    /// Index of its source.
    pub(super) source: usize,
    /// Kept open: a rotated or deleted file can still be finished.
    pub(super) file: Arc<File>,
    /// Found by the latest scan (otherwise rotated away or deleted).
    pub(super) seen: bool,
    /// What is known.
    pub(super) state: State,
    /// Size at the last poll.
    pub(super) size: u64,
    /// Last time it grew or was read.
    pub(super) changed_at: Instant,
}

/// What polling one file found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Polled {
    /// Read what there was (`more`: stopped at the byte budget).
    Read {
        /// Bytes emitted in chunks.
        bytes: u64,
        /// Unread data remains.
        more: bool,
    },
    /// The file shrank or its first line changed: it was truncated.
    Truncated,
    /// The pipeline stopped taking chunks.
    Stopped,
}

/// gzip and zstd magic: rotated archives are not tailed as text.
pub(super) fn is_compressed(file: &File) -> bool {
    let mut head = [0u8; 4];
    match file.read_at(&mut head, 0) {
        Ok(n) if n >= 2 && head[..2] == [0x1f, 0x8b] => true,
        Ok(4) => head == [0x28, 0xb5, 0x2f, 0xfd],
        _ => false,
    }
}

impl Tracked {
    /// Whether the file is gone from where the globs look (rotated to a
    /// name no source matches, or deleted): it is finished, not followed.
    pub(super) fn orphaned(&self, nlink: u64) -> bool {
        !self.seen || nlink == 0
    }

    /// Looks at the file without reading it: notes growth, keeps the head
    /// of a young file growing, and says whether it was truncated. Cheap
    /// (an `fstat` and a `pread` of at most 4 KiB), so it runs for every
    /// file being read, also (once per poll interval) for those waiting
    /// behind an earlier file of their source: a truncation is noticed
    /// while the copy that `copytruncate` made is surely still there.
    pub(super) fn check(&mut self, now: Instant, registry: &Registry) -> io::Result<bool> {
        let State::Reading(r) = &mut self.state else {
            return Ok(false);
        };
        let size = self.file.metadata()?.len();
        if size != self.size {
            self.changed_at = now;
        }
        // Shrunk below what we read, or rewritten from the start: size
        // alone misses a truncation followed by writes of the same or more
        // bytes, so the first bytes are compared every poll (more than the
        // first line, which may be a header every file of the source
        // shares).
        if size < r.reader.read_position()
            || !starts_like(&self.file, &r.head, r.id.fp.len as usize)?
        {
            return Ok(true);
        }
        self.size = size;
        if r.head.len() < HEAD_BYTES && size > r.head.len() as u64 {
            // Young file: keep its head growing up to the full length.
            let head = read_head_bytes(&self.file)?;
            // Read again after the check above: the file may have been
            // truncated and rewritten in between.
            if !head.starts_with(&r.head) {
                return Ok(true);
            }
            r.head = head;
            registry.set_head(&r.id, Fingerprint::of_prefix(&r.head));
        }
        Ok(false)
    }

    /// Reads what the file gained, up to `budget` bytes, into `sink`.
    /// Stops early, with `more`, once `interrupted` says so (a directory
    /// changed: new files are identified before reading goes on).
    pub(super) fn poll(
        &mut self,
        sink: &mut dyn ChunkSink,
        budget: u64,
        now: Instant,
        registry: &Registry,
        interrupted: &dyn Fn() -> bool,
    ) -> io::Result<Polled> {
        if self.check(now, registry)? {
            return Ok(Polled::Truncated);
        }
        let State::Reading(r) = &mut self.state else {
            return Ok(Polled::Read {
                bytes: 0,
                more: false,
            });
        };
        if self.size == r.reader.read_position() {
            return Ok(Polled::Read {
                bytes: 0,
                more: false,
            });
        }
        let mut bytes = 0u64;
        let mut more = false;
        while bytes < budget {
            let Some(chunk) = r.reader.next_chunk(sink.buffer())? else {
                break;
            };
            bytes += chunk.end_offset() - chunk.start_offset;
            if !sink.send(chunk) {
                return Ok(Polled::Stopped);
            }
            if interrupted() {
                more = true;
                break;
            }
        }
        if bytes > 0 {
            self.changed_at = now;
        }
        Ok(Polled::Read {
            bytes,
            more: more || bytes >= budget,
        })
    }

    /// Emits what is left, including a last line without a newline: the
    /// file will not grow any more. `false` if the pipeline stopped.
    pub(super) fn finish(&mut self, sink: &mut dyn ChunkSink) -> io::Result<bool> {
        let State::Reading(r) = &mut self.state else {
            return Ok(true);
        };
        r.reader.set_follow(false);
        while let Some(chunk) = r.reader.next_chunk(sink.buffer())? {
            if !sink.send(chunk) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Link count (0 once deleted), from `fstat`.
    pub(super) fn nlink(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.nlink())
    }
}
