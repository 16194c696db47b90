//! Value transforms: `expand`, `wide`/`utf16*`, `base64`, `base64offset`,
//! `windash` — what a rule value becomes before it is matched.
//!
//! One written value can become several alternatives (placeholder values,
//! base64 offsets, dash variants); the item then holds when any
//! alternative matches (and, with `|all`, every written value must have one
//! alternative that matches). Transforms run in the order the modifiers are
//! written, as the Sigma specification says.
//!
//! **UTF-16.** `wide`, `utf16le`, `utf16be` and `utf16` turn text into
//! UTF-16 bytes. They exist for base64-encoded PowerShell command lines
//! (`|wide|base64offset|contains`), where the result is ASCII again. Used
//! alone, the bytes are compared with the field's UTF-8 text: ASCII text
//! becomes `c\0m\0d\0`, which no text log line contains in practice, and
//! bytes that are not valid UTF-8 can never match at all (compiled to a
//! matcher that never matches). Rules load either way.

use super::matcher::{Tok, parse_wildcards};
use super::modifier::Transform;
use super::options::RuleOptions;

/// Most alternatives one written value may expand to (`windash` makes 5ⁿ
/// for n dashes, placeholders multiply): beyond this a rule is rejected,
/// not silently truncated.
pub(crate) const MAX_ALTERNATIVES: usize = 4096;

/// One alternative of a transformed value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Alt {
    /// Text with Sigma wildcards.
    Toks(Vec<Tok>),
    /// Bytes that are not UTF-8 text: can never equal a field's text.
    Never,
}

/// A value while it is being transformed.
enum Val {
    Toks(Vec<Tok>),
    Bytes(Vec<u8>),
}

/// The characters `windash` permutes: hyphen, slash, en dash, em dash,
/// horizontal bar (Sigma modifiers appendix v2.1.0).
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Transforms one written value (its Sigma text, escapes included).
pub(crate) fn apply(
    value: &str,
    expand: bool,
    transforms: &[Transform],
    options: &RuleOptions,
) -> Result<Vec<Alt>, String> {
    let texts = if expand {
        expand_placeholders(value, options)?
    } else {
        vec![value.to_owned()]
    };
    let mut vals: Vec<Val> = texts
        .iter()
        .map(|t| Val::Toks(parse_wildcards(t)))
        .collect();
    for t in transforms {
        let mut next = Vec::new();
        for v in vals {
            step(v, *t, &mut next)?;
            if next.len() > MAX_ALTERNATIVES {
                return Err(format!(
                    "the value expands to more than {MAX_ALTERNATIVES} alternatives: simplify it"
                ));
            }
        }
        vals = next;
    }
    Ok(vals
        .into_iter()
        .map(|v| match v {
            Val::Toks(t) => Alt::Toks(t),
            Val::Bytes(b) => match String::from_utf8(b) {
                Ok(s) => Alt::Toks(vec![Tok::Lit(s)]),
                Err(_) => Alt::Never,
            },
        })
        .collect())
}

/// The literal text of tokens without wildcards.
fn literal(toks: &[Tok], name: &str) -> Result<String, String> {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Lit(l) => s.push_str(l),
            Tok::Star | Tok::One => {
                return Err(format!(
                    "`{name}` cannot encode wildcards (`*`, `?`): escape them as `\\*`, `\\?`"
                ));
            }
        }
    }
    Ok(s)
}

fn bytes_of(v: Val, name: &str) -> Result<Vec<u8>, String> {
    match v {
        Val::Toks(t) => literal(&t, name).map(String::into_bytes),
        Val::Bytes(b) => Ok(b),
    }
}

