//! Digit runs: cards, Aadhaar, SSNs, phones and IPv4 addresses.
//!
//! A *run* is a maximal sequence of digit groups joined by single
//! separators (space, `-`, `.`, `/`, `:`, parentheses), optionally led by
//! `+`, and not glued to letters or digits on either side. Values inside a
//! run are looked for in *windows*: consecutive groups that start and end at
//! a space or `:` (or the run's ends), longest first, so that
//! `4012888888881881 4012-8888-8888-1881` yields two cards while a dotted
//! OID or a dashed ISBN is only ever judged as a whole.
//!
//! Hand-written rather than a regex: one pass finds the runs, windows are a
//! few array slices, and the validators see extracted digits directly.

use super::{Ctx, Emitter, KeyClass, Spans, card, ip, is_alnum, national, phone};
use crate::detect::pi::Category;
use crate::detect::pi::fingerprint::Norm;

/// Groups per run; longer runs (OIDs, dotted ids) are rejected as a whole.
const MAX_GROUPS: usize = 16;
/// The longest value any numeric detector accepts (cards: 19 digits).
pub(crate) const MAX_DIGITS: usize = 19;

/// One run of digit groups.
struct Run {
    /// First byte (`+`, `(` or a digit).
    start: usize,
    /// One past the last byte (a digit or `)`).
    end: usize,
    plus: bool,
    n: usize,
    /// Digit span of each group.
    g: [(usize, usize); MAX_GROUPS],
    /// Separator before each group (`0` for the first, and for a group
    /// right after `)`).
    sep: [u8; MAX_GROUPS],
    /// Bit `i`: group `i` was in parentheses.
    paren: u32,
    /// Too many groups or glued to an alphanumeric on the right.
    reject: bool,
}

/// A window of a run, what the detectors judge.
pub(crate) struct Win<'t> {
    pub text: &'t [u8],
    /// Digits of the window, without separators.
    pub digits: [u8; MAX_DIGITS],
    /// How many of `digits` are used.
    pub nd: usize,
    /// Digit spans of the window's groups.
    pub groups: &'t [(usize, usize)],
    /// Separators between the window's groups (`groups.len() - 1` of them).
    pub seps: &'t [u8],
    /// Bit `i`: window group `i` was in parentheses.
    pub paren: u32,
    /// The window starts at the run's leading `+`.
    pub plus: bool,
    /// Byte span of the window, `+` and parentheses included.
    pub start: usize,
    pub end: usize,
}

impl Win<'_> {
    /// The window's digits.
    pub(crate) fn d(&self) -> &[u8] {
        &self.digits[..self.nd]
    }

    /// Digit count of group `i`.
    pub(crate) fn glen(&self, i: usize) -> usize {
        self.groups[i].1 - self.groups[i].0
    }

    /// Whether the group lengths are exactly `lens`.
    pub(crate) fn shape(&self, lens: &[usize]) -> bool {
        self.groups.len() == lens.len() && (0..lens.len()).all(|i| self.glen(i) == lens[i])
    }

    /// The single separator used between all groups, if there is exactly
    /// one kind (`None` for a single group or mixed separators).
    pub(crate) fn uniform_sep(&self) -> Option<u8> {
        let first = *self.seps.first()?;
        self.seps.iter().all(|&s| s == first).then_some(first)
    }
}

#[inline]
fn digit_at(text: &[u8], i: usize) -> bool {
    text.get(i).is_some_and(u8::is_ascii_digit)
}

/// Where the next group starts after a group ending at `i`, and the
/// separator in between.
fn next_group(text: &[u8], i: usize) -> Option<(u8, usize)> {
    let s = *text.get(i)?;
    if !matches!(s, b' ' | b'-' | b'.' | b'/' | b':') {
        return None;
    }
    if digit_at(text, i + 1) || (text.get(i + 1) == Some(&b'(') && digit_at(text, i + 2)) {
        Some((s, i + 1))
    } else {
        None
    }
}

