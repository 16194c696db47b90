//! Chunking: any byte stream into buffers that end on line boundaries.

use super::FileInfo;
use std::io::{self, Read};
use std::sync::Arc;

/// Bytes read per `read()` call. Larger reads were measured slower on the
/// reference machine (kernel time jumps at 256 KiB; see BASELINES.md).
const READ_SIZE: usize = 128 * 1024;

/// A run of complete lines from one input.
#[derive(Debug)]
pub struct Chunk {
    /// The input.
    pub file: Arc<FileInfo>,
    /// Position of the chunk in the pipeline's global order (set by the pipeline).
    pub seq: u64,
    /// Complete lines, each ending in `\n` except possibly the input's last.
    /// Empty for an oversized line.
    pub data: Vec<u8>,
    /// Byte offset of `data[0]` in the (decompressed) input.
    pub start_offset: u64,
    /// 1-based line number of the first line in `data`.
    pub start_line: u64,
    /// `Some(len)`: the line at `start_line` was longer than the maximum and
    /// was skipped (`len` bytes, terminator excluded); `data` is empty.
    pub oversized: Option<u64>,
    /// This is the input's last chunk.
    pub last: bool,
    /// auditd inputs: which events this chunk completes, decided in input
    /// order before the chunk goes to a worker (set by the pipeline; see
    /// `parse::auditd::Assembler`).
    pub audit: Option<Box<crate::parse::auditd::AuditPlan>>,
}

impl Chunk {
    /// Offset just past the chunk's bytes: everything before it has been read.
    pub fn end_offset(&self) -> u64 {
        match self.oversized {
            Some(len) => self.start_offset + len + 1,
            None => self.start_offset + self.data.len() as u64,
        }
    }

    /// 1-based number of the line starting at [`Chunk::end_offset`].
    pub fn next_line(&self) -> u64 {
        self.start_line
            + match self.oversized {
                Some(_) => 1,
                None => {
                    memchr::memchr_iter(b'\n', &self.data).count() as u64
                        + u64::from(!self.data.is_empty() && !self.data.ends_with(b"\n"))
                }
            }
    }
}

/// Builds a [`ChunkReader`].
#[derive(Debug, Clone)]
pub struct ChunkReaderBuilder {
    chunk_size: usize,
    max_line: usize,
    follow: bool,
}

impl Default for ChunkReaderBuilder {
    fn default() -> Self {
        ChunkReaderBuilder {
            chunk_size: 256 * 1024,
            max_line: 256 * 1024,
            follow: false,
        }
    }
}

impl ChunkReaderBuilder {
    /// Target chunk size in bytes (a chunk holds whole lines, so it may be
    /// shorter, or longer by up to one line).
    pub fn chunk_size(mut self, n: usize) -> Self {
        self.chunk_size = n.max(1);
        self
    }

    /// Longest line kept; longer lines become `oversized` chunks.
    pub fn max_line(mut self, n: usize) -> Self {
        self.max_line = n.max(1);
        self
    }

    /// Follow mode (tailing): the end of the input is not final. A partial
    /// last line (or an oversized line being skipped) waits for its newline
    /// and the next call reads again, instead of being emitted as the last
    /// line. See [`ChunkReader::set_follow`] to finish a followed input.
    pub fn follow(mut self, on: bool) -> Self {
        self.follow = on;
        self
    }

    /// A reader over `input`, starting at `offset`/`line` (for resumed tails).
    pub fn build<R: Read>(
        &self,
        file: Arc<FileInfo>,
        input: R,
        offset: u64,
        line: u64,
    ) -> ChunkReader<R> {
        ChunkReader {
            cfg: self.clone(),
            file,
            input,
            carry: Vec::new(),
            offset,
            read_pos: offset,
            line: line.max(1),
            eof: false,
            skipping: None,
        }
    }
}

/// What skipping an oversized line came to.
enum Skip {
    /// Its newline (or the end of the input) was found.
    Done(Chunk),
    /// More bytes were read; keep going.
    More,
    /// Following and out of data: wait for more.
    Wait,
}

