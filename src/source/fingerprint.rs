//! File identity for tailing: device + inode, plus a hash of the first line.
//!
//! The inode alone is not enough: inodes are reused after a delete, and a
//! copy (logrotate's `copytruncate`) has a new inode but the same content.
//! The hash alone is not enough either: two logs may start with the same
//! banner. Together they tell "same file, maybe renamed" (same inode, same
//! hash), "new file in a reused inode" (same inode, other hash) and "copy of
//! a file we know" (other inode, same hash). Compare vector's
//! `file-source-common/src/fingerprinter.rs`, which hashes the first lines.

use sha2::{Digest, Sha256};
use std::fmt;
use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

/// Where a file lives: device and inode.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileKey {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileKey {
    /// The key of a file's metadata.
    pub fn of(meta: &Metadata) -> Self {
        FileKey {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A hash of a file's first line (at most a configured number of bytes).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint {
    /// First 8 bytes of the SHA-256 of the prefix.
    pub hash: u64,
    /// Length of the hashed prefix.
    pub len: u32,
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.hash)
    }
}

impl Fingerprint {
    /// The fingerprint of a prefix.
    pub fn of_prefix(prefix: &[u8]) -> Self {
        let digest = Sha256::digest(prefix);
        let mut h = [0u8; 8];
        h.copy_from_slice(&digest[..8]);
        Fingerprint {
            hash: u64::from_be_bytes(h),
            len: u32::try_from(prefix.len()).unwrap_or(u32::MAX),
        }
    }

    /// Fingerprints the start of `file`: its first line including the
    /// newline, or its first `max` bytes when the line is longer. `None`
    /// while the first line is incomplete and shorter than `max`, unless
    /// `partial_ok` (a file being finished), where whatever is there counts
    /// (still `None` for an empty file).
    pub fn read(file: &File, max: usize, partial_ok: bool) -> io::Result<Option<Fingerprint>> {
        let max = max.max(1);
        let mut buf = vec![0u8; max];
        let n = read_full_at(file, &mut buf, 0)?;
        let head = &buf[..n];
        let prefix = match memchr::memchr(b'\n', head) {
            Some(p) => &head[..=p],
            None if n == max => head,
            None if partial_ok && n > 0 => head,
            None => return Ok(None),
        };
        Ok(Some(Fingerprint::of_prefix(prefix)))
    }

    /// Whether `file` still starts with the prefix this fingerprint hashed.
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        let mut buf = vec![0u8; self.len as usize];
        let n = read_full_at(file, &mut buf, 0)?;
        Ok(n == buf.len() && Fingerprint::of_prefix(&buf) == *self)
    }
}

/// How many leading bytes a head covers.
pub const HEAD_BYTES: usize = 4096;

/// The first bytes of `file`, at most [`HEAD_BYTES`].
pub fn read_head_bytes(file: &File) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; HEAD_BYTES];
    let n = read_full_at(file, &mut buf, 0)?;
    buf.truncate(n);
    Ok(buf)
}

/// Whether `file` starts with `head`, compared over the shorter of the two,
/// which must be at least `min` bytes.
pub fn starts_like(file: &File, head: &[u8], min: usize) -> io::Result<bool> {
    let mut buf = vec![0u8; head.len()];
    let n = read_full_at(file, &mut buf, 0)?;
    Ok(n >= min.max(1) && buf[..n] == head[..n])
}

/// How far `file` is verified to start like `head`: the first
/// `min(upto, head.len(), file length)` bytes are compared; `Some(that
/// many)` when they are equal (and not zero), `None` otherwise.
///
/// A copy of a file read up to offset `o` can be read on from `o` without
/// losing anything exactly when its first `o` bytes are the original's:
/// with `upto = o` this verifies them as far as the kept head reaches.
pub fn matches_head(file: &File, head: &[u8], upto: u64) -> io::Result<Option<usize>> {
    let want = head.len().min(usize::try_from(upto).unwrap_or(usize::MAX));
    let mut buf = vec![0u8; want];
    let n = read_full_at(file, &mut buf, 0)?;
    Ok((n > 0 && buf[..n] == head[..n]).then_some(n))
}

/// Reads until `buf` is full or the end of the file; returns the count.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn first_line_decides_and_waits_for_its_newline() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        let mut f = std::fs::File::create(&p).unwrap();
        let r = std::fs::File::open(&p).unwrap();
        assert_eq!(Fingerprint::read(&r, 64, false).unwrap(), None);
        assert_eq!(Fingerprint::read(&r, 64, true).unwrap(), None, "empty");
        f.write_all(b"first li").unwrap();
        assert_eq!(Fingerprint::read(&r, 64, false).unwrap(), None);
        assert!(Fingerprint::read(&r, 64, true).unwrap().is_some());
        f.write_all(b"ne\nsecond\n").unwrap();
        let fp = Fingerprint::read(&r, 64, false).unwrap().unwrap();
        assert_eq!(fp.len, 11);
        assert_eq!(fp, Fingerprint::of_prefix(b"first line\n"));
        assert!(fp.matches(&r).unwrap());
        // More lines do not change it; a long first line is cut at `max`.
        f.write_all(b"third\n").unwrap();
        assert_eq!(Fingerprint::read(&r, 64, false).unwrap(), Some(fp));
        assert_eq!(Fingerprint::read(&r, 4, false).unwrap().unwrap().len, 4);
        // Truncate and rewrite: no longer matches.
        f.set_len(0).unwrap();
        assert!(!fp.matches(&r).unwrap());
    }
}
