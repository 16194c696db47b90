//! Typed matchers for one rule value against one field value.
//!
//! A Sigma value compiles to a [`LeafMatch`]: a text matcher, `null`, or
//! `exists`. Text matchers take the cheapest form that is exact for the
//! value (hayabusa's `FastMatch`): equality, prefix, suffix and substring
//! before a general wildcard pattern, and regexes only for `re`.
//!
//! **Case.** Comparisons are case-insensitive unless the rule says `cased`,
//! using ASCII case folding only: `A`–`Z` equal `a`–`z`, while non-ASCII
//! letters compare exactly (`É` does not equal `é`). That keeps every fast
//! path allocation-free and agrees byte for byte with the Aho-Corasick
//! prefilter, which folds ASCII the same way. Regexes follow Sigma instead:
//! case-sensitive unless `re|i` (or `(?i)` in the pattern).
//!
//! **Field values.** A number field is compared through its decimal text,
//! so a rule's `sc-status: 200` (an integer in YAML) equals the field
//! `Int(200)` and the text `"200"`, not `"0200"`. A list field matches when
//! any element does.

use crate::event::Value;
use regex::{Regex, RegexBuilder};
use std::fmt::Write as _;

use super::modifier::{MatchKind, RegexFlags};

/// Compiled-size limit of one `re` value's program (`regex` `size_limit`).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Cache limit of one `re` value's lazy DFA (`regex` `dfa_size_limit`).
pub(crate) const REGEX_DFA_LIMIT: usize = 1 << 20;

/// A piece of a Sigma string: literal text or a wildcard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    Lit(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits a Sigma string into literals and wildcards. `\*`, `\?` and `\\`
/// are the escaped characters; any other backslash is literal (so Windows
/// paths need no escaping), as in the Sigma specification.
pub(crate) fn parse_wildcards(s: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::One),
            '\\' => match chars.peek() {
                Some(&e @ ('*' | '?' | '\\')) => {
                    chars.next();
                    push_char(&mut toks, e);
                }
                _ => push_char(&mut toks, '\\'),
            },
            c => push_char(&mut toks, c),
        }
    }
    toks
}

fn push_char(toks: &mut Vec<Tok>, c: char) {
    match toks.last_mut() {
        Some(Tok::Lit(s)) => s.push(c),
        _ => toks.push(Tok::Lit(c.to_string())),
    }
}

/// Where a literal must occur in a field value for a text matcher to hold.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Anywhere,
    Start,
    End,
    Whole,
}

/// A text comparison in its cheapest exact form.
#[derive(Clone, Debug)]
pub(crate) enum TextMatch {
    /// The whole value equals the literal.
    Exact(Box<str>),
    /// The value starts with the literal.
    Prefix(Box<str>),
    /// The value ends with the literal.
    Suffix(Box<str>),
    /// The value contains the literal.
    Contains(Box<str>),
    /// Any value at all (`*`).
    Any,
    /// A general wildcard pattern.
    Glob(Box<[Tok]>),
    /// A regular expression (`re`), searched anywhere in the value.
    Regex(Regex),
}

/// A text matcher: its form and whether it is case-sensitive. Literals of
/// case-insensitive matchers are stored ASCII-lowercased.
#[derive(Clone, Debug)]
pub(crate) struct TextMatcher {
    pub kind: TextMatch,
    pub cased: bool,
}

impl TextMatcher {
    /// The matcher for a Sigma string under a match kind (`Exists` is not text).
    pub fn wildcard(value: &str, kind: MatchKind, cased: bool) -> TextMatcher {
        let mut toks = parse_wildcards(value);
        match kind {
            MatchKind::Contains => {
                toks.insert(0, Tok::Star);
                toks.push(Tok::Star);
            }
            MatchKind::StartsWith => toks.push(Tok::Star),
            MatchKind::EndsWith => toks.insert(0, Tok::Star),
            _ => {}
        }
        toks.dedup_by(|a, b| *a == Tok::Star && *b == Tok::Star);
        if !cased {
            for t in &mut toks {
                if let Tok::Lit(s) = t {
                    s.make_ascii_lowercase();
                }
            }
        }
        let lit = |s: &String| s.as_str().into();
        let kind = match toks.as_slice() {
            [] => TextMatch::Exact("".into()),
            [Tok::Star] => TextMatch::Any,
            [Tok::Lit(s)] => TextMatch::Exact(lit(s)),
            [Tok::Lit(s), Tok::Star] => TextMatch::Prefix(lit(s)),
            [Tok::Star, Tok::Lit(s)] => TextMatch::Suffix(lit(s)),
            [Tok::Star, Tok::Lit(s), Tok::Star] => TextMatch::Contains(lit(s)),
            _ => TextMatch::Glob(toks.into_boxed_slice()),
        };
        TextMatcher { kind, cased }
    }

