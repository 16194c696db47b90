//! Masked previews (SPEC §4): at most a quarter of a value's characters are
//! shown. Separators (`@`, `.`, space, `-`, …) stay visible so the preview
//! keeps the value's shape, and do not count; the budget is a quarter of the
//! other characters, rounded down, so values shorter than 4 characters show
//! nothing at all.

/// How a category's values are previewed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum MaskStyle {
    /// `j***@e******.com`: first character of the local part and of the
    /// domain, then the TLD if the budget still covers all of it.
    Email,
    /// Show up to `prefix` leading and `suffix` trailing non-separator
    /// characters (cards: last 4; IBAN: country code and last 2), trimmed to
    /// the budget, suffix first.
    Keep {
        /// Leading characters wanted.
        prefix: usize,
        /// Trailing characters wanted.
        suffix: usize,
    },
    /// Credentials: no separator is spared; only a well-known type prefix
    /// (`AKIA`, `eyJ`, `ghp_`) may show, then a fixed run of stars so the
    /// length does not leak either.
    Opaque {
        /// Leading characters wanted (0 for passwords).
        prefix: usize,
    },
}

/// Characters shown as they are in [`MaskStyle::Email`] and
/// [`MaskStyle::Keep`] previews, and not counted against the budget.
pub(crate) fn is_sep(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | '/' | ':' | '(' | ')' | '@' | '+' | ',' | '_'
    )
}

/// The mark that replaces the middle of an over-long preview.
pub(crate) const ELLIPSIS: char = '…';

/// Longest preview, in characters: JWTs and long query values would
/// otherwise turn into hundreds of stars.
const MAX_PREVIEW: usize = 48;

/// How many non-separator characters `value` has, and thus its budget.
pub(crate) fn budget(value: &str, style: MaskStyle) -> usize {
    let counted = match style {
        MaskStyle::Opaque { .. } => value.chars().count(),
        _ => value.chars().filter(|&c| !is_sep(c)).count(),
    };
    counted / 4
}

/// The preview of `value`.
pub(crate) fn mask(value: &str, style: MaskStyle) -> String {
    let budget = budget(value, style);
    let out = match style {
        MaskStyle::Opaque { prefix } => {
            let shown = prefix.min(budget);
            let mut s: String = value.chars().take(shown).collect();
            s.push_str("********");
            s
        }
        MaskStyle::Keep { prefix, suffix } => keep(value, prefix, suffix, budget),
        MaskStyle::Email => email(value, budget),
    };
    shorten(out)
}

fn keep(value: &str, mut prefix: usize, mut suffix: usize, budget: usize) -> String {
    while prefix + suffix > budget {
        if suffix > 0 {
            suffix -= 1;
        } else {
            prefix -= 1;
        }
    }
    let n = value.chars().filter(|&c| !is_sep(c)).count();
    let mut k = 0;
    value
        .chars()
        .map(|c| {
            if is_sep(c) {
                return c;
            }
            let shown = k < prefix || k >= n - suffix;
            k += 1;
            if shown { c } else { '*' }
        })
        .collect()
}

fn email(value: &str, budget: usize) -> String {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return keep(value, 1, 0, budget);
    };
    let counted = |s: &str| s.chars().filter(|&c| !is_sep(c)).count();
    let tld_len = domain.rsplit('.').next().map_or(0, |t| t.chars().count());
    let first_label = domain.split(['.', '-']).next().unwrap_or("");
    // A component is only hinted at when it has more than one character,
    // so the preview never shows a whole local part or label.
    let mut left = budget;
    let show_local = left >= 1 && counted(local) >= 2;
    left -= usize::from(show_local);
    let show_domain = left >= 1 && counted(first_label) >= 2;
    left -= usize::from(show_domain);
    let show_tld = domain.contains('.') && tld_len <= left;
    let mut out = String::with_capacity(value.len());
    out.push_str(&keep(
        local,
        usize::from(show_local),
        0,
        usize::from(show_local),
    ));
    out.push('@');
    let tld_at = if show_tld {
        domain.rfind('.').unwrap_or(domain.len())
    } else {
        domain.len()
    };
    let mut first = show_domain;
    for (i, c) in domain.char_indices() {
        if is_sep(c) || i > tld_at {
            out.push(c);
        } else if first {
            out.push(c);
            first = false;
        } else {
            out.push('*');
        }
    }
    out
}

