//! Properties of the PI scanner over arbitrary input: it never panics,
//! always terminates, and never shows more than a quarter of a value.

mod common;

use common::revealing_scanner;
use picket::detect::pi::{PiFinding, PiScanner};
use proptest::prelude::*;
use std::sync::{Arc, mpsc};
use std::time::Duration;

const FIELDS: &[&str] = &[
    "url.path",
    "url.query",
    "db.doc_id",
    "http.request.referrer",
    "process.command_line",
    "file.path",
    "user_agent.original",
];

/// Scans `text` in every field on another thread; fails instead of hanging
/// if the scanner does not terminate.
fn scan_all(s: &Arc<PiScanner>, text: String) -> Vec<PiFinding> {
    let (tx, rx) = mpsc::channel();
    let s = Arc::clone(s);
    std::thread::spawn(move || {
        let mut scratch = s.new_scratch();
        let mut out = Vec::new();
        for f in FIELDS {
            s.scan_value(f, &text, &mut scratch, &mut out);
        }
        let _ = tx.send(out);
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("scanner panicked or did not terminate")
}

fn is_sep(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '.' | '/' | ':' | '(' | ')' | '@' | '+' | ',' | '_'
    )
}

/// The 25% rule for one finding, with the unit its category uses:
/// credentials count every character, other values non-separators.
fn within_quarter(f: &PiFinding) -> bool {
    let v = f.value.as_deref().unwrap_or_default();
    let secret = f.category == "secret";
    let counts = |c: char| secret || !is_sep(c);
    let total = v.chars().filter(|&c| counts(c)).count();
    let shown = f
        .masked
        .chars()
        .filter(|&c| c != '*' && c != '…' && counts(c))
        .count();
    shown <= total / 4
}

/// Text dense in the bytes the detectors look at.
fn pi_dense() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[0-9]{1,6}",
            2 => "[ .:/()+%=&;_@-]",
            1 => "[A-Za-z]{1,5}",
            1 => Just("%40".to_string()),
            1 => Just("%2B".to_string()),
            1 => Just("%25".to_string()),
            1 => Just("eyJ".to_string()),
            1 => Just("AKIA".to_string()),
            1 => Just("ghp_".to_string()),
            1 => Just("::".to_string()),
            1 => Just("DE89".to_string()),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,300}") {
        let s = Arc::new(revealing_scanner());
        for f in scan_all(&s, text) {
            prop_assert!(within_quarter(&f), "{:?}", f);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let s = Arc::new(revealing_scanner());
        scan_all(&s, String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn pi_dense_text_terminates_and_masks(text in pi_dense()) {
        let s = Arc::new(revealing_scanner());
        for f in scan_all(&s, text) {
            prop_assert!(within_quarter(&f), "{:?}", f);
            prop_assert!(f.fingerprint.starts_with("hmac-sha256:") && f.fingerprint.len() == 28);
        }
    }
}
