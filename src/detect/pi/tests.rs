//! End-to-end checks of the scanner through its public API: where values
//! are found, what is not found, and what findings contain.

use super::*;
use crate::event::{Event, Origin, Value};
use crate::parse::Format;

fn scanner() -> PiScanner {
    PiScanner::new(&PiConfig::new(b"test-key".to_vec()))
}

fn scan(field: &'static str, value: &str) -> Vec<PiFinding> {
    let s = scanner();
    let mut scratch = s.new_scratch();
    let mut out = Vec::new();
    s.scan_value(field, value, &mut scratch, &mut out);
    out
}

fn cats(field: &'static str, value: &str) -> Vec<&'static str> {
    scan(field, value).iter().map(|f| f.category).collect()
}

#[track_caller]
fn found(field: &'static str, value: &str, cat: &str) {
    let got = cats(field, value);
    assert!(
        got.contains(&cat),
        "{field} {value:?}: expected {cat}, got {got:?}"
    );
}

#[track_caller]
fn nothing(field: &'static str, value: &str) {
    let got = scan(field, value);
    assert!(
        got.is_empty(),
        "{field} {value:?}: expected nothing, got {got:?}"
    );
}

#[test]
fn categories_round_trip() {
    for c in Category::ALL {
        assert_eq!(Category::from_name(c.name()), Some(*c));
        assert_eq!(c.name().parse::<Category>(), Ok(*c));
    }
    assert_eq!(Category::ALL.len(), 16);
    assert!("emails".parse::<Category>().is_err());
}

#[test]
fn scanner_is_send_sync_and_debug_hides_the_key() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PiScanner>();
    let cfg = PiConfig::new(b"super-secret-key".to_vec());
    assert!(!format!("{cfg:?}").contains("super-secret-key"));
    assert!(!format!("{:?}", PiScanner::new(&cfg)).contains("super-secret-key"));
}

#[test]
fn email_everywhere() {
    found("url.path", "/users/jane.doe@example.com/profile", "email");
    found("url.query", "email=jane.doe%40example.com", "email");
    found("url.query", "email=jane.doe%2540example.com", "email");
    found("url.query", "u=%22jane.doe%40example.com%22", "email");
    found("db.doc_id", "user:jane.doe@example.com", "email");
    found(
        "http.request.referrer",
        "https://app.example.org/invite?to=jane%40example.com",
        "email",
    );
    found("url.query", "q=amFuZS5kb2VAZXhhbXBsZS5jb20", "email");
    nothing("url.path", "/static/logo@2x.png");
    nothing("url.path", "/npm/lodash@4.17.21/lodash.min.js");
}

#[test]
fn key_is_named_only_for_query_values() {
    let f = scan("url.query", "page=2&contact=jane%40example.com");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].key.as_deref(), Some("contact"));
    assert_eq!(f[0].field, "url.query");
    let f = scan("url.query", "jane%40example.com=1");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].key, None, "a key that is itself PI is not named");
    let f = scan("url.path", "/u/jane@example.com");
    assert_eq!(f[0].key, None);
}

#[test]
fn cards() {
    found("url.path", "/pay/4111111111111111", "credit_card");
    found("url.query", "cc=4111-1111-1111-1111", "credit_card");
    found("url.query", "cc=4111+1111+1111+1111", "credit_card");
    found("db.doc_id", "order_4111111111111111", "credit_card");
    found("url.query", "n=378282246310005", "credit_card");
    nothing("url.path", "/orders/4111111111111112");
    nothing("url.query", "ts=1700000000000");
    nothing("url.query", "id=1700000000000000");
}

#[test]
fn phones() {
    found("url.query", "phone=%2B14155550132", "phone");
    found("url.query", "phone=+14155550132", "phone");
    found("url.query", "to=%2B44%2020%207123%204567", "phone");
    found("url.path", "/call/(415) 555-0132", "phone");
    found("url.query", "n=030%2F1234567", "phone");
    found("url.query", "n=06.12.34.56.78", "phone");
    found("url.query", "n=090-1234-5678", "phone");
    found("url.query", "msisdn=4155550132", "phone");
    found("url.path", "/phone/4155550132", "phone");
    nothing("url.query", "n=4155550132");
    nothing("url.query", "d=01.02.2024");
    nothing("url.query", "isbn=0-306-40615-2");
}