fn step(v: Val, t: Transform, out: &mut Vec<Val>) -> Result<(), String> {
    match t {
        Transform::Utf16Le | Transform::Utf16Be | Transform::Utf16Bom => {
            let name = match t {
                Transform::Utf16Be => "utf16be",
                Transform::Utf16Bom => "utf16",
                _ => "utf16le",
            };
            let bytes = bytes_of(v, name)?;
            let text = String::from_utf8_lossy(&bytes);
            let mut wide = Vec::with_capacity(text.len() * 2 + 2);
            if t == Transform::Utf16Bom {
                wide.extend_from_slice(&[0xFF, 0xFE]);
            }
            for u in text.encode_utf16() {
                let b = if t == Transform::Utf16Be {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                };
                wide.extend_from_slice(&b);
            }
            out.push(Val::Bytes(wide));
        }
        Transform::Base64 => {
            let bytes = bytes_of(v, "base64")?;
            out.push(Val::Toks(vec![Tok::Lit(base64(&bytes))]));
        }
        Transform::Base64Offset => {
            let bytes = bytes_of(v, "base64offset")?;
            let before = out.len();
            for s in base64_offsets(&bytes) {
                if !s.is_empty()
                    && !out
                        .iter()
                        .any(|o| matches!(o, Val::Toks(t) if t == &[Tok::Lit(s.clone())]))
                {
                    out.push(Val::Toks(vec![Tok::Lit(s)]));
                }
            }
            if out.len() == before {
                return Err("the value is too short for `base64offset`".into());
            }
        }
        Transform::Windash => {
            let toks = match v {
                Val::Toks(t) => t,
                Val::Bytes(b) => match String::from_utf8(b) {
                    Ok(s) => vec![Tok::Lit(s)],
                    Err(_) => return Err("`windash` after an encoding that is not text".into()),
                },
            };
            windash(&toks, out)?;
        }
    }
    Ok(())
}

