//! Sources: where bytes come from.
//!
//! A source turns an input (a file, a compressed archive, stdin, later a
//! tailed file or a Kafka partition) into [`Chunk`]s: buffers that end on a
//! line boundary, tagged with the input's identity, the byte offset and the
//! line number of their first byte. Everything downstream works on chunks,
//! so replay and the daemon share one engine.

pub mod checkpoint;
mod chunk;
mod files;
pub mod fingerprint;
mod input;
#[cfg(feature = "kafka")]
pub mod kafka;
pub mod tail;
mod walk;

pub use chunk::{Chunk, ChunkReader, ChunkReaderBuilder};
pub use files::{ChunkSink, InputError, read_inputs};
pub use input::{Compression, open_input};
pub use walk::expand_paths;

use crate::parse::Format;
use std::sync::{Arc, RwLock};

/// Identity of one input within a run: an index into the [`FileTable`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// What the pipeline knows about one input.
#[derive(Debug)]
pub struct FileInfo {
    /// The id.
    pub id: FileId,
    /// Path as the user named it, or `-` for stdin.
    pub path: Arc<str>,
    /// Source name from config (`[[sources]]`), or `replay`; used as the
    /// `source` metric label, so it never carries a path.
    pub source: Arc<str>,
    /// The format the input is parsed as (resolved from `auto` by sniffing).
    pub format: Format,
    /// Whether `format` was detected by sniffing (`auto`) rather than given.
    pub detected: bool,
}

/// All inputs of a run. Ids are never reused, so an id stays valid after the
/// input is closed.
#[derive(Debug, Default)]
pub struct FileTable {
    files: RwLock<Vec<Arc<FileInfo>>>,
}

impl FileTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an input and returns its info.
    pub fn register(
        &self,
        path: &str,
        source: &str,
        format: Format,
        detected: bool,
    ) -> Arc<FileInfo> {
        let mut files = self.files.write().unwrap_or_else(|e| e.into_inner());
        let info = Arc::new(FileInfo {
            id: FileId(files.len() as u32),
            path: path.into(),
            source: source.into(),
            format,
            detected,
        });
        files.push(info.clone());
        info
    }

    /// Looks an input up.
    pub fn get(&self, id: FileId) -> Option<Arc<FileInfo>> {
        let files = self.files.read().unwrap_or_else(|e| e.into_inner());
        files.get(id.0 as usize).cloned()
    }

    /// A snapshot of every registered input.
    pub fn all(&self) -> Vec<Arc<FileInfo>> {
        self.files.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
