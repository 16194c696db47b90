//! The replay producer: read inputs into chunks, several at once, sent in
//! input order.

use super::{Chunk, ChunkReaderBuilder, FileInfo, FileTable, open_input};
use crate::parse::{Format, FormatChoice, sniff};
use crossbeam_channel::{Receiver, bounded};
use std::collections::VecDeque;
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

/// How many inputs are read (and decompressed) at once: the one being
/// sent plus this many ahead, each on its own thread.
const READ_AHEAD: usize = 2;

/// Chunks a reader thread may hold ready before the sender takes them.
const READY_CHUNKS: usize = 4;

/// The chunks (or the error) of an input being read on its own thread.
type Reading = Receiver<io::Result<Chunk>>;

/// Reads the inputs (decompressing, sniffing each one's format when
/// `choice` is `auto`), registers each in `table` under source name
/// `source`, and sends their chunks in input order. Each input is read and
/// decompressed on its own thread, up to [`READ_AHEAD`] inputs ahead of the
/// one being sent, so `.gz`/`.zst` decompression of many files runs on
/// several cores while the chunk order (and so the output) stays that of a
/// sequential read. Inputs are opened, sniffed and registered in order on
/// the calling thread. Unreadable inputs are reported and skipped.
pub fn read_inputs(
    inputs: &[PathBuf],
    choice: FormatChoice,
    table: &FileTable,
    reader: &ChunkReaderBuilder,
    source: &str,
    sink: &mut dyn ChunkSink,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    let err = |path: &Path, source: io::Error| InputError {
        path: path.display().to_string(),
        source,
    };
    std::thread::scope(|scope| {
        let mut ahead: VecDeque<(&PathBuf, Arc<FileInfo>, Reading)> = VecDeque::new();
        let mut next = inputs.iter();
        // Chunk buffers the pipeline recycled (`ChunkSink::buffer`), passed
        // on to the readers, which make new ones only when none is free.
        let (free_tx, free_rx) = bounded::<Vec<u8>>(READY_CHUNKS * (READ_AHEAD + 1));
        loop {
            // Keep up to READ_AHEAD inputs reading in the background.
            while ahead.len() <= READ_AHEAD {
                let Some(path) = next.next() else {
                    break;
                };
                match open_one(path, choice, table, source) {
                    Ok((info, stream)) => {
                        let (tx, rx) = bounded(READY_CHUNKS);
                        let mut chunks = reader.build(info.clone(), stream, 0, 1);
                        let free = free_rx.clone();
                        scope.spawn(move || {
                            loop {
                                let buf = free.try_recv().unwrap_or_default();
                                let r = chunks.next_chunk(buf).transpose();
                                let Some(r) = r else {
                                    break;
                                };
                                let failed = r.is_err();
                                // The sender stopped (or the input failed): stop.
                                if tx.send(r).is_err() || failed {
                                    break;
                                }
                            }
                        });
                        ahead.push_back((path, info, rx));
                    }
                    Err(e) => errors.push(err(path, e)),
                }
            }
            let Some((path, info, rx)) = ahead.pop_front() else {
                break;
            };
            let mut failed = false;
            for r in rx {
                match r {
                    Ok(chunk) => {
                        let buf = sink.buffer();
                        if buf.capacity() > 0 {
                            let _ = free_tx.try_send(buf);
                        }
                        if !sink.send(chunk) {
                            // Dropping the receivers stops the readers.
                            return;
                        }
                    }
                    Err(e) => {
                        errors.push(err(path, e));
                        failed = true;
                    }
                }
            }
            if !failed && !sink.end_of_input(&info) {
                return;
            }
        }
    });
    errors
}

/// Opens an input, sniffs its format and registers it; returns the stream
/// of its decompressed bytes (the sniffed head included).
fn open_one(
    path: &Path,
    choice: FormatChoice,
    table: &FileTable,
    source: &str,
) -> io::Result<(Arc<FileInfo>, Box<dyn Read + Send>)> {
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
    Ok((info, Box::new(io::Cursor::new(head).chain(input))))
}