/// Parses the run starting at `p` (a digit, or `+`/`(` before one).
/// Fills `run` (reused across runs: the group arrays are only written, never
/// cleared, so parsing a run costs nothing for its unused slots).
fn parse_run(text: &[u8], p: usize, run: &mut Run) {
    run.start = p;
    run.end = p;
    run.plus = false;
    run.n = 0;
    run.paren = 0;
    run.reject = false;
    let mut i = p;
    if text[i] == b'+' {
        run.plus = true;
        i += 1;
    }
    let mut sep = 0u8;
    loop {
        let mut paren = text[i] == b'(';
        let ds = i + usize::from(paren);
        let mut de = ds;
        while digit_at(text, de) {
            de += 1;
        }
        if paren && text.get(de) != Some(&b')') {
            if run.n > 0 {
                // `(` without `)` after a group: the run ends before it.
                break;
            }
            // `(192.168.1.1)`: an opening bracket, not an area code.
            paren = false;
            run.start = ds;
        }
        let gend = de + usize::from(paren);
        if run.n == MAX_GROUPS {
            run.reject = true;
            run.end = gend;
            break;
        }
        run.g[run.n] = (ds, de);
        run.sep[run.n] = sep;
        if paren {
            run.paren |= 1 << run.n;
        }
        run.n += 1;
        run.end = gend;
        if paren && digit_at(text, gend) {
            // `(415)555-0132`: a group right after `)`.
            sep = 0;
            i = gend;
            continue;
        }
        match next_group(text, gend) {
            Some((s, j)) => {
                sep = s;
                i = j;
            }
            None => break,
        }
    }
    if text.get(run.end).is_some_and(|&b| is_alnum(b)) {
        run.reject = true;
    }
    // Skip the rest of a glued token so the caller resumes after it.
    while run.reject && text.get(run.end).is_some_and(|&b| is_alnum(b)) {
        run.end += 1;
    }
}

/// Whether `[s, e)` lies in a UUID (`8-4-4-4-12` hex): its digit groups are
/// not numbers.
fn in_uuid(text: &[u8], s: usize, e: usize) -> bool {
    let tok = |b: u8| b.is_ascii_hexdigit() || b == b'-';
    let mut l = s;
    while l > 0 && tok(text[l - 1]) {
        l -= 1;
    }
    let mut r = e;
    while r < text.len() && tok(text[r]) {
        r += 1;
    }
    let t = &text[l..r];
    t.len() == 36
        && t.iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// Scans `text` for digit runs and reports what their windows hold.
pub(crate) fn scan(text: &[u8], ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    let mut run = Run {
        start: 0,
        end: 0,
        plus: false,
        n: 0,
        g: [(0, 0); MAX_GROUPS],
        sep: [0; MAX_GROUPS],
        paren: 0,
        reject: false,
    };
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        let starts = b.is_ascii_digit() || (matches!(b, b'+' | b'(') && digit_at(text, i + 1));
        if !starts {
            i += 1;
            continue;
        }
        if i > 0 && is_alnum(text[i - 1]) {
            // Digits glued to a word (`v1`, `order42`, hex) or a `+`/`(`
            // right after one (`…00.123+01:00`): skip the token, always
            // moving forward.
            i += 1;
            while i < text.len() && is_alnum(text[i]) {
                i += 1;
            }
            continue;
        }
        if b.is_ascii_digit() && !matches!(ctx.class, KeyClass::Phone | KeyClass::Ssn) {
            // A lone number (`/users/1234567`, `ts=1705314600`) can only be
            // an Aadhaar (12 digits) or a card (13–19) — or a phone or SSN
            // under its key. Most ids end here, before a run is built.
            let mut e = i;
            while digit_at(text, e) {
                e += 1;
            }
            let lone = !matches!(text.get(e), Some(b' ' | b'-' | b'.' | b'/' | b':' | b'('));
            if lone && !(12..=MAX_DIGITS).contains(&(e - i)) {
                i = e;
                while i < text.len() && is_alnum(text[i]) {
                    i += 1;
                }
                continue;
            }
        }
        parse_run(text, i, &mut run);
        i = run.end.max(i + 1);
        if run.reject || spans.overlaps(run.start, run.end) {
            continue;
        }
        let dashed = run.sep[..run.n].contains(&b'-')
            || (run.start > 0 && text[run.start - 1] == b'-')
            || text.get(run.end) == Some(&b'-');
        if dashed && in_uuid(text, run.start, run.end) {
            continue;
        }
        windows(text, &run, ctx, spans, em);
    }
}

