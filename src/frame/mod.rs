//! Framing: a chunk's bytes into lines, without copying.
//!
//! [`Lines`] walks a [`Chunk`](crate::source::Chunk)'s buffer with memchr and
//! yields each line as a sub-slice, with its 1-based number and byte offset.
//! The line terminator (`\n`, or `\r\n`) is not part of the slice.

/// One line of a chunk.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The bytes, without terminator.
    pub bytes: &'a [u8],
    /// 1-based line number within the input.
    pub number: u64,
    /// Byte offset of the line's first byte within the input.
    pub offset: u64,
}

/// Iterator over the lines of a buffer of complete lines.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    number: u64,
    offset: u64,
}

impl<'a> Lines<'a> {
    /// Lines of `data`, the first of which is line `first_line` at byte
    /// offset `first_offset` of its input.
    pub fn new(data: &'a [u8], first_line: u64, first_offset: u64) -> Self {
        Lines {
            data,
            pos: 0,
            number: first_line,
            offset: first_offset,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let (raw, advance) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        let bytes = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = Line {
            bytes,
            number: self.number,
            offset: self.offset + self.pos as u64,
        };
        self.pos += advance;
        self.number += 1;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_with_numbers_offsets_and_crlf() {
        let got: Vec<_> = Lines::new(b"a\r\n\nbc\nd", 10, 100).collect();
        let want = [
            (&b"a"[..], 10, 100),
            (b"", 11, 103),
            (b"bc", 12, 104),
            (b"d", 13, 107),
        ];
        assert_eq!(got.len(), want.len());
        for (g, (b, n, o)) in got.iter().zip(want) {
            assert_eq!((g.bytes, g.number, g.offset), (b, n, o));
        }
        assert_eq!(Lines::new(b"", 1, 0).count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_naive_split(data in proptest::collection::vec(proptest::sample::select(vec![b'\n', b'\r', b'x']), 0..200)) {
            let ours: Vec<&[u8]> = Lines::new(&data, 1, 0).map(|l| l.bytes).collect();
            let mut naive: Vec<&[u8]> = data.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
            if data.ends_with(b"\n") || data.is_empty() {
                naive.pop();
            }
            proptest::prop_assert_eq!(ours, naive);
        }
    }
}
