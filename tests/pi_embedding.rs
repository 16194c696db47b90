//! Planted values for every SPEC §4 category, found wherever a URL or a
//! document id can carry them; decoys that look like PI, found nowhere; and
//! findings that never repeat what they found.

mod common;

use common::{b64url, embeddings, holds, pct, revealing_scanner, scan};
use picket::detect::pi::{PiConfig, PiFinding, PiScanner};

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

/// Values found by their shape alone, with their category.
fn shaped() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&str, String)> = [
        ("email", "jane.doe@example.com"),
        ("email", "o'brien+news@mail.example.co.uk"),
        ("email", "user@xn--80ak6aa92e.com"),
        ("phone", "+14155550132"),
        ("phone", "+1 415 555 0132"),
        ("phone", "(415) 555-0132"),
        ("phone", "415.555.0132"),
        ("phone", "+44 20 7123 4567"),
        ("phone", "+44 (0)20 7123 4567"),
        ("phone", "020 7123 4567"),
        ("phone", "07700 900123"),
        ("phone", "+91 98765 43210"),
        ("phone", "98765 43210"),
        ("phone", "+49 30 1234567"),
        ("phone", "030/1234567"),
        ("phone", "0151 12345678"),
        ("phone", "+33 1 42 68 53 00"),
        ("phone", "06.12.34.56.78"),
        ("phone", "+34 612 34 56 78"),
        ("phone", "912 345 678"),
        ("phone", "+39 06 678 4343"),
        ("phone", "347 123 4567"),
        ("phone", "+31 20 123 4567"),
        ("phone", "020-123 4567"),
        ("phone", "+81 90-1234-5678"),
        ("phone", "03-1234-5678"),
        ("phone", "0049 30 1234567"),
        ("credit_card", "4111111111111111"),
        ("credit_card", "4111 1111 1111 1111"),
        ("credit_card", "5555-5555-5555-4444"),
        ("credit_card", "2223003122003222"),
        ("credit_card", "378282246310005"),
        ("credit_card", "3782 822463 10005"),
        ("credit_card", "6011000400000000"),
        ("credit_card", "3528000700000000"),
        ("credit_card", "30569309025904"),
        ("credit_card", "6200000000000005"),
        ("credit_card", "6759649826438453"),
        ("iban", "DE89370400440532013000"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("iban", "FR1420041010050500013M02606"),
        ("iban", "BR1800000000141455123924100C2"),
        ("iban", "GB82WEST12345698765432"),
        ("iban", "NL91ABNA0417164300"),
        ("iban", "ES9121000418450200051332"),
        ("iban", "IT60X0542811101000000123456"),
        ("us_ssn", "078-05-1123"),
        ("us_ssn", "219 09 9998"),
        ("in_aadhaar", "312345678909"),
        ("in_aadhaar", "3123 4567 8909"),
        ("in_aadhaar", "3998-7654-3211"),
        ("in_pan", "ABCPD1234Z"),
        ("uk_nino", "AB123456C"),
        ("uk_nino", "AB 12 34 56 C"),
        ("ip_address", "203.0.113.45"),
        ("ip_address", "10.20.30.40"),
        ("ip_address", "2001:db8::8a2e:370:7334"),
        ("ip_address", "fe80::1ff:fe23:4567:890a"),
        ("secret", JWT),
        ("secret", "AKIAIOSFODNN7EXAMPLE"),
        (
            "secret",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        ),
    ]
    .iter()
    .map(|&(c, v)| (c, v.to_string()))
    .collect();
    v.push(("secret", format!("ghp_{}", "a1B2c3D4e5F6".repeat(3))));
    v
}

/// Values found because a key names them: `(category, key, value)`.
const KEYED: &[(&str, &str, &str)] = &[
    ("phone", "phone", "13812345678"),
    ("phone", "msisdn", "4155550132"),
    ("us_ssn", "ssn", "078051123"),
    ("date_of_birth", "dob", "1985-03-14"),
    ("date_of_birth", "birthdate", "14/03/1985"),
    ("person_name", "first_name", "Jane"),
    ("person_name", "customer_name", "Jane Doe"),
    ("geo", "lat", "40.7128"),
    ("geo", "lng", "-74.0060"),
    ("geo", "latlng", "40.7128,-74.0060"),
    ("national_id", "national_id", "12345678Z"),
    ("national_id", "dni", "12345678Z"),
    ("passport", "passport", "C01X00T47"),
    ("passport", "passport_no", "123456789"),
    ("secret", "password", "Hunter2-Secret"),
    ("secret", "api_key", "Zx81mQpLk2aa"),
    ("secret", "token", "abc123XYZ789"),
    ("special_category", "religion", "catholic"),
    ("special_category", "diagnosis", "F32.1"),
    ("special_category", "ethnicity", "hispanic"),
];

/// Where a keyed value must be found: the query (raw, percent-encoded,
/// double-encoded, and the whole pair base64url-encoded), the path with the
/// key as the segment before, and a document id `key:value`.
fn keyed_embeddings(k: &str, v: &str) -> Vec<(&'static str, &'static str, String)> {
    splittable(
        v,
        vec![
            ("url.query", "query value", format!("page=2&{k}={v}")),
            ("url.query", "percent-encoded", format!("{k}={}", pct(v))),
            (
                "url.query",
                "double-encoded",
                format!("{k}={}", pct(&pct(v))),
            ),
            (
                "url.query",
                "base64url",
                format!("state={}", b64url(&format!("{k}={v}"))),
            ),
            ("url.path", "path segment", format!("/api/{k}/{v}")),
            ("db.doc_id", "doc id", format!("{k}:{v}")),
        ],
    )
}

