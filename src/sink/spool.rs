//! A sink's on-disk spool: batches of rendered alerts waiting for a
//! destination that is down, bounded in bytes.
//!
//! One file per batch in `state.dir/spool/<sink>/`, named by a 20-digit
//! sequence number so a directory listing is the delivery order:
//!
//! ```text
//! {"picket_spool":1,"count":N}
//! <alert JSON line 1>
//! …
//! <alert JSON line N>
//! ```
//!
//! A file is written to `*.tmp`, synced, then renamed, so it is whole or
//! absent; it is deleted once its batch is delivered. New batches get the
//! next number; batches moved from memory at shutdown are older than every
//! spooled one and get numbers below the first (numbering starts at 2⁴⁰ to
//! leave room). A file that does not parse is renamed `*.corrupt`, counted
//! as dropped and reported, never fatal.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const EXT: &str = "alerts";
const FIRST_ID: u64 = 1 << 40;
const VERSION: u64 = 1;

/// A batch that could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("spool file {path} is unusable ({reason}); moved to {path}.corrupt")]
pub struct CorruptBatch {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub reason: String,
    /// Alerts it claimed to hold (0 when unknown).
    pub count: usize,
}

/// The spool of one sink.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    /// (id, bytes on disk), oldest first.
    files: VecDeque<(u64, u64)>,
    bytes: u64,
}

impl Spool {
    /// Opens (creating) the spool directory and lists waiting batches.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let mut files = Vec::new();
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            match p.extension().and_then(|x| x.to_str()) {
                Some(EXT) => {}
                // A crash between create and rename leaves a partial temp file.
                Some("tmp") => {
                    let _ = std::fs::remove_file(&p);
                    continue;
                }
                _ => continue,
            }
            let Some(id) = p
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
            else {
                continue;
            };
            files.push((id, e.metadata()?.len()));
        }
        files.sort_unstable();
        let bytes = files.iter().map(|(_, b)| b).sum();
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            files: files.into(),
            bytes,
        })
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Batches waiting.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Bytes on disk.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether a batch of about `n` bytes fits (a disabled spool fits nothing).
    pub fn fits(&self, n: u64) -> bool {
        self.max_bytes > 0 && self.bytes + n + 64 <= self.max_bytes
    }

    fn path(&self, id: u64) -> PathBuf {
        self.dir.join(format!("{id:020}.{EXT}"))
    }

    fn write(&self, id: u64, lines: &[String]) -> io::Result<u64> {
        let path = self.path(id);
        let tmp = path.with_extension("tmp");
        let mut data = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>() + 32);
        writeln!(
            data,
            "{{\"picket_spool\":{VERSION},\"count\":{}}}",
            lines.len()
        )?;
        for l in lines {
            data.extend_from_slice(l.as_bytes());
            data.push(b'\n');
        }
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &path)?;
        Ok(data.len() as u64)
    }

    /// Appends a batch after every waiting one.
    pub fn push_back(&mut self, lines: &[String]) -> io::Result<()> {
        let id = self.files.back().map_or(FIRST_ID, |(id, _)| id + 1);
        let n = self.write(id, lines)?;
        self.files.push_back((id, n));
        self.bytes += n;
        Ok(())
    }

    /// Puts a batch before every waiting one (it is older).
    pub fn push_front(&mut self, lines: &[String]) -> io::Result<()> {
        let id = self
            .files
            .front()
            .map_or(FIRST_ID, |(id, _)| id.saturating_sub(1));
        let n = self.write(id, lines)?;
        self.files.push_front((id, n));
        self.bytes += n;
        Ok(())
    }

    /// Reads the oldest batch. A corrupt one is moved aside, removed from
    /// the spool, and returned as the error.
    pub fn front(&mut self) -> Option<Result<Vec<String>, CorruptBatch>> {
        let (id, _) = *self.files.front()?;
        let path = self.path(id);
        match read_batch(&path) {
            Ok(lines) => Some(Ok(lines)),
            Err((reason, count)) => {
                let mut bad = path.clone().into_os_string();
                bad.push(".corrupt");
                let _ = std::fs::rename(&path, &bad);
                self.drop_front();
                Some(Err(CorruptBatch {
                    path: path.display().to_string(),
                    reason,
                    count,
                }))
            }
        }
    }

    /// Deletes the oldest batch (delivered).
    pub fn pop_front(&mut self) -> io::Result<()> {
        if let Some((id, _)) = self.files.front().copied() {
            match std::fs::remove_file(self.path(id)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            self.drop_front();
        }
        Ok(())
    }

    fn drop_front(&mut self) {
        if let Some((_, n)) = self.files.pop_front() {
            self.bytes = self.bytes.saturating_sub(n);
        }
    }
}

fn read_batch(path: &Path) -> Result<Vec<String>, (String, usize)> {
    let text = std::fs::read_to_string(path).map_err(|e| (e.to_string(), 0))?;
    let mut lines = text.lines();
    let header: serde_json::Value = lines
        .next()
        .and_then(|h| serde_json::from_str(h).ok())
        .ok_or(("no header".to_string(), 0))?;
    if header
        .get("picket_spool")
        .and_then(serde_json::Value::as_u64)
        != Some(VERSION)
    {
        return Err(("unknown version".into(), 0));
    }
    let count = header
        .get("count")
        .and_then(serde_json::Value::as_u64)
        .ok_or(("no count".to_string(), 0))? as usize;
    let out: Vec<String> = lines.map(str::to_string).collect();
    if out.len() != count {
        return Err((format!("{} of {count} alerts", out.len()), count));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize, tag: &str) -> Vec<String> {
        (0..n).map(|i| format!("{{\"a\":\"{tag}{i}\"}}")).collect()
    }

    #[test]
    fn keeps_order_across_reopen_and_respects_its_bound() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Spool::open(d.path(), 10_000).unwrap();
        assert!(s.is_empty());
        s.push_back(&lines(3, "b")).unwrap();
        s.push_back(&lines(2, "c")).unwrap();
        s.push_front(&lines(1, "a")).unwrap();
        let used = s.bytes();
        assert!(used > 0 && s.fits(100) && !s.fits(10_000));
        drop(s);
        let mut s = Spool::open(d.path(), 10_000).unwrap();
        assert_eq!((s.len(), s.bytes()), (3, used));
        let mut got = Vec::new();
        while let Some(b) = s.front() {
            got.extend(b.unwrap());
            s.pop_front().unwrap();
        }
        assert_eq!(got.len(), 6);
        assert!(got[0].contains("a0") && got[1].contains("b0") && got[5].contains("c1"));
        assert_eq!(s.bytes(), 0);
        assert!(!Spool::open(d.path(), 0).unwrap().fits(1), "0 disables");
    }

    #[test]
    fn corrupt_batches_are_moved_aside_and_reported() {
        let d = tempfile::tempdir().unwrap();
        let mut s = Spool::open(d.path(), 10_000).unwrap();
        s.push_back(&lines(2, "x")).unwrap();
        s.push_back(&lines(1, "y")).unwrap();
        let first = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .min()
            .unwrap();
        std::fs::write(&first, "{\"picket_spool\":1,\"count\":2}\n{\"a\":1}\n").unwrap();
        std::fs::write(d.path().join("junk.tmp"), "partial").unwrap();
        let mut s = Spool::open(d.path(), 10_000).unwrap();
        assert!(!d.path().join("junk.tmp").exists());
        let err = s.front().unwrap().unwrap_err();
        assert_eq!(err.count, 2);
        assert!(err.to_string().contains("1 of 2"), "{err}");
        assert_eq!(s.front().unwrap().unwrap(), lines(1, "y"));
    }
}