/// Reads an input and cuts it into [`Chunk`]s at line boundaries.
#[derive(Debug)]
pub struct ChunkReader<R> {
    cfg: ChunkReaderBuilder,
    file: Arc<FileInfo>,
    input: R,
    /// Bytes read but not yet emitted (a partial line).
    carry: Vec<u8>,
    /// Offset of `carry[0]`: everything before it was emitted in chunks.
    offset: u64,
    /// Offset of the next byte `input` will return (past skipped bytes too).
    read_pos: u64,
    /// Line number of the first line in `carry`.
    line: u64,
    eof: bool,
    /// Length so far of an oversized line being skipped.
    skipping: Option<u64>,
}

impl<R: Read> ChunkReader<R> {
    /// Bytes consumed from the input so far (including a buffered partial line).
    pub fn position(&self) -> u64 {
        self.offset + self.carry.len() as u64
    }

    /// Offset just past the last emitted chunk: where a resumed reader
    /// would start. Bytes of a partial line or of an oversized line being
    /// skipped are not included.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// 1-based number of the line starting at [`ChunkReader::offset`].
    pub fn next_line(&self) -> u64 {
        self.line
    }

    /// Offset of the next byte the input will return: every byte read so
    /// far, including skipped ones (tailing compares it with the file size).
    pub fn read_position(&self) -> u64 {
        self.read_pos
    }

    /// Turns follow mode on or off. Turning it off finishes a followed
    /// input: the next calls emit a partial last line (or the marker of an
    /// oversized one) instead of waiting for its newline.
    pub fn set_follow(&mut self, on: bool) {
        self.cfg.follow = on;
        if on {
            self.eof = false;
        }
    }

    /// The input.
    pub fn get_ref(&self) -> &R {
        &self.input
    }