/// A raw `/` separates path segments and id parts, so a value holding one
/// (`030/1234567`, `14/03/1985`) cannot sit raw in either; it is checked
/// in the query embeddings only.
fn splittable(
    v: &str,
    all: Vec<(&'static str, &'static str, String)>,
) -> Vec<(&'static str, &'static str, String)> {
    all.into_iter()
        .filter(|(_, how, _)| !(v.contains('/') && matches!(*how, "path segment" | "doc id")))
        .collect()
}

/// Look-alikes: none of them may produce any finding, wherever planted.
const DECOYS: &[&str] = &[
    "123e4567-e89b-12d3-a456-426614174000",
    "550e8400-e29b-41d4-a716-446655440000",
    "00000000-0000-4000-8000-312345678909",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "d41d8cd98f00b204e9800998ecf8427e",
    "4111111111111112",
    "5555555555554445",
    "1234567812345678",
    "4111 1111 1111 1112",
    "1.2.3.4",
    "v1.2.3.4",
    "2.0.0.1",
    "10.2.3.4-beta",
    "1.3.6.1.4.1",
    "1.3.6.1.4.1.311.21.8",
    "2.16.840.1.113883.3.51.60.2.5",
    "2024-01-15T10:30:00Z",
    "2024-01-15T10:30:00.123+01:00",
    "2024-01-15",
    "20240115T103000Z",
    "15.01.2024",
    "01/02/2024",
    "978-3-16-148410-0",
    "9783161484100",
    "0-306-40615-2",
    "0306406152",
    "ORD-2024-000123",
    "INV-20240115-0042",
    "PO-77812",
    "1705314600000",
    "1700000000000",
    "1705314600",
    "4.17.21",
    "1234.56",
    "12:34:56",
    "00:1A:2B:3C:4D:5E",
    "#ff00aa",
    "078051123",
    "4155550132",
    "666-05-1123",
    "078-00-1123",
    "123456789012",
    "AB123456E",
    "ABCND1234Z",
    "DE89370400440532013001",
    "logo@2x.png",
    "lodash@4.17.21",
    "healthz",
    "_up",
];

#[test]
fn shaped_values_are_found_everywhere() {
    let s = revealing_scanner();
    let mut misses = Vec::new();
    for (cat, v) in shaped() {
        for (field, how, embedded) in splittable(&v, embeddings(&v)) {
            if !holds(&scan(&s, field, &embedded), cat, &v) {
                misses.push(format!("{cat} {v:?} as {how}: {embedded:?}"));
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn keyed_values_are_found_everywhere() {
    let s = revealing_scanner();
    let mut misses = Vec::new();
    for &(cat, k, v) in KEYED {
        for (field, how, embedded) in keyed_embeddings(k, v) {
            let found = scan(&s, field, &embedded);
            // Art. 9 keys in paths and ids are reported through the word.
            let ok = holds(&found, cat, v) || (cat == "special_category" && holds(&found, cat, k));
            if !ok {
                misses.push(format!(
                    "{cat} {k}={v:?} as {how}: {embedded:?} -> {found:?}"
                ));
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn decoys_are_found_nowhere() {
    let s = revealing_scanner();
    let mut hits = Vec::new();
    for &d in DECOYS {
        for (field, how, embedded) in
            embeddings(d)
                .into_iter()
                .chain([("url.query", "keyed", format!("id={}", pct(d)))])
        {
            let found = scan(&s, field, &embedded);
            if !found.is_empty() {
                hits.push(format!(
                    "{d:?} as {how}: {:?}",
                    found.iter().map(|f| f.category).collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(hits.is_empty(), "{}", hits.join("\n"));
}

/// Non-separator characters, the unit of the 25% rule.
fn counted(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| {
            !matches!(
                c,
                ' ' | '-' | '.' | '/' | ':' | '(' | ')' | '@' | '+' | ',' | '_'
            )
        })
        .collect()
}

/// The longest run of `v`'s characters (separators included, counted
/// without them) that appears in `hay`.
fn longest_leak(v: &str, hay: &str) -> usize {
    let chars: Vec<char> = v.chars().collect();
    let mut best = 0;
    for i in 0..chars.len() {
        for j in i + 1..=chars.len() {
            let run: String = chars[i..j].iter().collect();
            if !hay.contains(&run) {
                break;
            }
            best = best.max(counted(&run).len());
        }
    }
    best
}

#[test]
fn findings_never_repeat_the_value() {
    let s = PiScanner::new(&PiConfig::new(b"leak-test-key".to_vec()));
    let planted = shaped()
        .into_iter()
        .map(|(c, v)| (c, None, v))
        .chain(KEYED.iter().map(|&(c, k, v)| (c, Some(k), v.to_string())));
    let mut leaks = Vec::new();
    let mut checked = 0;
    for (_, key, v) in planted {
        let embedded = match key {
            Some(k) => keyed_embeddings(k, &v),
            None => splittable(&v, embeddings(&v)),
        };
        for (field, how, text) in embedded {
            for f in scan(&s, field, &text) {
                checked += 1;
                let json = serde_json::to_string(&f).unwrap();
                let debug = format!("{f:?}");
                let PiFinding {
                    masked, key, value, ..
                } = &f;
                assert!(value.is_none());
                // The key is the parameter's name, not the value: it may
                // share letters with it (`ethnicity` / `hispanic`) but must
                // not hold it.
                let in_key = key.as_deref().is_some_and(|k| k.contains(v.as_str()));
                let limit = counted(&v).len() / 4;
                if json.contains(v.as_str())
                    || debug.contains(v.as_str())
                    || in_key
                    || longest_leak(&v, masked) > limit
                {
                    leaks.push(format!("{v:?} as {how}: {json}"));
                }
            }
        }
    }
    assert!(checked > 300, "only {checked} findings checked");
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}
