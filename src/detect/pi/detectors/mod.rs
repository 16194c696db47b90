//! The detectors proper: hand-written scanners over the bytes of one decoded
//! unit. They are byte loops rather than regexes because they run on every
//! unit the prefilter lets through and need things a regex does not give
//! cheaply: custom boundaries (no `\b`, which breaks after `%22`/`%2B`),
//! windows over digit groups, and validation before reporting.
//!
//! [`detect_text`] runs the families the prefilter selected, most specific
//! first, and records what each one reported in [`Spans`] so that digits of
//! an email, a JWT or an IPv6 address are not read again as a phone.

mod card;
mod email;
mod iban;
mod ip;
mod national;
mod numeric;
mod phone;
mod secret;

pub(crate) mod context;

use super::decode::url_decode_into;
use super::fingerprint::{Norm, fingerprint, normalize};
use super::keys::KeyClass;
use super::mask::{MaskStyle, mask};
use super::prefilter::{Features, RUN_EMAIL, RUN_IPV6, RUN_NUMERIC, RUN_SECRET, RUN_WORDS};
use super::{Category, PiFinding, PiScanner};

/// Where findings go: the output vector of one `scan_value` call, with
/// de-duplication, masking and fingerprinting.
pub(crate) struct Emitter<'a> {
    scanner: &'a PiScanner,
    out: &'a mut Vec<PiFinding>,
    /// Index of this call's first finding in `out`: de-duplication looks
    /// only at this call's findings.
    first: usize,
    field: &'static str,
    norm: &'a mut Vec<u8>,
    /// Values confirmed so far, duplicates included. Key-context rules run
    /// only when a unit produced none.
    pub(crate) hits: usize,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(
        scanner: &'a PiScanner,
        out: &'a mut Vec<PiFinding>,
        field: &'static str,
        norm: &'a mut Vec<u8>,
    ) -> Emitter<'a> {
        let first = out.len();
        Emitter {
            scanner,
            out,
            first,
            field,
            norm,
            hits: 0,
        }
    }

    /// Whether a category is reported at all.
    #[inline]
    pub(crate) fn enabled(&self, c: Category) -> bool {
        self.scanner.is_enabled(c)
    }

    /// Reports a confirmed value. `key` is the raw query key it came from,
    /// named in the finding when it is a plain name (see [`key_name`]).
    pub(crate) fn emit(&mut self, cat: Category, key: Option<&[u8]>, value: &[u8], norm: Norm) {
        normalize(value, norm, self.norm);
        self.push(cat, key, value);
    }

    /// Like [`Emitter::emit`], with a normalized form the detector computed
    /// (canonical IPv6, `YYYYMMDD` dates).
    pub(crate) fn emit_canonical(
        &mut self,
        cat: Category,
        key: Option<&[u8]>,
        value: &[u8],
        normalized: &[u8],
    ) {
        self.norm.clear();
        self.norm.extend_from_slice(normalized);
        self.push(cat, key, value);
    }

    fn push(&mut self, cat: Category, key: Option<&[u8]>, value: &[u8]) {
        self.hits += 1;
        if !self.enabled(cat) {
            return;
        }
        let fp = fingerprint(&self.scanner.mac, self.norm);
        let name = cat.name();
        if self.out[self.first..]
            .iter()
            .any(|f| f.category == name && f.fingerprint == fp)
        {
            return;
        }
        let text = String::from_utf8_lossy(value);
        self.out.push(PiFinding {
            category: name,
            field: self.field,
            key: key.and_then(key_name),
            masked: mask(&text, mask_style(cat, value)),
            fingerprint: fp,
            value: self.scanner.reveal.then(|| text.into_owned()),
        });
    }
}

/// The name a finding gives its key: the raw key percent-decoded, if it is
/// a plain name — short, made of name characters, and not itself carrying
/// PI (`?jane@example.com=1`, `?4111111111111111`), so the `key` field never
/// leaks what `masked` hides. Decoded here, only for findings, so scanning
/// never copies keys.
fn key_name(raw: &[u8]) -> Option<String> {
    let mut k = Vec::with_capacity(raw.len());
    url_decode_into(raw, false, &mut k);
    let plain = !k.is_empty()
        && k.len() <= 40
        && k.iter().filter(|b| b.is_ascii_digit()).count() < 5
        && k.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'));
    plain.then(|| String::from_utf8_lossy(&k).into_owned())
}

