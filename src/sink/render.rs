//! Alerts as text that is safe to show: one JSON line per alert, with
//! every character that could drive a terminal or confuse a log viewer
//! escaped.
//!
//! Alert fields (messages, entities, paths) can carry bytes from log lines,
//! which an attacker controls. serde_json already escapes C0 controls (ESC
//! included, so no raw ANSI sequence survives); this adds DEL, the C1
//! controls (U+0080–U+009F: U+009B is a one-character CSI on many
//! terminals), the Unicode line and paragraph separators and the bidi
//! overrides ("Trojan Source"). They become `\uXXXX` escapes, so the JSON
//! still decodes to the same value.

use crate::alert::Alert;
use std::fmt::Write;

/// Whether `c` must not appear raw in output meant for terminals and syslog.
pub fn is_unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{200e}' | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}')
}

/// Escapes unsafe characters of serialized JSON as `\uXXXX`. Only valid
/// for JSON text, where such characters can only occur inside strings.
pub fn escape_json(json: String) -> String {
    if !json.chars().any(is_unsafe_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// An alert as one safe JSON line (SPEC §6), without the newline.
pub fn alert_line(alert: &Alert) -> String {
    escape_json(alert.to_json_line())
}

/// Plain text with unsafe characters replaced by `\u{..}` escapes (for
/// non-JSON fields such as syslog structured data).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_and_bidi_controls_are_escaped_and_json_still_decodes() {
        let hostile = "x\u{1b}[2J\u{9b}31m\u{7f}\u{202e}gpj.exe\u{2028}end";
        let json = serde_json::to_string(&serde_json::json!({ "m": hostile })).unwrap();
        let safe = escape_json(json);
        assert!(!safe.chars().any(is_unsafe_char), "{safe}");
        assert!(
            safe.contains("\\u009b") && safe.contains("\\u202e"),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back["m"], hostile);
        assert_eq!(escape_text("a\u{1b}b"), "a\\u{1b}b");
        assert_eq!(escape_json("{\"a\":1}".into()), "{\"a\":1}");
    }
}
