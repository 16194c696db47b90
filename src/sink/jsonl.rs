//! JSON-lines sinks: standard output and files.

use super::{Sink, SinkError};
use crate::alert::Alert;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes one alert per line (SPEC §6) to any writer.
pub struct JsonLinesSink {
    name: String,
    out: BufWriter<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for JsonLinesSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLinesSink")
            .field("name", &self.name)
            .finish()
    }
}

impl JsonLinesSink {
    /// A sink writing to standard output.
    pub fn stdout() -> Self {
        Self::new("stdout", Box::new(std::io::stdout()))
    }

    /// A sink writing a fresh file (created, or truncated if it exists):
    /// a replay's alerts file holds that run's alerts only, so running the
    /// same replay twice does not duplicate them.
    pub fn file(name: &str, path: &Path) -> std::io::Result<Self> {
        let f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)?;
        Ok(Self::new(name, Box::new(f)))
    }

    /// A sink writing to `out`.
    pub fn new(name: &str, out: Box<dyn Write + Send>) -> Self {
        JsonLinesSink {
            name: name.to_string(),
            out: BufWriter::with_capacity(64 * 1024, out),
        }
    }

    fn io(&self, source: std::io::Error) -> SinkError {
        SinkError::Io {
            sink: self.name.clone(),
            source,
        }
    }
}

impl Sink for JsonLinesSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), SinkError> {
        for a in alerts {
            // Escaped: a terminal reading stdout must not run sequences
            // that came from log lines (see `render`).
            let line = super::render::alert_line(a);
            let r = self
                .out
                .write_all(line.as_bytes())
                .and_then(|()| self.out.write_all(b"\n"));
            r.map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        self.out.flush().map_err(|e| self.io(e))
    }
}