/// How each category is previewed.
fn mask_style(cat: Category, value: &[u8]) -> MaskStyle {
    use Category::*;
    let keep = |prefix, suffix| MaskStyle::Keep { prefix, suffix };
    match cat {
        Email => MaskStyle::Email,
        CreditCard | InAadhaar => keep(0, 4),
        Phone | UsSsn | InPan | UkNino | NationalId | Passport => keep(0, 2),
        Iban => keep(2, 2),
        IpAddress => keep(2, 0),
        Secret => MaskStyle::Opaque {
            prefix: secret::type_prefix_len(value),
        },
        DateOfBirth => keep(0, 0),
        PersonName | Geo | SpecialCategory => keep(1, 0),
    }
}

/// What the surrounding text says about a unit.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Ctx<'k> {
    /// The query key to name in findings.
    pub key: Option<&'k [u8]>,
    /// What the key (or the path segment before) says about the value.
    pub class: KeyClass,
    /// The key names GDPR Art. 9 data: the value is special-category.
    pub special: bool,
}

/// Byte ranges already reported in the current unit. A small fixed array:
/// units with more than 8 findings are not a thing; past that, overlaps are
/// only caught by fingerprint de-duplication.
#[derive(Default)]
pub(crate) struct Spans {
    r: [(usize, usize); 8],
    n: usize,
}

impl Spans {
    pub(crate) fn add(&mut self, s: usize, e: usize) {
        if self.n < self.r.len() {
            self.r[self.n] = (s, e);
            self.n += 1;
        }
    }

    pub(crate) fn overlaps(&self, s: usize, e: usize) -> bool {
        self.r[..self.n].iter().any(|&(a, b)| s < b && a < e)
    }
}

/// Runs the selected detector families over one decoded unit.
pub(crate) fn detect_text(text: &[u8], f: &Features, ctx: Ctx<'_>, em: &mut Emitter<'_>) {
    let run = f.detectors();
    if run == 0 {
        return;
    }
    let mut spans = Spans::default();
    if run & RUN_SECRET != 0 {
        secret::scan(text, ctx, &mut spans, em);
    }
    if run & RUN_EMAIL != 0 {
        email::scan(text, ctx, &mut spans, em);
    }
    if run & RUN_IPV6 != 0 {
        ip::scan_v6(text, ctx, &mut spans, em);
    }
    if run & RUN_SECRET != 0 || (run & RUN_WORDS != 0 && letter_then_digit(text)) {
        scan_words(text, ctx, &mut spans, em);
    }
    if run & RUN_NUMERIC != 0 {
        numeric::scan(text, ctx, &mut spans, em);
    }
}

/// Whether a letter is followed by a digit, directly or across one space:
/// every IBAN (`DE89…`, `de89…`), PAN (`ABCPD1234Z`) and NINO (`AB123456C`,
/// `AB 12 34 56 C`) has one, while the ids that fill logs (`cust_097246`,
/// `order:2026-060971`) do not, and skip the word detectors.
pub(crate) fn letter_then_digit(text: &[u8]) -> bool {
    text.windows(2).enumerate().any(|(i, w)| {
        w[0].is_ascii_alphabetic()
            && (w[1].is_ascii_digit()
                || (w[1] == b' ' && text.get(i + 2).is_some_and(u8::is_ascii_digit)))
    })
}

/// ASCII alphanumeric, the boundary class of every detector: a candidate
/// glued to a letter or digit on either side is part of a longer token.
#[inline]
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Walks the starts of letter-led words and tries the alphanumeric shapes:
/// AWS key ids, IBANs, PANs, NINOs.
fn scan_words(text: &[u8], ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let word_start = b.is_ascii_alphabetic() && (i == 0 || !is_alnum(text[i - 1]));
        if !word_start || spans.overlaps(i, i + 1) {
            i += 1;
            continue;
        }
        let hit = secret::aws_key_id(text, i)
            .map(|e| (e, Category::Secret, Norm::Exact))
            .or_else(|| iban::parse(text, i).map(|e| (e, Category::Iban, Norm::UpperAlnum)))
            .or_else(|| national::pan(text, i).map(|e| (e, Category::InPan, Norm::UpperAlnum)))
            .or_else(|| national::nino(text, i).map(|e| (e, Category::UkNino, Norm::UpperAlnum)));
        match hit {
            Some((e, cat, norm)) => {
                em.emit(cat, ctx.key, &text[i..e], norm);
                spans.add(i, e);
                i = e;
            }
            None => i += 1,
        }
    }
}
