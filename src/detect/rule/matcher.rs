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

use super::mapping::FieldRef;
use super::modifier::{CmpOp, RegexFlags, TextKind, TimePart};
use crate::event::Event;
use std::net::IpAddr;

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
    /// The matcher for a Sigma string under a text kind.
    #[cfg(test)]
    pub fn wildcard(value: &str, kind: TextKind, cased: bool) -> TextMatcher {
        Self::from_tokens(parse_wildcards(value), kind, cased)
    }

    /// The matcher for a tokenized Sigma string under a text kind.
    pub fn from_tokens(mut toks: Vec<Tok>, kind: TextKind, cased: bool) -> TextMatcher {
        match kind {
            TextKind::Contains => {
                toks.insert(0, Tok::Star);
                toks.push(Tok::Star);
            }
            TextKind::StartsWith => toks.push(Tok::Star),
            TextKind::EndsWith => toks.insert(0, Tok::Star),
            TextKind::Equals => {}
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
    /// A value that can never equal text (UTF-16 bytes that are not UTF-8).
    Never,
    /// `cidr`: the field is an address in this network.
    Cidr(Cidr),
    /// `lt`/`lte`/`gt`/`gte`: the field, as a number, compared with this one.
    Compare(CmpOp, f64),
    /// `fieldref`: the field compared with another field of the event.
    FieldRef {
        other: FieldRef,
        kind: TextKind,
        cased: bool,
    },
    /// `minute` … `year`: a part of the field's date equals this number.
    TimePart(TimePart, i64),
}

impl LeafMatch {
    /// Whether the leaf holds for a field's value (`None`: absent) in `event`.
    pub fn matches(&self, value: Option<&Value<'_>>, event: &Event<'_>, buf: &mut String) -> bool {
        match (self, value) {
            (LeafMatch::Null, None) => true,
            (LeafMatch::Null, Some(v)) => is_empty(v),
            (LeafMatch::Exists(want), v) => v.is_some() == *want,
            (_, None) | (LeafMatch::Never, _) => false,
            (LeafMatch::Text(m), Some(v)) => any_text(v, buf, &mut |s| m.is_match(s)),
            (LeafMatch::Cidr(net), Some(v)) => any_text(v, buf, &mut |s| net.contains_text(s)),
            (LeafMatch::Compare(op, want), Some(v)) => any_number(v, &mut |x| op.holds(x, *want)),
            (LeafMatch::TimePart(part, want), Some(v)) => {
                any_text(v, buf, &mut |s| time_part(s, *part) == Some(*want))
            }
            (LeafMatch::FieldRef { other, kind, cased }, Some(v)) => {
                let Some(o) = other.get(event) else {
                    return false;
                };
                let mut obuf = String::new();
                any_text(&o, &mut obuf, &mut |want| {
                    let m =
                        TextMatcher::from_tokens(vec![Tok::Lit(want.to_owned())], *kind, *cased);
                    any_text(v, buf, &mut |s| m.is_match(s))
                })
            }
        }
    }
}

/// An IPv4 or IPv6 network, for `cidr`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not a CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { net, prefix })
    }

    /// Whether an address written as text is inside the network. IPv4
    /// addresses written as IPv4-mapped IPv6 (`::ffff:10.1.2.3`) count as
    /// IPv4.
    pub fn contains_text(&self, text: &str) -> bool {
        let text = text.trim();
        let text = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or(text);
        let Ok(addr) = text.parse::<IpAddr>() else {
            return false;
        };
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// Whether the first `bits` bits of two addresses are equal.
fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a.get(..full) != b.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xFFu8 << (8 - rest);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

/// Calls `f` on each numeric reading of a value until it returns `true`:
/// numbers themselves, and text (or list elements) that parse as numbers.
fn any_number(value: &Value<'_>, f: &mut impl FnMut(f64) -> bool) -> bool {
    let parse = |s: &str| s.trim().parse::<f64>().ok().filter(|x| x.is_finite());
    match value {
        Value::Int(i) => f(*i as f64),
        Value::Float(x) => f(*x),
        Value::Str(s) => parse(s).is_some_and(f),
        Value::List(l) => l.iter().any(|s| parse(s).is_some_and(&mut *f)),
        Value::Bool(_) => false,
    }
}

/// A part of an RFC 3339 date (`2026-03-02T08:00:01Z`); ISO week numbers.
fn time_part(text: &str, part: TimePart) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some(match part {
        TimePart::Minute => i64::from(t.minute()),
        TimePart::Hour => i64::from(t.hour()),
        TimePart::Day => i64::from(t.day()),
        TimePart::Week => i64::from(t.iso_week()),
        TimePart::Month => i64::from(u8::from(t.month())),
        TimePart::Year => i64::from(t.year()),
    })
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

    use crate::event::Origin;
    use crate::parse::Format;

    fn m(value: &str, kind: TextKind, cased: bool) -> TextMatcher {
        TextMatcher::wildcard(value, kind, cased)
    }

    #[test]
    fn forms() {
        let form = |v: &str, k| format!("{:?}", m(v, k, false).kind);
        assert_eq!(
            form("/_All_Docs", TextKind::Equals),
            r#"Exact("/_all_docs")"#
        );
        assert_eq!(form("/db*", TextKind::Equals), r#"Prefix("/db")"#);
        assert_eq!(form("*.php", TextKind::Equals), r#"Suffix(".php")"#);
        assert_eq!(form("x", TextKind::Contains), r#"Contains("x")"#);
        assert_eq!(form("*x*", TextKind::Contains), r#"Contains("x")"#);
        assert_eq!(form("", TextKind::Contains), "Any");
        assert_eq!(form("", TextKind::Equals), r#"Exact("")"#);
        assert_eq!(form(r"a\*b", TextKind::Equals), r#"Exact("a*b")"#);
        assert_eq!(
            form(r"c:\windows\\", TextKind::Equals),
            r#"Exact("c:\\windows\\")"#
        );
        assert!(form("a?c", TextKind::Equals).starts_with("Glob"));
    }

    #[test]
    fn glob() {
        let g = |p: &str, h: &str| m(p, TextKind::Equals, false).is_match(h);
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
        assert!(m("/_ALL_docs", TextKind::Contains, false).is_match("/db/_all_DOCS?x"));
        assert!(!m("/_ALL_docs", TextKind::Contains, true).is_match("/db/_all_DOCS?x"));
        assert!(m("É", TextKind::Equals, false).is_match("É"));
        assert!(!m("É", TextKind::Equals, false).is_match("é"));
        assert!(m("ab", TextKind::EndsWith, false).is_match("xAB"));
        assert!(!m("ab", TextKind::EndsWith, false).is_match("b"));
    }

    #[test]
    fn leaves_on_values() {
        let mut buf = String::new();
        let ev = Event::new(Format::Json, Origin::default());
        let ev = &ev;
        let exact = LeafMatch::Text(m("200", TextKind::Equals, false));
        assert!(exact.matches(Some(&Value::Int(200)), ev, &mut buf));
        assert!(exact.matches(Some(&Value::str("200")), ev, &mut buf));
        assert!(!exact.matches(Some(&Value::str("0200")), ev, &mut buf));
        assert!(!exact.matches(None, ev, &mut buf));
        let list = Value::List(vec!["a".into(), "200".into()]);
        assert!(exact.matches(Some(&list), ev, &mut buf));
        assert!(LeafMatch::Null.matches(None, ev, &mut buf));
        assert!(LeafMatch::Null.matches(Some(&Value::str("")), ev, &mut buf));
        assert!(!LeafMatch::Null.matches(Some(&Value::str("-x")), ev, &mut buf));
        assert!(LeafMatch::Exists(false).matches(None, ev, &mut buf));
        assert!(LeafMatch::Exists(true).matches(Some(&Value::str("")), ev, &mut buf));
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
