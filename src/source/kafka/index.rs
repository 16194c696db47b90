//! Where each Kafka message sits in a partition pipeline's line numbering.
//!
//! A partition's pipeline sees one endless virtual input: the messages, in
//! offset order, one or more lines each, numbered from line 1. The
//! pipeline acknowledges and names events by line; this index maps a line
//! back to the message's Kafka offset (and the line within the message), so
//! alerts say `log.offset` = Kafka offset and acks become commit offsets.
//! Runs of single-line messages with consecutive offsets share one entry,
//! so the index usually holds one entry per chunk.

use std::collections::VecDeque;

/// Entries kept for naming old events (a correlation alert's first
/// event): about this many chunks back. Older lines are reported unknown.
const MAX_ENTRIES: usize = 65_536;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// Virtual line of the first message.
    line: u64,
    /// Its Kafka offset.
    offset: i64,
    /// Lines covered.
    lines: u64,
    /// One line per message with consecutive offsets (`true`), or one
    /// message of several lines (`false`).
    single: bool,
}

/// The line ↔ offset map of one partition assignment.
#[derive(Debug, Default)]
pub struct OffsetIndex {
    entries: VecDeque<Entry>,
    /// The next virtual line.
    next_line: u64,
}

/// A message's position: its Kafka offset and the 1-based line within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// The Kafka offset.
    pub offset: i64,
    /// The line within the message (1 for single-line messages).
    pub line: u64,
}

impl OffsetIndex {
    /// An empty index; the first message starts at line 1.
    pub fn new() -> Self {
        OffsetIndex {
            entries: VecDeque::new(),
            next_line: 1,
        }
    }

    /// Records the next message (`lines` lines, at least 1) and returns
    /// the virtual line it starts at.
    pub fn push(&mut self, offset: i64, lines: u64) -> u64 {
        let line = self.next_line;
        let lines = lines.max(1);
        self.next_line += lines;
        if lines == 1
            && let Some(last) = self.entries.back_mut()
            && last.single
            && last.offset + last.lines as i64 == offset
        {
            last.lines += 1;
            return line;
        }
        self.entries.push_back(Entry {
            line,
            offset,
            lines,
            single: lines == 1,
        });
        if self.entries.len() > MAX_ENTRIES {
            self.entries.pop_front();
        }
        line
    }

    /// The next virtual line (where the next message will start).
    pub fn next_line(&self) -> u64 {
        self.next_line
    }

    /// The message holding virtual `line`, if still indexed.
    pub fn position(&self, line: u64) -> Option<Position> {
        let i = self.entries.partition_point(|e| e.line <= line);
        let e = self.entries.get(i.checked_sub(1)?)?;
        let rel = line - e.line;
        if rel >= e.lines {
            return None;
        }
        Some(if e.single {
            Position {
                offset: e.offset + rel as i64,
                line: 1,
            }
        } else {
            Position {
                offset: e.offset,
                line: rel + 1,
            }
        })
    }

    /// The offset to commit once every line before virtual `next_line` is
    /// done: the offset after the message that ends just before it.
    pub fn commit_offset(&self, next_line: u64) -> Option<i64> {
        self.position(next_line.checked_sub(1)?)
            .map(|p| p.offset + 1)
    }

    /// Forgets entries wholly before virtual `line`, keeping `keep` more
    /// for naming older events.
    pub fn trim_before(&mut self, line: u64, keep: usize) {
        let done = self.entries.partition_point(|e| e.line + e.lines <= line);
        for _ in 0..done.saturating_sub(keep) {
            self.entries.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_multi_line_messages_map_back() {
        let mut ix = OffsetIndex::new();
        assert_eq!(ix.push(10, 1), 1);
        assert_eq!(ix.push(11, 1), 2);
        assert_eq!(ix.push(12, 3), 3); // lines 3..=5
        assert_eq!(ix.push(20, 1), 6); // a gap in offsets (compaction)
        assert_eq!(ix.push(21, 1), 7);
        assert_eq!(ix.entries.len(), 3);
        let p = |l| ix.position(l).map(|p| (p.offset, p.line));
        assert_eq!(p(1), Some((10, 1)));
        assert_eq!(p(2), Some((11, 1)));
        assert_eq!(p(4), Some((12, 2)));
        assert_eq!(p(6), Some((20, 1)));
        assert_eq!(p(7), Some((21, 1)));
        assert_eq!(p(8), None);
        assert_eq!(p(0), None);
        assert_eq!(ix.commit_offset(3), Some(12));
        assert_eq!(ix.commit_offset(6), Some(13));
        assert_eq!(ix.commit_offset(8), Some(22));
        assert_eq!(ix.commit_offset(1), None);
        ix.trim_before(6, 0);
        assert_eq!(ix.entries.len(), 1);
        assert_eq!(p_after(&ix, 7), Some(21));
    }

    fn p_after(ix: &OffsetIndex, l: u64) -> Option<i64> {
        ix.position(l).map(|p| p.offset)
    }
}
