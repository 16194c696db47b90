//! Sigma value modifiers (`field|contains|all`), by allow-list.
//!
//! Modifiers are checked against the list of the ones this engine
//! implements, so that a rule using one it does not know fails to load
//! instead of silently matching something else (chainsaw does the same: "so
//! if any new ones appear we don't silently error").
//!
//! A key's modifiers compile into a [`Modifiers`] value, in three parts:
//!
//! - one [`MatchKind`]: how the (transformed) value is compared with the
//!   field: equality, `contains`, `startswith`, `endswith`, `re`, `exists`,
//!   `cidr`, `lt`/`lte`/`gt`/`gte`, `fieldref` (alone or followed by one of
//!   `contains`/`startswith`/`endswith`), or a time part (`minute`…`year`);
//! - value [`Transform`]s, applied in the order written: `wide`/`utf16le`,
//!   `utf16be`, `utf16`, `base64`, `base64offset`, `windash`;
//! - flags: `all`, `cased`, `neq`, `expand`.
//!
//! The combinations follow the Sigma modifiers appendix (v2.1.0): at most
//! one comparison, at most one UTF-16 encoding, `base64` or `base64offset`
//! but not both, value transforms only with text comparisons, and the `re`
//! flags `i`, `m`, `s` only after `re`. `base64offset` without a comparison
//! means `contains` (the encoded fragment sits somewhere in a longer
//! base64 string, which is what the modifier exists for).

/// How a value is compared with a field.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum MatchKind {
    /// No modifier: equality, with Sigma wildcards `*` and `?`.
    Equals,
    /// `contains`.
    Contains,
    /// `startswith`.
    StartsWith,
    /// `endswith`.
    EndsWith,
    /// `re`, with its flags.
    Regex(RegexFlags),
    /// `exists`: the value is `true` or `false`.
    Exists,
    /// `cidr`: the field is an IP address inside the value's network.
    Cidr,
    /// `lt`, `lte`, `gt`, `gte`: numeric comparison.
    Compare(CmpOp),
    /// `fieldref`: the value names another field of the same event, whose
    /// value is compared with this field's (equality, or the text kind given
    /// after `fieldref`).
    FieldRef(TextKind),
    /// `minute` … `year`: a part of a date field, compared as a number.
    TimePart(TimePart),
}

impl MatchKind {
    /// The text comparison of this kind, for kinds that compare text with
    /// Sigma wildcards.
    pub fn text_kind(self) -> Option<TextKind> {
        Some(match self {
            MatchKind::Equals => TextKind::Equals,
            MatchKind::Contains => TextKind::Contains,
            MatchKind::StartsWith => TextKind::StartsWith,
            MatchKind::EndsWith => TextKind::EndsWith,
            _ => return None,
        })
    }
}

/// A text comparison: where the value must sit in the field's text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// The whole text.
    Equals,
    /// Anywhere.
    Contains,
    /// At the start.
    StartsWith,
    /// At the end.
    EndsWith,
}

/// `re` sub-modifiers: `i` (case-insensitive), `m` (multi-line), `s` (dot matches newline).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RegexFlags {
    pub ignore_case: bool,
    pub multi_line: bool,
    pub dot_all: bool,
}

/// A numeric comparison operator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    /// Whether `field OP value` holds.
    pub fn holds(self, field: f64, value: f64) -> bool {
        match self {
            CmpOp::Lt => field < value,
            CmpOp::Lte => field <= value,
            CmpOp::Gt => field > value,
            CmpOp::Gte => field >= value,
        }
    }
}

/// A part of a date, for the time modifiers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// A value transformation, applied before matching.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Transform {
    /// `wide`, `utf16le`: UTF-16 little-endian.
    Utf16Le,
    /// `utf16be`: UTF-16 big-endian.
    Utf16Be,
    /// `utf16`: byte-order mark `FF FE`, then UTF-16 little-endian.
    Utf16Bom,
    /// `base64`.
    Base64,
    /// `base64offset`: the three encodings of the value at each byte
    /// offset modulo 3, without the characters that depend on neighbours.
    Base64Offset,
    /// `windash`: every `-`, `/`, `–`, `—`, `―` as each of them.
    Windash,
}

/// The meaning of a key's modifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Modifiers {
    pub kind: MatchKind,
    /// `all`: every value must match, instead of any.
    pub all: bool,
    /// `cased`: compare case-sensitively.
    pub cased: bool,
    /// `neq`: the field must differ from every value.
    pub neq: bool,
    /// `expand`: `%name%` placeholders are replaced from configuration.
    pub expand: bool,
    /// Value transforms, in the order written.
    pub transforms: Vec<Transform>,
}

impl Modifiers {
    /// Plain equality, no flags.
    pub fn equals() -> Modifiers {
        Modifiers {
            kind: MatchKind::Equals,
            all: false,
            cased: false,
            neq: false,
            expand: false,
            transforms: Vec::new(),
        }
    }
}

/// A modifier error, at a byte offset of the key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ModifierError {
    pub offset: usize,
    pub message: String,
}

