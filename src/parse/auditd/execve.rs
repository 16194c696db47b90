//! `EXECVE` arguments: `argc`, `a0`…, and long arguments the kernel splits
//! into pieces (`a1_len=16384 a1[0]=… a1[1]=…`), possibly over several
//! `EXECVE` records of one event.

use super::record::unhex;
use std::borrow::Cow;

/// The arguments of an event's `EXECVE` records.
#[derive(Debug, Default)]
pub(crate) struct Args<'a> {
    /// Whole arguments by index (`a3=…`).
    whole: Vec<(usize, Cow<'a, str>)>,
    /// Pieces of split arguments: (argument, piece, raw value, was bare).
    pieces: Vec<(usize, usize, &'a str, bool)>,
    /// `argc`, when given.
    pub argc: Option<usize>,
}

/// Arguments above this index are ignored (the kernel's own limit on
/// arguments is far lower than what fits in a line anyway).
const MAX_ARGS: usize = 1 << 16;

impl<'a> Args<'a> {
    /// Takes one field of an `EXECVE` record; gives the value back when it
    /// is not an argument field (the caller keeps it as is).
    pub(crate) fn take(
        &mut self,
        key: &'a str,
        value: Cow<'a, str>,
        bare: bool,
    ) -> Option<Cow<'a, str>> {
        if key == "argc" {
            self.argc = value.parse().ok();
            return None;
        }
        let Some(rest) = key.strip_prefix('a') else {
            return Some(value);
        };
        if let Some(idx) = rest.strip_suffix("_len") {
            return idx.parse::<usize>().is_err().then_some(value);
        }
        if let Some((idx, piece)) = rest.split_once('[') {
            let (Ok(idx), Some(Ok(piece))) = (
                idx.parse::<usize>(),
                piece.strip_suffix(']').map(str::parse::<usize>),
            ) else {
                return Some(value);
            };
            if idx < MAX_ARGS
                && let Cow::Borrowed(raw) = value
            {
                self.pieces.push((idx, piece, raw, bare));
            }
            return None;
        }
        match rest.parse::<usize>() {
            Ok(idx) if idx < MAX_ARGS => {
                self.whole.push((idx, value));
                None
            }
            _ => Some(value),
        }
    }

    /// True when no argument was seen.
    pub(crate) fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.pieces.is_empty()
    }

    /// The arguments in order of their index; a split argument is its
    /// pieces joined (hex pieces are decoded together, so a character cut
    /// between two pieces survives). A missing index is skipped.
    pub(crate) fn into_list(mut self) -> Vec<(usize, Cow<'a, str>)> {
        self.pieces.sort_by_key(|p| (p.0, p.1));
        let mut i = 0;
        while i < self.pieces.len() {
            let idx = self.pieces[i].0;
            let bare = self.pieces[i].3;
            let mut joined = String::new();
            while i < self.pieces.len() && self.pieces[i].0 == idx {
                joined.push_str(self.pieces[i].2);
                i += 1;
            }
            let value = if bare {
                unhex(&joined).unwrap_or(joined)
            } else {
                joined
            };
            if !self.whole.iter().any(|(w, _)| *w == idx) {
                self.whole.push((idx, Cow::Owned(value)));
            }
        }
        self.whole.sort_by_key(|(i, _)| *i);
        self.whole.dedup_by_key(|(i, _)| *i);
        self.whole
    }
}

/// The command line of arguments: joined with spaces.
pub(crate) fn command_line(args: &[(usize, Cow<'_, str>)]) -> String {
    let mut out = String::with_capacity(args.iter().map(|(_, a)| a.len() + 1).sum());
    for (i, (_, a)) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_split_arguments() {
        let mut a = Args::default();
        let fields: &[(&str, &str, bool)] = &[
            ("argc", "3", true),
            ("a0", "/bin/echo", false),
            ("a1_len", "6", true),
            ("a1[1]", "A9", true), // "é" cut after its first byte: C3 | A9
            ("a1[0]", "6869C3", true),
            ("a2", "x", false),
            ("items", "2", true),
        ];
        for (k, v, bare) in fields {
            let taken = a.take(k, Cow::Borrowed(*v), *bare).is_none();
            assert_eq!(taken, *k != "items", "{k}");
        }
        assert_eq!(a.argc, Some(3));
        let list = a.into_list();
        let args: Vec<&str> = list.iter().map(|(_, v)| v.as_ref()).collect();
        assert_eq!(args, ["/bin/echo", "hié", "x"]);
        assert_eq!(command_line(&list), "/bin/echo hié x");
    }

    #[test]
    fn quoted_pieces_join_verbatim() {
        let mut a = Args::default();
        a.take("a0[0]", Cow::Borrowed("ab"), false);
        a.take("a0[1]", Cow::Borrowed("cd"), false);
        assert_eq!(a.into_list()[0].1, "abcd");
    }
}