/// Tries every window of a run, longest first from each start.
fn windows(text: &[u8], run: &Run, ctx: Ctx<'_>, spans: &mut Spans, em: &mut Emitter<'_>) {
    // Atoms: groups joined by `-`, `.` or `/` stay together; a window may
    // start or end at a space or a `:` (`user:4111…:4111-…` in ids).
    let mut atom_start = [0usize; MAX_GROUPS];
    let mut atoms = 0;
    for k in 0..run.n {
        if k == 0 || matches!(run.sep[k], b' ' | b':') {
            atom_start[atoms] = k;
            atoms += 1;
        }
    }
    let atom_end = |a: usize| {
        if a + 1 < atoms {
            atom_start[a + 1]
        } else {
            run.n
        }
    };
    let mut a = 0;
    'starts: while a < atoms {
        for b in (a..atoms).rev() {
            let (g0, g1) = (atom_start[a], atom_end(b));
            let nd: usize = run.g[g0..g1].iter().map(|&(s, e)| e - s).sum();
            if nd > MAX_DIGITS {
                continue;
            }
            if nd < 4 {
                break;
            }
            if !plausible(nd, &run.g[g0..g1], &run.sep[g0 + 1..g1]) {
                continue;
            }
            let mut w = Win {
                text,
                digits: [0; MAX_DIGITS],
                nd,
                groups: &run.g[g0..g1],
                seps: &run.sep[g0 + 1..g1],
                paren: run.paren >> g0,
                plus: run.plus && g0 == 0,
                start: 0,
                end: 0,
            };
            let mut k = 0;
            for &(s, e) in w.groups {
                w.digits[k..k + e - s].copy_from_slice(&text[s..e]);
                k += e - s;
            }
            let first_paren = w.paren & 1 != 0;
            w.start = if w.plus {
                run.start
            } else {
                run.g[g0].0 - usize::from(first_paren)
            };
            let last_paren = (run.paren >> (g1 - 1)) & 1 != 0;
            w.end = run.g[g1 - 1].1 + usize::from(last_paren);
            if !w.plus && continues_grouping(text, w.start, w.groups[0]) {
                // The tail of a longer printed number: judging it alone
                // finds cards and phones inside IBANs (`DE43 8972 6270 …`)
                // and Aadhaar-like groups (`4985 0737 1760`). Later starts
                // are tails too.
                break 'starts;
            }
            if let Some((s, e)) = judge(&w, ctx, em) {
                spans.add(s, e);
                a = b + 1;
                continue 'starts;
            }
        }
        a += 1;
    }
}

/// Whether a window starting at `start` with first group `g` continues a
/// number printed in groups of four (cards, IBANs, Aadhaar): the group is 4
/// digits, and right before it stand a space or `-` and another 4-character
/// group of capitals and digits with at least one digit (`DE43 `, `4985 `),
/// or of capitals after one more such group (`GB96 MIDL `).
/// Such a window is a piece of a longer value, not a value.
fn continues_grouping(text: &[u8], start: usize, g: (usize, usize)) -> bool {
    if g.1 - g.0 != 4 || g.0 != start || start < 5 || !matches!(text[start - 1], b' ' | b'-') {
        return false;
    }
    let group = |end: usize| {
        let g = &text[end - 4..end];
        g.iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
            && (end == 4 || !is_alnum(text[end - 5]))
    };
    let has_digit = |end: usize| text[end - 4..end].iter().any(u8::is_ascii_digit);
    // A letters-only group counts after another group (`GB96 MIDL 0601`).
    group(start - 1)
        && (has_digit(start - 1)
            || (start >= 10 && text[start - 6] == text[start - 1] && group(start - 6)))
}

/// Whether any numeric detector could accept a window of `nd` digits in
/// `groups` joined by `seps`, judged before the window is built: IPv4
/// wants 4–5 dotted groups, everything else 7 or more digits and no `:`
/// except Aadhaar's `4:4:4`.
fn plausible(nd: usize, groups: &[(usize, usize)], seps: &[u8]) -> bool {
    let ipv4 = (4..=5).contains(&groups.len()) && seps[..3] == *b"...";
    let colon_ok = !seps.contains(&b':') || nd == 12;
    ipv4 || (nd >= 7 && colon_ok)
}

/// Runs the numeric detectors on a window, most specific first, and
/// reports the first that accepts it. Returns the reported byte span.
fn judge(w: &Win<'_>, ctx: Ctx<'_>, em: &mut Emitter<'_>) -> Option<(usize, usize)> {
    if let Some((s, e)) = ip::v4(w, ctx) {
        em.emit(Category::IpAddress, ctx.key, &w.text[s..e], Norm::Exact);
        return Some((s, e));
    }
    use KeyClass::{Dob, Lat, LatLon, Lon, Phone, Ssn};
    let class = ctx.class;
    let cat = if card::is_card(w) {
        Category::CreditCard
    } else if national::is_aadhaar(w) {
        Category::InAadhaar
    } else if national::is_ssn(w) || (class == Ssn && national::is_ssn_keyed(w)) {
        Category::UsSsn
    } else if matches!(class, Dob | Lat | Lon | LatLon) {
        // The key says what the digits are; a date is not a phone.
        return None;
    } else if phone::is_phone(w) || (class == Phone && phone::is_phone_keyed(w)) {
        Category::Phone
    } else {
        return None;
    };
    em.emit(cat, ctx.key, &w.text[w.start..w.end], Norm::Digits);
    Some((w.start, w.end))
}
