//! JSON lines to standard output or appended to a file (with optional
//! size-based rotation).

use super::{SendError, Transport};
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes every alert line to `out` and flushes, so "delivered" means the
/// bytes reached the kernel (they survive a crash of picket).
fn write_lines(out: &mut dyn Write, alerts: &[String]) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(64 * 1024, out);
    for a in alerts {
        w.write_all(a.as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// JSON lines on standard output.
#[derive(Debug, Default)]
pub struct StdoutTransport;

impl Transport for StdoutTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        write_lines(&mut lock, alerts).map_err(|e| SendError::transient(format!("stdout: {e}")))
    }
}

/// JSON lines appended to a file; rotated to `path.1` … `path.N` when it
/// would grow past `rotate_bytes` (0: never).
#[derive(Debug)]
pub struct FileTransport {
    path: PathBuf,
    file: Option<File>,
    size: u64,
    rotate_bytes: u64,
    keep: usize,
}

impl FileTransport {
    /// Opens (creating) `path` for appending.
    pub fn open(path: &Path, rotate_bytes: u64, keep: usize) -> io::Result<Self> {
        let mut t = FileTransport {
            path: path.to_path_buf(),
            file: None,
            size: 0,
            rotate_bytes,
            keep: keep.max(1),
        };
        t.reopen()?;
        Ok(t)
    }

    fn reopen(&mut self) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = f.metadata()?.len();
        self.file = Some(f);
        Ok(())
    }

    fn numbered(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    /// `path.N-1` → `path.N`, …, `path` → `path.1`, then a new `path`.
    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        let _ = std::fs::remove_file(self.numbered(self.keep));
        for n in (1..self.keep).rev() {
            let from = self.numbered(n);
            if from.exists() {
                std::fs::rename(&from, self.numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, self.numbered(1))?;
        self.reopen()
    }

    fn write(&mut self, alerts: &[String]) -> io::Result<()> {
        let n: u64 = alerts.iter().map(|a| a.len() as u64 + 1).sum();
        if self.rotate_bytes > 0 && self.size > 0 && self.size + n > self.rotate_bytes {
            self.rotate()?;
        }
        if self.file.is_none() {
            self.reopen()?;
        }
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("file not open"));
        };
        let r = write_lines(f, alerts);
        if r.is_err() {
            // Reopen next time: the file may have been removed or the
            // disk freed up.
            self.file = None;
        } else {
            self.size += n;
        }
        r
    }
}

impl Transport for FileTransport {
    fn send(&mut self, alerts: &[String]) -> Result<(), SendError> {
        self.write(alerts)
            .map_err(|e| SendError::transient(format!("{}: {e}", crate::logging::path(&self.path))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_rotates_by_size() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out/alerts.jsonl");
        let mut t = FileTransport::open(&p, 40, 2).unwrap();
        let line = |i: usize| format!("{{\"n\":{i:08}}}"); // 14 bytes + newline
        for i in 0..7 {
            t.send(&[line(i)]).unwrap();
        }
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        // 2 lines per file; the oldest beyond `keep` are gone.
        assert_eq!(read(&p).lines().count(), 1);
        assert!(read(&p).contains("00000006"));
        assert!(read(&d.path().join("out/alerts.jsonl.1")).contains("00000004"));
        assert!(read(&d.path().join("out/alerts.jsonl.2")).contains("00000002"));
        assert!(!d.path().join("out/alerts.jsonl.3").exists());
        // Appends to what is there after a restart.
        let mut t = FileTransport::open(&p, 0, 2).unwrap();
        t.send(&[line(7), line(8)]).unwrap();
        assert_eq!(read(&p).lines().count(), 3);
    }
}