    /// The input, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.input
    }

    /// The next chunk, reusing `buf`'s allocation; `None` at end of input.
    pub fn next_chunk(&mut self, mut buf: Vec<u8>) -> io::Result<Option<Chunk>> {
        buf.clear();
        // Move the carried partial line into the buffer we will hand out.
        std::mem::swap(&mut buf, &mut self.carry);
        let buf_start = self.offset;
        let mut last_nl = memchr::memrchr(b'\n', &buf);
        loop {
            if let Some(len) = self.skipping {
                match self.skip_long_line(&mut buf, len)? {
                    Skip::Done(chunk) => {
                        self.carry = buf;
                        return Ok(Some(chunk));
                    }
                    Skip::More => continue,
                    Skip::Wait => {
                        self.carry = buf;
                        return Ok(None);
                    }
                }
            }
            if self.eof || (buf.len() >= self.cfg.chunk_size && last_nl.is_some()) {
                break;
            }
            let before = buf.len();
            if self.fill(&mut buf)? == 0 {
                if !self.cfg.follow {
                    self.eof = true;
                }
                // Following: out of data for now; emit the complete lines.
                break;
            }
            if let Some(p) = memchr::memrchr(b'\n', &buf[before..]) {
                last_nl = Some(before + p);
            }
            // A line that outgrows the maximum, with no newline since the last one.
            let tail_start = last_nl.map_or(0, |p| p + 1);
            if buf.len() - tail_start > self.cfg.max_line {
                if tail_start > 0 {
                    // Emit the complete lines first; the long line starts the carry.
                    let tail = buf.split_off(tail_start);
                    let chunk = self.emit(buf, buf_start);
                    self.carry = tail;
                    return Ok(Some(chunk));
                }
                self.skipping = Some(0);
            }
        }
        if buf.is_empty() {
            self.carry = buf;
            return Ok(None);
        }
        if !self.eof {
            // Keep the partial last line for the next chunk. Without a
            // newline (only when following and out of data) it all waits.
            let Some(p) = last_nl else {
                self.carry = buf;
                return Ok(None);
            };
            self.carry.clear();
            self.carry.extend_from_slice(&buf[p + 1..]);
            buf.truncate(p + 1);
        }
        let mut chunk = self.emit(buf, buf_start);
        chunk.last = self.eof && self.carry.is_empty();
        Ok(Some(chunk))
    }

    /// Reads up to READ_SIZE more bytes onto `buf`.
    fn fill(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let old = buf.len();
        // Small chunk sizes (tests, low-latency tails) read less at a time.
        let want = READ_SIZE.min(self.cfg.chunk_size.saturating_sub(old).max(4096));
        buf.resize(old + want, 0);
        loop {
            match self.input.read(&mut buf[old..]) {
                Ok(n) => {
                    buf.truncate(old + n);
                    self.read_pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.truncate(old);
                    return Err(e);
                }
            }
        }
    }

    /// Discards an oversized line; returns its marker chunk once its newline
    /// (or EOF) is found. `buf` holds the line's bytes seen so far.
    fn skip_long_line(&mut self, buf: &mut Vec<u8>, len: u64) -> io::Result<Skip> {
        let start = self.offset;
        if let Some(p) = memchr::memchr(b'\n', buf) {
            let total = len + p as u64;
            let rest = buf.split_off(p + 1);
            *buf = rest;
            return Ok(Skip::Done(self.oversized(start, total)));
        }
        let total = len + buf.len() as u64;
        buf.clear();
        self.skipping = Some(total);
        if self.fill(buf)? == 0 {
            if self.cfg.follow {
                return Ok(Skip::Wait);
            }
            self.eof = true;
            return Ok(Skip::Done(self.oversized(start, total)));
        }
        Ok(Skip::More)
    }

    fn oversized(&mut self, start: u64, len: u64) -> Chunk {
        self.skipping = None;
        let line = self.line;
        self.line += 1;
        self.offset = start + len + 1;
        Chunk {
            file: self.file.clone(),
            seq: 0,
            data: Vec::new(),
            start_offset: start,
            start_line: line,
            oversized: Some(len),
            last: false,
            audit: None,
        }
    }

    fn emit(&mut self, data: Vec<u8>, start: u64) -> Chunk {
        let lines = memchr::memchr_iter(b'\n', &data).count() as u64
            + u64::from(!data.is_empty() && !data.ends_with(b"\n"));
        let line = self.line;
        self.line += lines;
        self.offset = start + data.len() as u64;
        Chunk {
            file: self.file.clone(),
            seq: 0,
            data,
            start_offset: start,
            start_line: line,
            oversized: None,
            last: false,
            audit: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;
    use crate::source::FileTable;

    /// Returns at most 7 bytes per read, as a slow pipe would.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(7).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn chunks(input: &[u8], size: usize, max_line: usize) -> Vec<Chunk> {
        let table = FileTable::new();
        let info = table.register("t", "replay", Format::Combined, false);
        let mut r = ChunkReaderBuilder::default()
            .chunk_size(size)
            .max_line(max_line)
            .build(info, Trickle(input), 0, 1);
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk(Vec::new()).unwrap() {
            out.push(c);
        }
        out
    }

    #[test]
    fn chunks_end_on_line_boundaries_and_cover_input() {
        let input = b"a\nbb\nccc\ndddd\neeeee";
        for size in 1..20 {
            let cs = chunks(input, size, 100);
            let joined: Vec<u8> = cs.iter().flat_map(|c| c.data.clone()).collect();
            assert_eq!(joined, input, "size {size}");
            let mut off = 0;
            for c in &cs {
                assert_eq!(c.start_offset, off);
                off = c.end_offset();
            }
            assert!(cs.last().unwrap().last);
            let lines: Vec<u64> = cs.iter().map(|c| c.start_line).collect();
            assert_eq!(lines[0], 1);
        }
    }

    /// A line that grows past the maximum across reads is skipped by the
    /// reader (memory stays bounded); long lines inside one read are left to
    /// the framer, which applies the same limit.
    #[test]
    fn oversized_lines_are_skipped_without_losing_neighbours() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1000));
        input.extend_from_slice(b"\nafter\n");
        let cs = chunks(&input, 64, 100);
        let kept: Vec<u8> = cs.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(kept, b"short\nafter\n");
        let big: Vec<&Chunk> = cs.iter().filter(|c| c.oversized.is_some()).collect();
        assert_eq!(big.len(), 1);
        assert_eq!(big[0].start_line, 2);
        assert_eq!(big[0].oversized, Some(1000));
        let after = cs.iter().find(|c| c.data.starts_with(b"after")).unwrap();
        assert_eq!(after.start_line, 3);
        assert_eq!(after.start_offset, 6 + 1001);
    }

    /// An input that grows while it is read, like a tailed file.
    #[derive(Clone, Default)]
    struct Growing(std::rc::Rc<std::cell::RefCell<(Vec<u8>, usize)>>);

    impl Growing {
        fn append(&self, b: &[u8]) {
            self.0.borrow_mut().0.extend_from_slice(b);
        }
    }

    impl Read for Growing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut g = self.0.borrow_mut();
            let (data, pos) = &mut *g;
            let n = buf.len().min(5).min(data.len() - *pos);
            buf[..n].copy_from_slice(&data[*pos..*pos + n]);
            *pos += n;
            Ok(n)
        }
    }

    fn drain(r: &mut ChunkReader<Growing>) -> Vec<Chunk> {
        let mut out = Vec::new();
        while let Some(c) = r.next_chunk(Vec::new()).unwrap() {
            out.push(c);
        }
        out
    }

    #[test]
    fn following_waits_for_newlines_and_resumes_after_more_data() {
        let table = FileTable::new();
        let info = table.register("t", "tail", Format::Combined, false);
        let input = Growing::default();
        let mut r = ChunkReaderBuilder::default()
            .chunk_size(16)
            .max_line(10)
            .follow(true)
            .build(info, input.clone(), 100, 7);
        input.append(b"one\ntw");
        let cs = drain(&mut r);
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0].data, b"one\n");
        assert_eq!((cs[0].start_offset, cs[0].start_line), (100, 7));
        assert!(!cs[0].last);
        assert_eq!(
            (r.offset(), r.next_line(), r.read_position()),
            (104, 8, 106)
        );
        // The partial line waits; a later append completes it.
        assert!(drain(&mut r).is_empty());
        input.append(b"o\n");
        let cs = drain(&mut r);
        assert_eq!(cs[0].data, b"two\n");
        assert_eq!(cs[0].start_line, 8);
        // An oversized line arriving in pieces is skipped once its newline comes.
        input.append(b"xxxxxxxxxxxxxxx");
        assert!(drain(&mut r).is_empty());
        input.append(b"xxxxx\nok\n");
        let cs = drain(&mut r);
        assert_eq!(cs[0].oversized, Some(20));
        assert_eq!((cs[0].start_offset, cs[0].start_line), (108, 9));
        assert_eq!(cs[1].data, b"ok\n");
        assert_eq!((cs[1].start_offset, cs[1].start_line), (129, 10));
        // Finishing emits a trailing partial line.
        input.append(b"tail");
        assert!(drain(&mut r).is_empty());
        r.set_follow(false);
        let cs = drain(&mut r);
        assert_eq!(cs[0].data, b"tail");
        assert!(cs[0].last);
        assert_eq!(r.offset(), 136);
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_covered_exactly(
            input in proptest::collection::vec(proptest::sample::select(vec![b'\n', b'a']), 0..400),
            size in 1usize..64, max_line in 1usize..64,
        ) {
            let cs = chunks(&input, size, max_line);
            let mut off = 0;
            let mut line = 1;
            for c in &cs {
                proptest::prop_assert_eq!(c.start_offset, off);
                proptest::prop_assert_eq!(c.start_line, line);
                off = c.end_offset();
                line += match c.oversized {
                    Some(_) => 1,
                    None => memchr::memchr_iter(b'\n', &c.data).count() as u64
                        + u64::from(!c.data.ends_with(b"\n")),
                };
            }
            proptest::prop_assert!(off >= input.len() as u64);
        }
    }
}
