//! Sigma value modifiers (`field|contains|all`), by allow-list.
//!
//! Modifiers are checked against a list of the ones this engine implements,
//! so that a rule using one it does not know fails to load instead of
//! silently matching something else (chainsaw does the same: "so if any new
//! ones appear we don't silently error"). Modifiers from the Sigma
//! specification that are not implemented yet get their own message.
//!
//! A key's modifiers compile into a [`Modifiers`] value: one [`MatchKind`]
//! plus flags. The full-Sigma work slots in here: value transforms
//! (`base64`, `base64offset`, `utf16*`/`wide`, `windash`) will become a list
//! of transforms that [`super::compile`] applies to each value before
//! building matchers; `cidr`, `lt`/`gt`…, `fieldref` and `expand` will
//! become new [`MatchKind`]s with their own matchers.

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
}

/// `re` sub-modifiers: `i` (case-insensitive), `m` (multi-line), `s` (dot matches newline).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RegexFlags {
    pub ignore_case: bool,
    pub multi_line: bool,
    pub dot_all: bool,
}

/// The meaning of a key's modifiers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Modifiers {
    pub kind: MatchKind,
    /// `all`: every value must match, instead of any.
    pub all: bool,
    /// `cased`: compare case-sensitively.
    pub cased: bool,
}

/// A modifier error, at a byte offset of the key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ModifierError {
    pub offset: usize,
    pub message: String,
}

/// Modifiers of the Sigma specification this engine does not implement yet.
const NOT_YET: &[&str] = &[
    "base64",
    "base64offset",
    "utf16",
    "utf16le",
    "utf16be",
    "wide",
    "windash",
    "cidr",
    "lt",
    "lte",
    "gt",
    "gte",
    "neq",
    "fieldref",
    "expand",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
];

/// Every modifier [`parse_key`] accepts, for error messages.
const SUPPORTED: &str = "contains, startswith, endswith, all, re (with i, m, s), cased, exists";

/// Splits `field|mod|mod` into the field name (empty for keywords) and the
/// meaning of its modifiers.
pub(crate) fn parse_key(key: &str) -> Result<(&str, Modifiers), ModifierError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default();
    let mut kind: Option<(MatchKind, &str)> = None;
    let mut flags = RegexFlags::default();
    let mut flag_offset = None;
    let mut all = false;
    let mut cased = false;
    let mut offset = field.len();
    let mut seen: Vec<&str> = Vec::new();
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
        let new_kind = match name {
            "contains" => Some(MatchKind::Contains),
            "startswith" => Some(MatchKind::StartsWith),
            "endswith" => Some(MatchKind::EndsWith),
            "re" => Some(MatchKind::Regex(RegexFlags::default())),
            "exists" => Some(MatchKind::Exists),
            "all" => {
                all = true;
                None
            }
            "cased" => {
                cased = true;
                None
            }
            "i" => {
                flags.ignore_case = true;
                flag_offset.get_or_insert(offset);
                None
            }
            "m" => {
                flags.multi_line = true;
                flag_offset.get_or_insert(offset);
                None
            }
            "s" => {
                flags.dot_all = true;
                flag_offset.get_or_insert(offset);
                None
            }
            _ if NOT_YET.contains(&name) => {
                return Err(err(format!(
                    "modifier `{name}` is not supported yet (supported: {SUPPORTED})"
                )));
            }
            _ => {
                return Err(err(format!(
                    "unknown modifier `{name}` (supported: {SUPPORTED})"
                )));
            }
        };
        if let Some(k) = new_kind {
            if let Some((_, prev)) = kind {
                return Err(err(format!(
                    "modifiers `{prev}` and `{name}` cannot be combined"
                )));
            }
            kind = Some((k, name));
        }
        offset += name.len();
    }
    let mut kind = kind.map_or(MatchKind::Equals, |(k, _)| k);
    match &mut kind {
        MatchKind::Regex(f) => *f = flags,
        _ if flag_offset.is_some() => {
            return Err(ModifierError {
                offset: flag_offset.unwrap_or_default(),
                message: "modifiers `i`, `m` and `s` only apply to `re`".into(),
            });
        }
        MatchKind::Exists if all || cased => {
            return Err(ModifierError {
                offset: field.len() + 1,
                message: "`exists` cannot be combined with other modifiers".into(),
            });
        }
        _ => {}
    }
    Ok((field, Modifiers { kind, all, cased }))
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
        let e = err("a|contains|base64offset");
        assert_eq!(e.offset, 11);
        assert!(e.message.contains("not supported yet"), "{}", e.message);
        assert!(
            err("a|contains|startswith")
                .message
                .contains("cannot be combined")
        );
        assert!(err("a|contains|i").message.contains("only apply to `re`"));
        assert!(err("a|exists|all").message.contains("exists"));
        assert!(err("a||contains").message.contains("empty modifier"));
        assert!(err("a|all|all").message.contains("repeated"));
    }
}