/// Standard base64 with padding (what pySigma's `base64` produces).
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = (n >> (18 - 6 * i)) & 0x3F;
                out.push(char::from(ALPHABET[idx as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The three `base64offset` fragments of a value: the base64 text of the
/// value preceded by 0, 1 and 2 bytes, without the leading characters that
/// encode those bytes and the trailing ones that depend on what follows
/// (pySigma's start offsets 0, 2, 3 and end offsets 0, 3, 2 by
/// `(len + shift) % 3`).
pub(crate) fn base64_offsets(value: &[u8]) -> [String; 3] {
    const START: [usize; 3] = [0, 2, 3];
    const END_CUT: [usize; 3] = [0, 3, 2];
    std::array::from_fn(|shift| {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(value);
        let enc = base64(&padded);
        let cut = END_CUT[(value.len() + shift) % 3];
        let end = enc.len().saturating_sub(cut);
        enc.get(START[shift]..end).unwrap_or_default().to_owned()
    })
}

/// Every variant of `toks` with each dash character replaced by each of
/// [`DASHES`] (wildcards are kept).
fn windash(toks: &[Tok], out: &mut Vec<Val>) -> Result<(), String> {
    let n: usize = toks
        .iter()
        .map(|t| match t {
            Tok::Lit(l) => l.chars().filter(|c| DASHES.contains(c)).count(),
            _ => 0,
        })
        .sum();
    let total = u32::try_from(n)
        .ok()
        .and_then(|n| DASHES.len().checked_pow(n))
        .filter(|&t| t <= MAX_ALTERNATIVES)
        .ok_or_else(|| {
            format!("`windash` on a value with {n} dashes makes too many variants (at most {MAX_ALTERNATIVES})")
        })?;
    for combo in 0..total {
        let mut idx = combo;
        let variant = toks
            .iter()
            .map(|t| match t {
                Tok::Lit(l) => Tok::Lit(
                    l.chars()
                        .map(|c| {
                            if DASHES.contains(&c) {
                                let r = DASHES[idx % DASHES.len()];
                                idx /= DASHES.len();
                                r
                            } else {
                                c
                            }
                        })
                        .collect(),
                ),
                t => t.clone(),
            })
            .collect();
        out.push(Val::Toks(variant));
    }
    Ok(())
}

/// Replaces `%name%` placeholders with each of their configured values
/// (every combination when there are several); `\%` is a plain `%`.
fn expand_placeholders(value: &str, options: &RuleOptions) -> Result<Vec<String>, String> {
    let mut outs = vec![String::new()];
    let mut rest = value;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("\\%") {
            outs.iter_mut().for_each(|o| o.push('%'));
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('%') {
            let Some(end) = r.find('%') else {
                return Err("unclosed `%` placeholder (write `\\%` for a plain `%`)".into());
            };
            let name = r.get(..end).unwrap_or_default();
            let values = options.placeholders.get(name).ok_or_else(|| {
                format!(
                    "placeholder `%{name}%` has no values: define it under `[rules.placeholders]` in the config"
                )
            })?;
            if values.is_empty() {
                return Err(format!(
                    "placeholder `%{name}%` has an empty list of values"
                ));
            }
            if outs.len().saturating_mul(values.len()) > MAX_ALTERNATIVES {
                return Err(format!(
                    "placeholders expand to more than {MAX_ALTERNATIVES} alternatives"
                ));
            }
            outs = outs
                .iter()
                .flat_map(|o| values.iter().map(move |v| format!("{o}{v}")))
                .collect();
            rest = r.get(end + 1..).unwrap_or_default();
            continue;
        }
        let cut = rest
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '%' || *c == '\\')
            .map_or(rest.len(), |(i, _)| i);
        let (lit, r) = rest.split_at(cut);
        outs.iter_mut().for_each(|o| o.push_str(lit));
        rest = r;
    }
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(alts: &[Alt]) -> Vec<String> {
        alts.iter()
            .map(|a| match a {
                Alt::Toks(t) => t
                    .iter()
                    .map(|t| match t {
                        Tok::Lit(l) => l.clone(),
                        Tok::Star => "*".into(),
                        Tok::One => "?".into(),
                    })
                    .collect(),
                Alt::Never => "<never>".into(),
            })
            .collect()
    }

    fn run(v: &str, t: &[Transform]) -> Vec<String> {
        lits(&apply(v, false, t, &RuleOptions::default()).unwrap())
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(run("foobar", &[Transform::Base64]), ["Zm9vYmFy"]);
    }

    #[test]
    fn base64offset_fragments_occur_in_any_embedding() {
        // The fragments of `/bin/sh` must appear in the base64 of any text
        // containing it, whatever precedes and follows.
        let value = "/bin/sh";
        let frags = base64_offsets(value.as_bytes());
        for pre in ["", "a", "ab", "abc", "echo "] {
            for post in ["", "x", "xy", " -c id"] {
                let enc = base64(format!("{pre}{value}{post}").as_bytes());
                assert!(
                    frags.iter().any(|f| enc.contains(f.as_str())),
                    "{pre}|{post}: {enc} {frags:?}"
                );
            }
        }
        assert_eq!(frags, ["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]);
        assert!(
            apply(
                "a",
                false,
                &[Transform::Base64Offset],
                &RuleOptions::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn utf16_and_its_limits() {
        assert_eq!(run("cmd", &[Transform::Utf16Le]), ["c\0m\0d\0"]);
        assert_eq!(run("cmd", &[Transform::Utf16Be]), ["\0c\0m\0d"]);
        assert_eq!(run("cmd", &[Transform::Utf16Bom]), ["<never>"]);
        assert_eq!(
            run("cmd", &[Transform::Utf16Le, Transform::Base64]),
            ["YwBtAGQA"]
        );
        let e = apply("a*", false, &[Transform::Base64], &RuleOptions::default());
        assert!(e.unwrap_err().contains("wildcards"));
    }

    #[test]
    fn windash_permutes_every_dash() {
        let v = run("-a /b", &[Transform::Windash]);
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"/a -b".to_owned()));
        assert!(v.contains(&"\u{2014}a \u{2015}b".to_owned()));
        assert_eq!(run("*-x*", &[Transform::Windash]).len(), 5);
        let e = apply(
            "-a -b -c -d -e -f",
            false,
            &[Transform::Windash],
            &RuleOptions::default(),
        );
        assert!(e.unwrap_err().contains("too many"));
    }

    #[test]
    fn placeholders() {
        let mut o = RuleOptions::default();
        o.placeholders
            .insert("Admins".into(), vec!["root".into(), "adm*".into()]);
        let alts = apply("%Admins%@\\%x", true, &[], &o).unwrap();
        assert_eq!(lits(&alts), ["root@%x", "adm*@%x"]);
        assert!(
            apply("%Nope%", true, &[], &o)
                .unwrap_err()
                .contains("`%Nope%`")
        );
        assert!(
            apply("%open", true, &[], &o)
                .unwrap_err()
                .contains("unclosed")
        );
        // Without `expand`, `%` is plain text.
        assert_eq!(
            lits(&apply("%Admins%", false, &[], &o).unwrap()),
            ["%Admins%"]
        );
    }
}
