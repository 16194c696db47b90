//! JSON lines to standard output or appended to a file (with optional
//! size-based rotation).

use super::{SendError, Transport};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Writes every alert line to `out` in one `write_all` of the whole batch
/// and flushes, so "delivered" means the bytes reached the kernel (they
/// survive a crash of picket). One buffer keeps the window in which a
/// crash leaves a partial line as small as it can be.
fn write_lines(out: &mut dyn Write, alerts: &[String]) -> io::Result<()> {
    let n: usize = alerts.iter().map(|a| a.len() + 1).sum();
    let mut buf = Vec::with_capacity(n);
    for a in alerts {
        buf.extend_from_slice(a.as_bytes());
        buf.push(b'\n');
    }
    out.write_all(&buf)?;
    out.flush()
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
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.size = f.metadata()?.len();
        if self.size > 0 && !ends_with_newline(&self.path, self.size)? {
            // picket was killed (or the machine lost power) in the middle
            // of a write: end the partial line, so the alerts after it are
            // lines of their own. Its batch was not acknowledged, so its
            // alerts are raised and written again.
            crate::warn!(
                "sink file {}: it ends in a partial line (an interrupted write); the line is ended and its alerts are written again",
                crate::logging::path(&self.path)
            );
            f.write_all(b"\n")?;
            self.size += 1;
        }
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

/// Whether the file at `path`, `size` bytes long, ends with a newline.
fn ends_with_newline(path: &Path, size: u64) -> io::Result<bool> {
    let mut last = [0u8; 1];
    File::open(path)?.read_exact_at(&mut last, size - 1)?;
    Ok(last[0] == b'\n')
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

    #[test]
    fn a_partial_last_line_is_ended_before_appending() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("alerts.jsonl");
        // A write cut short by kill -9.
        std::fs::write(&p, "{\"n\":1}\n{\"n\":").unwrap();
        let mut t = FileTransport::open(&p, 0, 2).unwrap();
        t.send(&["{\"n\":2}".to_string()]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text, "{\"n\":1}\n{\"n\":\n{\"n\":2}\n");
        // A complete file is appended to as it is.
        let mut t = FileTransport::open(&p, 0, 2).unwrap();
        t.send(&["{\"n\":3}".to_string()]).unwrap();
        assert!(
            std::fs::read_to_string(&p)
                .unwrap()
                .ends_with("2}\n{\"n\":3}\n")
        );
    }
}
