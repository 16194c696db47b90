//! Credentials by shape: JWTs (`eyJ…` header that base64url-decodes to a
//! JSON object), AWS access key ids (`AKIA`/`ASIA` + 16), GitHub tokens
//! (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`) and Slack tokens
//! (`xoxa-`, `xoxb-`, `xoxp-`, `xoxo-`, `xoxr-`, `xoxs-`). Values of
//! password-like keys are handled in `context`.

use super::{Ctx, Emitter, Spans, is_alnum};
use crate::detect::pi::Category;
use crate::detect::pi::decode::base64_decode_into;
use crate::detect::pi::fingerprint::Norm;

fn b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// How much of a credential's start names its type and may show in the
/// preview.
pub(crate) fn type_prefix_len(v: &[u8]) -> usize {
    if v.starts_with(b"github_pat_") {
        11
    } else if v.starts_with(b"AKIA")
        || v.starts_with(b"ASIA")
        || (v.len() > 4 && v.starts_with(b"gh") && v[3] == b'_')
    {
        4
    } else if v.starts_with(b"xox") && v.get(4) == Some(&b'-') {
        5
    } else if v.starts_with(b"eyJ") {
        3
    } else {
        0
    }
}

/// An AWS access key id word at `i`: `AKIA`/`ASIA` and 16 uppercase
/// alphanumerics, then a boundary.
pub(crate) fn aws_key_id(text: &[u8], i: usize) -> Option<usize> {
    let w = text.get(i..i + 20)?;
    let ok = (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
        && w[4..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && text.get(i + 20).is_none_or(|&b| !is_alnum(b));
    ok.then_some(i + 20)
}

/// Length of the run of bytes satisfying `f` from `i`.
fn run_len(text: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    text[i.min(text.len())..]
        .iter()
        .take_while(|&&b| f(b))
        .count()
}

/// A JWT at `i`: three base64url segments joined by dots (the signature
/// may be empty for `alg: none`), whose header decodes to a JSON object
/// with `alg` or `typ`. Allocates the decoded header, but only for text that
/// already starts with `eyJ`.
fn jwt(text: &[u8], i: usize) -> Option<usize> {
    let h = run_len(text, i, b64url);
    if h < 10 || text.get(i + h) != Some(&b'.') {
        return None;
    }
    let p0 = i + h + 1;
    let p = run_len(text, p0, b64url);
    if p < 2 || text.get(p0 + p) != Some(&b'.') {
        return None;
    }
    let s0 = p0 + p + 1;
    let end = s0 + run_len(text, s0, b64url);
    let mut header = Vec::new();
    if !base64_decode_into(&text[i..i + h], &mut header) {
        return None;
    }
    // `eyJ` always decodes to `{"`; a JOSE header also closes the object
    // and names its algorithm or type.
    let trimmed = header.trim_ascii_end();
    let names = |k: &[u8]| header.windows(k.len()).any(|w| w == k);
    let jose = trimmed.ends_with(b"}") && (names(b"\"alg\"") || names(b"\"typ\""));
    jose.then_some(end)
}

/// Length of a GitHub or Slack token at `i`, if one starts there.
fn chat_or_forge_token(text: &[u8], i: usize) -> Option<usize> {
    let rest = &text[i..];
    let body = |from: usize, min: usize, f: fn(u8) -> bool| {
        let n = run_len(text, i + from, f);
        (n >= min).then_some(i + from + n)
    };
    if rest.starts_with(b"github_pat_") {
        body(11, 22, |b| b.is_ascii_alphanumeric() || b == b'_')
    } else if rest.len() > 4
        && rest.starts_with(b"gh")
        && matches!(rest[2], b'p' | b'o' | b'u' | b's' | b'r')
        && rest[3] == b'_'
    {
        body(4, 36, |b| b.is_ascii_alphanumeric())
    } else if rest.len() > 5
        && rest.starts_with(b"xox")
        && matches!(rest[3], b'a' | b'b' | b'p' | b'o' | b'r' | b's')
        && rest[4] == b'-'
    {
        body(5, 10, |b| b.is_ascii_alphanumeric() || b == b'-')
    } else {
        None
    }
}

/// Reports JWTs and GitHub/Slack tokens in `text` (AWS key ids are found
/// by the word scanner).
pub(crate) fn scan(text: &[u8], ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    let mut i = 0;
    while i + 15 <= text.len() {
        let b = text[i];
        let boundary = i == 0 || !(b64url(text[i - 1]) || text[i - 1] == b'.');
        let end = if !boundary {
            None
        } else if b == b'e' {
            text[i..]
                .starts_with(b"eyJ")
                .then(|| jwt(text, i))
                .flatten()
        } else if b == b'g' || b == b'x' {
            chat_or_forge_token(text, i)
        } else {
            None
        };
        match end {
            Some(e) if text.get(e).is_none_or(|&c| !b64url(c)) => {
                em.emit(Category::Secret, ctx.key, &text[i..e], Norm::Exact);
                spans.add(i, e);
                i = e;
            }
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

    #[test]
    fn jwt_shapes() {
        assert_eq!(jwt(JWT.as_bytes(), 0), Some(JWT.len()));
        let unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
        assert_eq!(jwt(unsigned.as_bytes(), 0), Some(unsigned.len()));
        // Header that is not JSON.
        // `{"a":1}` decodes to JSON but is not a JOSE header.
        assert_eq!(jwt(b"eyJhIjoxfQ.eyJhIjoxfQ.sig", 0), None);
        assert_eq!(jwt(b"eyJhbGciOiJIUzI1NiJ9", 0), None);
    }

    #[test]
    fn token_shapes() {
        let gh = format!("ghp_{}", "a1B2".repeat(9));
        assert_eq!(chat_or_forge_token(gh.as_bytes(), 0), Some(gh.len()));
        assert_eq!(chat_or_forge_token(b"ghp_short", 0), None);
        let slack = b"xoxb-123456789012-abcdefABCDEF";
        assert_eq!(chat_or_forge_token(slack, 0), Some(slack.len()));
        assert_eq!(aws_key_id(b"AKIAIOSFODNN7EXAMPLE", 0), Some(20));
        assert_eq!(aws_key_id(b"AKIAIOSFODNN7EXAMPLEX", 0), None);
        assert_eq!(aws_key_id(b"AKIAiosfodnn7example", 0), None);
    }
}
