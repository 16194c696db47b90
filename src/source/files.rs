//! The replay producer: read inputs one after another into chunks.

use super::{Chunk, ChunkReaderBuilder, FileInfo, FileTable, open_input};
use crate::parse::{Format, FormatChoice, sniff};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many bytes of an input format sniffing looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Where a producer sends chunks (implemented by the pipeline).
pub trait ChunkSink {
    /// A buffer to fill (recycled when possible).
    fn buffer(&self) -> Vec<u8>;
    /// Sends a chunk; `false` means stop producing.
    fn send(&mut self, chunk: Chunk) -> bool;
    /// The input ended: state kept across its chunks (auditd events
    /// waiting for more records) can be flushed. `false` means stop.
    fn end_of_input(&mut self, file: &Arc<FileInfo>) -> bool {
        let _ = file;
        true
    }
}

/// An input that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct InputError {
    /// The input.
    pub path: String,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// Reads each input in order (decompressing, sniffing its format when
/// `choice` is `auto`), registers it in `table` under source name `source`,
/// and sends its chunks. Unreadable inputs are reported and skipped.
pub fn read_inputs(
    inputs: &[PathBuf],
    choice: FormatChoice,
    table: &FileTable,
    reader: &ChunkReaderBuilder,
    source: &str,
    sink: &mut dyn ChunkSink,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    for path in inputs {
        match read_one(path, choice, table, reader, source, sink) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => errors.push(InputError {
                path: path.display().to_string(),
                source: e,
            }),
        }
    }
    errors
}

/// Returns `Ok(false)` when the pipeline asked to stop.
fn read_one(
    path: &Path,
    choice: FormatChoice,
    table: &FileTable,
    reader: &ChunkReaderBuilder,
    source: &str,
    sink: &mut dyn ChunkSink,
) -> io::Result<bool> {
    let (mut input, _compression) = open_input(path)?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    let (format, detected) = match choice {
        FormatChoice::Fixed(f) => (f, false),
        // An input no parser accepts is read as combined, so its lines are
        // counted as parse errors by reason rather than silently dropped.
        FormatChoice::Auto => (sniff(&head).unwrap_or(Format::Combined), true),
    };
    let info = table.register(&path.display().to_string(), source, format, detected);
    let stream = io::Cursor::new(head).chain(input);
    let mut chunks = reader.build(info.clone(), stream, 0, 1);
    while let Some(chunk) = chunks.next_chunk(sink.buffer())? {
        if !sink.send(chunk) {
            return Ok(false);
        }
    }
    Ok(sink.end_of_input(&info))
}