/// Cuts the middle out of previews longer than [`MAX_PREVIEW`] characters.
/// Only stars and separators live in the middle, so nothing revealed is
/// lost and nothing new is shown.
fn shorten(s: String) -> String {
    let n = s.chars().count();
    if n <= MAX_PREVIEW {
        return s;
    }
    let head: String = s.chars().take(MAX_PREVIEW - 9).collect();
    let tail: String = s.chars().skip(n - 8).collect();
    format!("{head}{ELLIPSIS}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Characters of `masked` that reveal something: not stars, not the
    /// ellipsis, not separators (for styles that keep them).
    pub(crate) fn revealed(masked: &str, style: MaskStyle) -> usize {
        masked
            .chars()
            .filter(|&c| c != '*' && c != ELLIPSIS)
            .filter(|&c| matches!(style, MaskStyle::Opaque { .. }) || !is_sep(c))
            .count()
    }

    #[test]
    fn spec_examples() {
        assert_eq!(
            mask(
                "4242424242424242",
                MaskStyle::Keep {
                    prefix: 0,
                    suffix: 4
                }
            ),
            "************4242"
        );
        assert_eq!(
            mask(
                "4242 4242 4242 4242",
                MaskStyle::Keep {
                    prefix: 0,
                    suffix: 4
                }
            ),
            "**** **** **** 4242"
        );
        // 14 counted characters: budget 3, the TLD does not fit.
        assert_eq!(
            mask("jane@example.com", MaskStyle::Email),
            "j***@e******.***"
        );
        // 23 counted characters: budget 5 covers j, e and "com".
        assert_eq!(
            mask("jane.smith@example-corp.com", MaskStyle::Email),
            "j***.*****@e******-****.com"
        );
    }

    #[test]
    fn short_values_show_nothing() {
        assert_eq!(
            mask(
                "abc",
                MaskStyle::Keep {
                    prefix: 1,
                    suffix: 1
                }
            ),
            "***"
        );
        assert_eq!(mask("a@b.io", MaskStyle::Email), "*@*.**");
        assert_eq!(mask("al@bo.io", MaskStyle::Email), "a*@**.**");
        assert_eq!(mask("hunter2", MaskStyle::Opaque { prefix: 0 }), "********");
    }

    #[test]
    fn opaque_hides_length_and_separators() {
        let m = mask("AKIAIOSFODNN7EXAMPLE", MaskStyle::Opaque { prefix: 4 });
        assert_eq!(m, "AKIA********");
        assert_eq!(
            mask("p@ss-w.rd!", MaskStyle::Opaque { prefix: 0 }),
            "********"
        );
    }

    #[test]
    fn budget_holds_for_sample_values() {
        let styles = [
            MaskStyle::Email,
            MaskStyle::Keep {
                prefix: 2,
                suffix: 4,
            },
            MaskStyle::Opaque { prefix: 4 },
        ];
        for v in [
            "jane@example.com",
            "DE89 3704 0044 0532 0130 00",
            "+1 415 555 0132",
            "x",
            "",
        ] {
            for s in styles {
                let m = mask(v, s);
                assert!(revealed(&m, s) <= budget(v, s), "{v:?} {s:?} -> {m:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn never_more_than_a_quarter(
            v in "\\PC{0,80}",
            prefix in 0usize..8,
            suffix in 0usize..8,
        ) {
            for s in [MaskStyle::Email, MaskStyle::Keep { prefix, suffix }, MaskStyle::Opaque { prefix }] {
                let m = mask(&v, s);
                proptest::prop_assert!(revealed(&m, s) <= budget(&v, s), "{:?} {:?} -> {:?}", v, s, m);
            }
        }

        #[test]
        fn emails_never_more_than_a_quarter(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9-]{1,12}(\\.[a-z]{2,6}){1,3}") {
            let v = format!("{local}@{domain}");
            let m = mask(&v, MaskStyle::Email);
            proptest::prop_assert!(revealed(&m, MaskStyle::Email) <= budget(&v, MaskStyle::Email), "{} -> {}", v, m);
        }
    }

    #[test]
    fn long_previews_are_shortened() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.".repeat(10);
        let m = mask(&jwt, MaskStyle::Opaque { prefix: 3 });
        assert!(m.chars().count() <= MAX_PREVIEW);
        let long = "a".repeat(200);
        let m = mask(
            &long,
            MaskStyle::Keep {
                prefix: 1,
                suffix: 1,
            },
        );
        assert_eq!(m.chars().count(), MAX_PREVIEW);
        assert!(m.starts_with('a') && m.ends_with('a'));
    }
}