#[test]
fn national_ids() {
    found("url.query", "s=078-05-1123", "us_ssn");
    found("url.query", "ssn=078051123", "us_ssn");
    found("db.doc_id", "ssn:078051123", "us_ssn");
    nothing("url.query", "n=078051123");
    nothing("url.query", "s=666-05-1123");
    found("url.path", "/kyc/3123-4567-8909", "in_aadhaar");
    nothing("url.path", "/kyc/1234-5678-9012");
    found("url.path", "/pan/ABCPD1234Z", "in_pan");
    found("url.query", "nino=AB+12+34+56+C", "uk_nino");
    found("url.query", "iban=DE89+3704+0044+0532+0130+00", "iban");
    found("url.path", "/accounts/GB82WEST12345698765432", "iban");
}

#[test]
fn ip_addresses_and_versions() {
    found("url.query", "host=10.20.30.40", "ip_address");
    found("url.path", "/proxy/192.168.1.20:8080/x", "ip_address");
    found("url.query", "peer=2001%3Adb8%3A%3A1", "ip_address");
    found(
        "http.request.referrer",
        "http://[2001:db8::1]/admin",
        "ip_address",
    );
    nothing("url.path", "/pkg/v1.2.3.4/");
    nothing("url.path", "/pkg/1.2.3.4/");
    nothing("url.query", "version=10.2.3.4");
    nothing("url.path", "/releases/10.2.3.4");
    nothing("url.path", "/dist/app-10.2.3.4.tar.gz");
    nothing("url.query", "oid=1.3.6.1.4.1.311");
    nothing("url.query", "t=12:34:56");
    nothing("url.query", "mac=aa:bb:cc:dd:ee:ff");
}

#[test]
fn secrets() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    found("url.query", &format!("id_token={jwt}"), "secret");
    found("url.path", &format!("/cb/{jwt}"), "secret");
    found("url.query", "k=AKIAIOSFODNN7EXAMPLE", "secret");
    found("url.query", "password=hunter2", "secret");
    found("url.query", "access_token=ya29a0ARrdaM9x", "secret");
    found(
        "http.request.referrer",
        "https://bob:s3cr3t@example.com/",
        "secret",
    );
    found(
        "process.command_line",
        "mysql --password hunter2 -h db",
        "secret",
    );
    found(
        "process.command_line",
        "curl https://api.example.com/?api_key=Zx81mQpLk2",
        "secret",
    );
    nothing("url.query", "password=");
    nothing("url.query", "password=%2A%2A%2A");
    nothing("url.query", "auth=sso");
    nothing("url.query", "pageToken=CAoQAA");
    let f = scan("url.query", "password=hunter2");
    assert_eq!(f[0].masked, "********");
}

#[test]
fn key_context_categories() {
    found("url.query", "dob=1985-03-14", "date_of_birth");
    found("url.query", "birthdate=14%2F03%2F1985", "date_of_birth");
    nothing("url.query", "dob=unknown");
    found("url.query", "first_name=Jane&last_name=Doe", "person_name");
    found("url.query", "customerName=Jane+Doe", "person_name");
    nothing("url.query", "name=widget");
    nothing("url.query", "username=jdoe");
    found("url.query", "lat=40.7128&lng=-74.0060", "geo");
    found("url.query", "ll=40.7128%2C-74.0060", "geo");
    nothing("url.query", "lat=0");
    found("url.query", "national_id=12345678Z", "national_id");
    found("url.query", "passport_no=C01X00T47", "passport");
}

#[test]
fn special_category_words() {
    found("url.path", "/patients/123/diagnosis", "special_category");
    found("url.query", "religion=catholic", "special_category");
    found("url.query", "sexual_orientation=bi", "special_category");
    found(
        "file.path",
        "/data/exports/genetic/results.csv",
        "special_category",
    );
    nothing("url.path", "/healthz");
    nothing("url.path", "/health");
    nothing("url.path", "/_up");
    nothing("url.path", "/api/health/ready");
    nothing("url.path", "/diagnostics/heap");
    let f = scan("url.path", "/patients/123/diagnosis");
    assert_eq!(f.len(), 1, "one special-category finding per path: {f:?}");
}