    /// The matcher for a `re` value, within the size limits.
    pub fn regex(pattern: &str, flags: RegexFlags) -> Result<TextMatcher, String> {
        let re = RegexBuilder::new(pattern)
            .case_insensitive(flags.ignore_case)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_all)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => {
                    format!("regex is too large once compiled (limit {limit} bytes): simplify it")
                }
                e => format!("invalid regex: {e}"),
            })?;
        Ok(TextMatcher {
            kind: TextMatch::Regex(re),
            cased: true,
        })
    }

    /// Whether a text matches.
    pub fn is_match(&self, hay: &str) -> bool {
        let h = hay.as_bytes();
        let c = self.cased;
        match &self.kind {
            TextMatch::Exact(n) => h.len() == n.len() && eq_at(h, 0, n.as_bytes(), c),
            TextMatch::Prefix(n) => h.len() >= n.len() && eq_at(h, 0, n.as_bytes(), c),
            TextMatch::Suffix(n) => {
                h.len() >= n.len() && eq_at(h, h.len() - n.len(), n.as_bytes(), c)
            }
            TextMatch::Contains(n) => find(h, n.as_bytes(), c),
            TextMatch::Any => true,
            TextMatch::Glob(toks) => glob_match(toks, h, c),
            TextMatch::Regex(re) => re.is_match(hay),
        }
    }

    /// The literal the prefilter can look for, where it must occur, and
    /// whether finding it there settles the match (`true`) or is only
    /// necessary and the matcher must still run (`false`).
    pub fn needle(&self) -> Option<(&str, Anchor, bool)> {
        let certain = !self.cased;
        let (n, anchor, certain) = match &self.kind {
            TextMatch::Exact(n) => (n, Anchor::Whole, certain),
            TextMatch::Prefix(n) => (n, Anchor::Start, certain),
            TextMatch::Suffix(n) => (n, Anchor::End, certain),
            TextMatch::Contains(n) => (n, Anchor::Anywhere, certain),
            // The longest literal run of a wildcard pattern must occur somewhere.
            TextMatch::Glob(toks) => {
                let longest = toks
                    .iter()
                    .filter_map(|t| match t {
                        Tok::Lit(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .max_by_key(|s| s.len())?;
                return (!longest.is_empty()).then_some((longest, Anchor::Anywhere, false));
            }
            TextMatch::Any | TextMatch::Regex(_) => return None,
        };
        (!n.is_empty()).then_some((n, anchor, certain))
    }
}

/// `hay[at..]` starts with `needle` (ASCII-folded unless `cased`; `needle`
/// is already lowercase when not cased).
#[inline]
fn eq_at(hay: &[u8], at: usize, needle: &[u8], cased: bool) -> bool {
    match hay.get(at..at + needle.len()) {
        Some(h) if cased => h == needle,
        Some(h) => h
            .iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b),
        None => false,
    }
}

/// Substring search; case-insensitive search looks for either case of the
/// first byte with memchr, then compares the rest.
fn find(hay: &[u8], needle: &[u8], cased: bool) -> bool {
    let Some(&first) = needle.first() else {
        return true;
    };
    if cased {
        return memchr::memmem::find(hay, needle).is_some();
    }
    let last_start = match hay.len().checked_sub(needle.len()) {
        Some(n) => n,
        None => return false,
    };
    let window = &hay[..last_start + 1];
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), window)
        .any(|i| eq_at(hay, i, needle, false))
}

/// Length of the UTF-8 character starting with byte `b` (1 for stray bytes).
#[inline]
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Wildcard matching with backtracking to the last `*` only, which is
/// enough for `*`/`?` patterns and bounds the work to O(pattern × value).
fn glob_match(toks: &[Tok], hay: &[u8], cased: bool) -> bool {
    let (mut t, mut h) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = toks.get(t) {
            match tok {
                Tok::Star => {
                    star = Some((t + 1, h));
                    t += 1;
                    continue;
                }
                Tok::One if h < hay.len() => {
                    h = (h + char_len(hay[h])).min(hay.len());
                    t += 1;
                    continue;
                }
                Tok::Lit(l) if eq_at(hay, h, l.as_bytes(), cased) => {
                    h += l.len();
                    t += 1;
                    continue;
                }
                _ => {}
            }
        } else if h == hay.len() {
            return true;
        }
        match star {
            Some((st, sh)) if sh < hay.len() => {
                let next = (sh + char_len(hay[sh])).min(hay.len());
                star = Some((st, next));
                t = st;
                h = next;
            }
            _ => return false,
        }
    }
}

/// One compiled rule value.
#[derive(Clone, Debug)]
pub(crate) enum LeafMatch {
    /// A text comparison.
    Text(TextMatcher),
    /// `null`: the field is absent or empty.
    Null,
    /// `exists: true|false`.
    Exists(bool),
}

impl LeafMatch {
    /// Whether the leaf holds for a field's value (`None`: absent).
    pub fn matches(&self, value: Option<&Value<'_>>, buf: &mut String) -> bool {
        match (self, value) {
            (LeafMatch::Null, None) => true,
            (LeafMatch::Null, Some(v)) => is_empty(v),
            (LeafMatch::Exists(want), v) => v.is_some() == *want,
            (LeafMatch::Text(_), None) => false,
            (LeafMatch::Text(m), Some(v)) => any_text(v, buf, &mut |s| m.is_match(s)),
        }
    }
}

