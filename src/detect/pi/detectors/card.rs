//! Payment cards: 13–19 digits, plain or grouped by one separator (space or
//! `-`) in the layouts issuers print, with an issuer prefix and Luhn.

use super::numeric::Win;
use crate::detect::pi::validate::{all_same, card_issuer_ok, luhn};

/// Whether the group lengths are a printed card layout: fours with a
/// shorter last group (`4-4-4-4`, `4-4-4-4-3`, `4-4-4-1`), Amex `4-6-5`,
/// Diners `4-6-4`.
fn layout_ok(w: &Win<'_>) -> bool {
    let n = w.groups.len();
    if n == 1 {
        return true;
    }
    let fours = (0..n - 1).all(|i| w.glen(i) == 4) && (1..=4).contains(&w.glen(n - 1));
    fours || w.shape(&[4, 6, 5]) || w.shape(&[4, 6, 4])
}

/// Whether a window is a card number.
pub(crate) fn is_card(w: &Win<'_>) -> bool {
    if w.plus || w.paren != 0 || !(13..=19).contains(&w.nd) {
        return false;
    }
    if w.groups.len() > 1 && !matches!(w.uniform_sep(), Some(b' ' | b'-')) {
        return false;
    }
    let d = w.d();
    layout_ok(w) && !all_same(d) && card_issuer_ok(d) && luhn(d)
}