#[test]
fn decoys_are_not_found() {
    for (field, v) in [
        (
            "url.path",
            "/api/v1/users/123e4567-e89b-12d3-a456-426614174000",
        ),
        (
            "url.path",
            "/api/v1/objects/00000000-0000-4000-8000-426614174000",
        ),
        (
            "url.path",
            "/blobs/da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "url.path",
            "/blobs/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        ("url.query", "since=2024-01-15T10:30:00Z"),
        ("url.query", "since=2024-01-15+10:30:00"),
        ("url.query", "isbn=978-3-16-148410-0"),
        ("url.query", "isbn=9783161484100"),
        ("url.query", "order=ORD-2024-000123"),
        ("url.query", "ts=1705314600000"),
        ("url.query", "v=1.2.3.4"),
        ("url.path", "/_up"),
        ("url.query", "page=2&sort=desc&limit=50"),
        ("db.doc_id", "_design/app"),
    ] {
        nothing(field, v);
    }
}

#[test]
fn duplicates_are_reported_once_per_field() {
    let f = scan("url.query", "a=jane%40example.com&b=JANE%40example.com");
    assert_eq!(f.len(), 1, "{f:?}");
    let f = scan("db.doc_id", "user:4111111111111111:4111-1111-1111-1111");
    assert_eq!(f.len(), 1, "{f:?}");
}

#[test]
fn fingerprints_are_keyed_and_normalized() {
    let a = scan("url.query", "c=4111+1111+1111+1111");
    let b = scan("url.path", "/c/4111-1111-1111-1111");
    assert_eq!(a[0].fingerprint, b[0].fingerprint);
    assert!(a[0].fingerprint.starts_with("hmac-sha256:"));
    assert_eq!(a[0].fingerprint.len(), "hmac-sha256:".len() + 16);
    let other = PiScanner::new(&PiConfig::new(b"other-key".to_vec()));
    let mut scratch = other.new_scratch();
    let mut c = Vec::new();
    other.scan_value("url.query", "c=4111111111111111", &mut scratch, &mut c);
    assert_ne!(a[0].fingerprint, c[0].fingerprint);
}

#[test]
fn reveal_adds_the_value_but_debug_hides_it() {
    let mut cfg = PiConfig::new(b"k".to_vec());
    cfg.reveal = true;
    let s = PiScanner::new(&cfg);
    let mut scratch = s.new_scratch();
    let mut out = Vec::new();
    s.scan_value(
        "url.query",
        "email=jane%40example.com",
        &mut scratch,
        &mut out,
    );
    assert_eq!(out[0].value.as_deref(), Some("jane@example.com"));
    assert!(!format!("{:?}", out[0]).contains("jane"));
    let json = serde_json::to_string(&out[0]).unwrap();
    assert!(json.contains("\"value\":\"jane@example.com\""));
    let hidden = scan("url.query", "email=jane%40example.com");
    assert!(!serde_json::to_string(&hidden[0]).unwrap().contains("value"));
}

#[test]
fn disabled_categories_are_not_reported() {
    let mut cfg = PiConfig::new(b"k".to_vec());
    cfg.enabled = vec![Category::Email];
    let s = PiScanner::new(&cfg);
    let mut scratch = s.new_scratch();
    let mut out = Vec::new();
    s.scan_value(
        "url.query",
        "e=a.b%40example.com&c=4111111111111111",
        &mut scratch,
        &mut out,
    );
    assert_eq!(
        out.iter().map(|f| f.category).collect::<Vec<_>>(),
        ["email"]
    );
}

#[test]
fn scan_event_reads_every_pi_field() {
    let mut ev = Event::new(Format::Combined, Origin::default());
    ev.set_str(Field::UrlPath, "/db/user:jane@example.com");
    ev.set_str(Field::UrlQuery, "cc=4111111111111111");
    ev.set_str(Field::DbDocId, "user:jane@example.com");
    ev.set_str(
        Field::HttpRequestReferrer,
        "https://x.example/?ssn=078-05-1123",
    );
    ev.set_str(Field::ProcessCommandLine, "psql --password=hunter2");
    ev.set_str(Field::FilePath, "/home/jane/records/diagnosis.txt");
    ev.set(Field::SourceIp, Value::str("203.0.113.9"));
    let s = scanner();
    let mut scratch = s.new_scratch();
    let mut out = Vec::new();
    s.scan_event(&ev, &mut scratch, &mut out);
    let got: Vec<(&str, &str)> = out.iter().map(|f| (f.field, f.category)).collect();
    for want in [
        ("url.path", "email"),
        ("url.query", "credit_card"),
        ("db.doc_id", "email"),
        ("http.request.referrer", "us_ssn"),
        ("process.command_line", "secret"),
        ("file.path", "special_category"),
    ] {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
    assert!(
        !got.iter().any(|(_, c)| *c == "ip_address"),
        "source.ip is not scanned"
    );
}

#[test]
fn keyed_values_in_base64_keep_their_key() {
    // Found by tests/pi_accuracy.rs: key context used to be lost once a
    // value was base64-decoded, and short values were never decoded.
    found("url.query", "dob=MjAwMi0xMS0wNA", "date_of_birth");
    found("url.query", "birthdate=MTMuMDcuMTk0MA", "date_of_birth");
    found("url.query", "surname=T2thZm9y", "person_name");
    found("url.query", "first_name=Q2hsb2U", "person_name");
    found("url.query", "fullname=U29maWEgTW9yZWF1", "person_name");
    found("url.query", "mobile=NjE3NTEyNDIwNg", "phone");
    found("url.query", "passport=TTEyNTYxNTcz", "passport");
    found("url.query", "dni=NTgxNjkwMDFU", "national_id");
    // Raw values the key accepts are not read as base64.
    let f = scan("url.query", "surname=Fischer");
    assert_eq!(f.len(), 1, "{f:?}");
    // Without a key, short base64 stays undecoded.
    nothing("url.query", "q=MjAwMi0xMS0wNA");
}

#[test]
fn pieces_of_four_grouped_numbers_are_not_values() {
    // Found by tests/pi_accuracy.rs: the tail of an invalid IBAN or
    // Aadhaar printed in groups of four passed Luhn or a phone layout.
    for v in [
        "ref=DE43+8972+6270+5590+5274+94",
        "ref=IT91+I774+0212+8122+2210+7076+068",
        "ref=4985+0737+1760",
        "account=CH62+5254+6287+1210+2023+0",
        "ref=SE41 3660 6641 6877 0771 8573",
        "ref=GB96+MIDL+0601+8070+3206+33",
    ] {
        nothing("url.query", v);
    }
    // Whole grouped values are still found.
    found("url.query", "card=4111+1111+1111+1111", "credit_card");
    found("url.query", "q=my card 4111 1111 1111 1111", "credit_card");
    found("url.query", "iban=DE89+3704+0044+0532+0130+00", "iban");
    found("url.query", "tel=0171 2345678", "phone");
}

#[test]
fn document_ids_are_scanned_once_and_reported_in_both_fields() {
    use crate::event::Field;
    let s = scanner();
    let mut scratch = s.new_scratch();
    let mut ev = Event::new(Format::Combined, Origin::default());
    ev.set(
        Field::UrlPath,
        Value::Str("/acme_users/user:jane@example.com".into()),
    );
    ev.set(Field::DbDocId, Value::Str("user:jane@example.com".into()));
    let mut out = Vec::new();
    s.scan_event(&ev, &mut scratch, &mut out);
    let fields: Vec<(&str, &str)> = out.iter().map(|f| (f.category, f.field)).collect();
    assert!(fields.contains(&("email", "db.doc_id")), "{fields:?}");
    assert!(fields.contains(&("email", "url.path")), "{fields:?}");
    assert_eq!(out.len(), 2, "{out:?}");
}

#[test]
fn base64_of_binary_is_not_decoded() {
    // CouchDB sequences are base64 of binary data: the first character
    // already rules out text.
    assert!(!decode::may_decode_to_text(b"g1AAAAI0SEX3v2Ez"));
    assert!(decode::may_decode_to_text(b"amFuZUBleGFtcGxl"));
    assert!(decode::may_decode_to_text(b"w6lsb2RpZUBl"));
    assert!(!decode::may_decode_to_text(b"888519-g1AAAA"));
    nothing(
        "url.query",
        "since=888519-g1AAAAI0SEX3v2EzMkxuyPxpl8pisgTT-sh3JTG8hoYNiNaF0gF7",
    );
    found("url.query", "x=amFuZUBleGFtcGxlLmNvbQ", "email");
    found("url.query", "x=w6lsb2RpZUBleGFtcGxlLmZy", "email");
}

#[test]
fn word_detectors_need_a_letter_before_a_digit() {
    use super::detectors::letter_then_digit as ltd;
    assert!(ltd(b"DE89370400440532013000"));
    assert!(ltd(b"ab 12 34 56 c"));
    assert!(ltd(b"ABCPD1234Z"));
    assert!(!ltd(b"cust_097246"));
    assert!(!ltd(b"order:2026-060971"));
    found("db.doc_id", "kyc:ab123456c", "uk_nino");
    found("url.query", "iban=gb82+west+1234+5698+7654+32", "iban");
}
