//! RFC 5424 structured data: `[id name="value" …][id2 …]`, read leniently
//! (spaces around `=` are accepted, as rsyslog and Vector do).

use crate::event::Value;
use crate::parse::{ParseError, Reason};
use std::borrow::Cow;

/// Prefix of structured-data extras: `log.syslog.structured_data.<id>.<name>`.
const PREFIX: &str = "log.syslog.structured_data";

/// Parses the structured data at the start of `text` (which is at byte
/// `base` of the line) into `out`, and returns the bytes consumed. Elements
/// without parameters add nothing.
pub(super) fn parse<'a>(
    text: &'a str,
    base: usize,
    out: &mut Vec<(Cow<'a, str>, Value<'a>)>,
) -> Result<usize, ParseError> {
    let b = text.as_bytes();
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
        let id_start = i;
        while i < b.len() && !matches!(b[i], b' ' | b']' | b'=' | b'"') {
            i += 1;
        }
        let id = text.get(id_start..i).unwrap_or("");
        if id.is_empty() {
            return Err(ParseError::at(Reason::BadSeparator, base + i));
        }
        loop {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            match b.get(i) {
                Some(b']') => {
                    i += 1;
                    break;
                }
                None => return Err(ParseError::at(Reason::Truncated, base + i)),
                _ => {}
            }
            let name_start = i;
            while i < b.len() && !matches!(b[i], b' ' | b']' | b'=' | b'"') {
                i += 1;
            }
            let name = text.get(name_start..i).unwrap_or("");
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if name.is_empty() || b.get(i) != Some(&b'=') {
                return Err(ParseError::at(Reason::BadSeparator, base + i));
            }
            i += 1;
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            if b.get(i) != Some(&b'"') {
                return Err(ParseError::at(Reason::BadSeparator, base + i));
            }
            i += 1;
            let (value, end) =
                quoted(text, i).ok_or(ParseError::at(Reason::UnterminatedQuote, base + i))?;
            i = end;
            out.push((
                Cow::Owned(format!("{PREFIX}.{id}.{name}")),
                Value::Str(value),
            ));
        }
    }
    Ok(i)
}

/// The value of a quoted parameter starting at `start` (after the `"`), with
/// `\"`, `\\` and `\]` unescaped (a backslash before anything else is kept,
/// per RFC 5424), and the position after the closing quote.
fn quoted(text: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = text.as_bytes();
    let mut i = start;
    let mut escaped = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    if i >= b.len() {
        return None;
    }
    let raw = text.get(start..i)?;
    if !escaped {
        return Some((Cow::Borrowed(raw), i + 1));
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\' | ']')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Some((Cow::Owned(out), i + 1))
}