/// Every modifier [`parse_key`] accepts, for error messages.
const SUPPORTED: &str = "contains, startswith, endswith, all, re (with i, m, s), cased, exists, \
    neq, cidr, lt, lte, gt, gte, fieldref, expand, base64, base64offset, utf16le, utf16be, utf16, \
    wide, windash, minute, hour, day, week, month, year";

/// What one modifier name means.
enum Word {
    Kind(MatchKind),
    Transform(Transform),
    All,
    Cased,
    Neq,
    Expand,
    Flag(fn(&mut RegexFlags)),
}

fn word(name: &str) -> Option<Word> {
    use Word::*;
    Some(match name {
        "contains" => Kind(MatchKind::Contains),
        "startswith" => Kind(MatchKind::StartsWith),
        "endswith" => Kind(MatchKind::EndsWith),
        "re" => Kind(MatchKind::Regex(RegexFlags::default())),
        "exists" => Kind(MatchKind::Exists),
        "cidr" => Kind(MatchKind::Cidr),
        "lt" => Kind(MatchKind::Compare(CmpOp::Lt)),
        "lte" => Kind(MatchKind::Compare(CmpOp::Lte)),
        "gt" => Kind(MatchKind::Compare(CmpOp::Gt)),
        "gte" => Kind(MatchKind::Compare(CmpOp::Gte)),
        "fieldref" => Kind(MatchKind::FieldRef(TextKind::Equals)),
        "minute" => Kind(MatchKind::TimePart(TimePart::Minute)),
        "hour" => Kind(MatchKind::TimePart(TimePart::Hour)),
        "day" => Kind(MatchKind::TimePart(TimePart::Day)),
        "week" => Kind(MatchKind::TimePart(TimePart::Week)),
        "month" => Kind(MatchKind::TimePart(TimePart::Month)),
        "year" => Kind(MatchKind::TimePart(TimePart::Year)),
        "wide" | "utf16le" => Transform(self::Transform::Utf16Le),
        "utf16be" => Transform(self::Transform::Utf16Be),
        "utf16" => Transform(self::Transform::Utf16Bom),
        "base64" => Transform(self::Transform::Base64),
        "base64offset" => Transform(self::Transform::Base64Offset),
        "windash" => Transform(self::Transform::Windash),
        "all" => All,
        "cased" => Cased,
        "neq" => Neq,
        "expand" => Expand,
        "i" => Flag(|f| f.ignore_case = true),
        "m" => Flag(|f| f.multi_line = true),
        "s" => Flag(|f| f.dot_all = true),
        _ => return None,
    })
}