/// Whether a present value counts as empty for `null`.
fn is_empty(v: &Value<'_>) -> bool {
    match v {
        Value::Str(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        _ => false,
    }
}

/// Calls `f` on each text form of a value until it returns `true`: the
/// text itself, each list element, or a number's decimal text (written into
/// `buf`, which the caller reuses so that nothing is allocated per event).
#[inline]
pub(crate) fn any_text(
    value: &Value<'_>,
    buf: &mut String,
    f: &mut impl FnMut(&str) -> bool,
) -> bool {
    match value {
        Value::Str(s) => f(s),
        Value::List(l) => l.iter().any(|s| f(s)),
        Value::Bool(b) => f(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            buf.clear();
            let _ = write!(buf, "{i}");
            f(buf)
        }
        Value::Float(x) => {
            buf.clear();
            let _ = write!(buf, "{x}");
            f(buf)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: &str, kind: MatchKind, cased: bool) -> TextMatcher {
        TextMatcher::wildcard(value, kind, cased)
    }

    #[test]
    fn forms() {
        let form = |v: &str, k| format!("{:?}", m(v, k, false).kind);
        assert_eq!(
            form("/_All_Docs", MatchKind::Equals),
            r#"Exact("/_all_docs")"#
        );
        assert_eq!(form("/db*", MatchKind::Equals), r#"Prefix("/db")"#);
        assert_eq!(form("*.php", MatchKind::Equals), r#"Suffix(".php")"#);
        assert_eq!(form("x", MatchKind::Contains), r#"Contains("x")"#);
        assert_eq!(form("*x*", MatchKind::Contains), r#"Contains("x")"#);
        assert_eq!(form("", MatchKind::Contains), "Any");
        assert_eq!(form("", MatchKind::Equals), r#"Exact("")"#);
        assert_eq!(form(r"a\*b", MatchKind::Equals), r#"Exact("a*b")"#);
        assert_eq!(
            form(r"c:\windows\\", MatchKind::Equals),
            r#"Exact("c:\\windows\\")"#
        );
        assert!(form("a?c", MatchKind::Equals).starts_with("Glob"));
    }

    #[test]
    fn glob() {
        let g = |p: &str, h: &str| m(p, MatchKind::Equals, false).is_match(h);
        assert!(g("a*b*c", "aXXbYYc"));
        assert!(g("a*b*c", "abc"));
        assert!(!g("a*b*c", "acb"));
        assert!(g("a?c", "abc"));
        assert!(g("a?c", "aéc"), "? is one character, not one byte");
        assert!(!g("a?c", "ac"));
        assert!(g("*a*a*", "banana"));
        assert!(g("*ana", "banana"));
        assert!(!g("*anab", "banana"));
        assert!(g("?*", "x"));
        assert!(!g("?*", ""));
    }

    #[test]
    fn case_folding_is_ascii() {
        assert!(m("/_ALL_docs", MatchKind::Contains, false).is_match("/db/_all_DOCS?x"));
        assert!(!m("/_ALL_docs", MatchKind::Contains, true).is_match("/db/_all_DOCS?x"));
        assert!(m("É", MatchKind::Equals, false).is_match("É"));
        assert!(!m("É", MatchKind::Equals, false).is_match("é"));
        assert!(m("ab", MatchKind::EndsWith, false).is_match("xAB"));
        assert!(!m("ab", MatchKind::EndsWith, false).is_match("b"));
    }

    #[test]
    fn leaves_on_values() {
        let mut buf = String::new();
        let exact = LeafMatch::Text(m("200", MatchKind::Equals, false));
        assert!(exact.matches(Some(&Value::Int(200)), &mut buf));
        assert!(exact.matches(Some(&Value::str("200")), &mut buf));
        assert!(!exact.matches(Some(&Value::str("0200")), &mut buf));
        assert!(!exact.matches(None, &mut buf));
        let list = Value::List(vec!["a".into(), "200".into()]);
        assert!(exact.matches(Some(&list), &mut buf));
        assert!(LeafMatch::Null.matches(None, &mut buf));
        assert!(LeafMatch::Null.matches(Some(&Value::str("")), &mut buf));
        assert!(!LeafMatch::Null.matches(Some(&Value::str("-x")), &mut buf));
        assert!(LeafMatch::Exists(false).matches(None, &mut buf));
        assert!(LeafMatch::Exists(true).matches(Some(&Value::str("")), &mut buf));
    }

    #[test]
    fn regex_limits_and_errors() {
        let huge =
            TextMatcher::regex(r"\w{1000}\w{1000}\w{1000}", RegexFlags::default()).unwrap_err();
        assert!(huge.contains("too large"), "{huge}");
        assert!(
            TextMatcher::regex("(", RegexFlags::default())
                .unwrap_err()
                .starts_with("invalid regex")
        );
        let re = TextMatcher::regex(
            "^GET$",
            RegexFlags {
                ignore_case: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(re.is_match("get"));
        assert!(
            !TextMatcher::regex("^GET$", RegexFlags::default())
                .unwrap()
                .is_match("get")
        );
    }
}