/// Splits `field|mod|mod` into the field name (empty for keywords) and the
/// meaning of its modifiers.
pub(crate) fn parse_key(key: &str) -> Result<(&str, Modifiers), ModifierError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    let mut mods = Modifiers::equals();
    let mut kind: Option<(MatchKind, &str, usize)> = None;
    let mut flags = RegexFlags::default();
    let mut flag_offset = None;
    let mut offset = field.len();
    let mut seen: Vec<&str> = Vec::new();
    let mut utf16: Option<&str> = None;
    let mut base64: Option<&str> = None;
    for name in parts {
        offset += 1; // the '|'
        let err = |message: String| ModifierError { offset, message };
        if name.is_empty() {
            return Err(err("empty modifier (`||` or a trailing `|`)".into()));
        }
        if seen.contains(&name) {
            return Err(err(format!("modifier `{name}` is repeated")));
        }
        seen.push(name);
        let Some(w) = word(name) else {
            return Err(err(format!(
                "unknown modifier `{name}` (supported: {SUPPORTED})"
            )));
        };
        match w {
            Word::Kind(k) => {
                kind = Some(match kind {
                    None => (k, name, offset),
                    // `fieldref|contains`: the field reference compared as a substring.
                    Some((MatchKind::FieldRef(TextKind::Equals), _, at))
                        if k.text_kind().is_some() =>
                    {
                        let tk = k.text_kind().unwrap_or(TextKind::Equals);
                        (MatchKind::FieldRef(tk), "fieldref", at)
                    }
                    Some((
                        MatchKind::Contains | MatchKind::StartsWith | MatchKind::EndsWith,
                        prev,
                        _,
                    )) if matches!(k, MatchKind::FieldRef(_)) => {
                        return Err(err(format!("`{prev}` must come after `fieldref`")));
                    }
                    Some((_, prev, _)) => {
                        return Err(err(format!(
                            "modifiers `{prev}` and `{name}` cannot be combined"
                        )));
                    }
                });
            }
            Word::Transform(t) => {
                let slot = match t {
                    Transform::Utf16Le | Transform::Utf16Be | Transform::Utf16Bom => &mut utf16,
                    Transform::Base64 | Transform::Base64Offset => &mut base64,
                    Transform::Windash => &mut None,
                };
                if let Some(prev) = slot {
                    return Err(err(format!(
                        "modifiers `{prev}` and `{name}` cannot be combined"
                    )));
                }
                *slot = Some(name);
                mods.transforms.push(t);
            }
            Word::All => mods.all = true,
            Word::Cased => mods.cased = true,
            Word::Neq => mods.neq = true,
            Word::Expand => mods.expand = true,
            Word::Flag(set) => {
                set(&mut flags);
                flag_offset.get_or_insert(offset);
            }
        }
        offset += name.len();
    }
    let at_first_mod = field.len() + 1;
    let fail = |offset: usize, message: &str| {
        Err(ModifierError {
            offset,
            message: message.into(),
        })
    };
    // Without a comparison, base64offset means contains.
    let implied = if mods.transforms.contains(&Transform::Base64Offset) {
        MatchKind::Contains
    } else {
        MatchKind::Equals
    };
    let (mut k, k_name, k_at) = kind.unwrap_or((implied, "", at_first_mod));
    match &mut k {
        MatchKind::Regex(f) => *f = flags,
        _ if flag_offset.is_some() => {
            return fail(
                flag_offset.unwrap_or_default(),
                "modifiers `i`, `m` and `s` only apply to `re`",
            );
        }
        _ => {}
    }
    let text = k.text_kind().is_some();
    if !text && (!mods.transforms.is_empty() || mods.expand) {
        return Err(ModifierError {
            offset: k_at,
            message: format!(
                "`{k_name}` cannot be combined with value transforms (base64, base64offset, utf16*, wide, windash, expand)"
            ),
        });
    }
    if k == MatchKind::Exists && (mods.all || mods.cased || mods.neq) {
        return fail(
            at_first_mod,
            "`exists` cannot be combined with other modifiers",
        );
    }
    if mods.cased && !matches!(k, MatchKind::FieldRef(_)) && !text {
        return Err(ModifierError {
            offset: k_at,
            message: format!("`cased` does not apply to `{k_name}`"),
        });
    }
    mods.kind = k;
    Ok((field, mods))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(key: &str) -> (&str, Modifiers) {
        parse_key(key).unwrap_or_else(|e| panic!("{key}: {}", e.message))
    }

    fn err(key: &str) -> ModifierError {
        parse_key(key).expect_err(key)
    }

    #[test]
    fn accepted() {
        let (f, m) = ok("cs-uri");
        assert_eq!(
            (f, m.kind, m.all, m.cased),
            ("cs-uri", MatchKind::Equals, false, false)
        );
        let (f, m) = ok("cs-uri|contains|all");
        assert_eq!((f, m.kind, m.all), ("cs-uri", MatchKind::Contains, true));
        let (f, m) = ok("|all");
        assert_eq!((f, m.all), ("", true));
        let (_, m) = ok("a|re|i|s");
        let flags = RegexFlags {
            ignore_case: true,
            multi_line: false,
            dot_all: true,
        };
        assert_eq!(m.kind, MatchKind::Regex(flags));
        assert!(ok("a|startswith|cased").1.cased);
        assert_eq!(ok("a|exists").1.kind, MatchKind::Exists);
        assert_eq!(ok("a|cidr").1.kind, MatchKind::Cidr);
        assert_eq!(ok("a|gte").1.kind, MatchKind::Compare(CmpOp::Gte));
        assert!(ok("a|neq").1.neq);
        assert_eq!(
            ok("a|fieldref|endswith").1.kind,
            MatchKind::FieldRef(TextKind::EndsWith)
        );
        assert_eq!(ok("a|hour").1.kind, MatchKind::TimePart(TimePart::Hour));
        let (_, m) = ok("a|wide|base64offset|contains");
        assert_eq!(m.kind, MatchKind::Contains);
        assert_eq!(m.transforms, [Transform::Utf16Le, Transform::Base64Offset]);
        assert_eq!(ok("a|base64offset").1.kind, MatchKind::Contains);
        assert_eq!(ok("a|base64").1.kind, MatchKind::Equals);
        assert_eq!(ok("a|contains|windash").1.transforms, [Transform::Windash]);
        assert!(ok("a|expand").1.expand);
    }

    #[test]
    fn rejected_with_offsets() {
        let e = err("cs-uri|contians");
        assert_eq!(e.offset, 7);
        assert!(
            e.message.starts_with("unknown modifier `contians`"),
            "{}",
            e.message
        );
        assert!(
            err("a|contains|startswith")
                .message
                .contains("cannot be combined")
        );
        assert!(err("a|contains|i").message.contains("only apply to `re`"));
        assert!(err("a|exists|all").message.contains("exists"));
        assert!(err("a||contains").message.contains("empty modifier"));
        assert!(err("a|all|all").message.contains("repeated"));
        let e = err("a|base64|base64offset");
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("cannot be combined"));
        assert!(err("a|wide|utf16be").message.contains("cannot be combined"));
        assert!(err("a|re|base64").message.contains("value transforms"));
        assert!(err("a|cidr|windash").message.contains("value transforms"));
        assert!(err("a|gt|lt").message.contains("cannot be combined"));
        assert!(
            err("a|contains|fieldref")
                .message
                .contains("after `fieldref`")
        );
        assert!(
            err("a|cidr|cased")
                .message
                .contains("`cased` does not apply")
        );
    }
}
