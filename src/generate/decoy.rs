//! PI look-alikes: values a naive pattern flags but a validating detector
//! must not report (the BASELINES grep had precision 0.34 on these).

use super::pi_values::{aadhaar_digits, group_4_4_4, iban_with};
use super::text::{push_iso_time, push_padded, push_u64};
use super::traffic::{Ctx, push_seq_doc_id};
use super::truth::{Encoding, PlantKind, Planted};
use super::valid;
use super::vocab::Db;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Decoy {
    Uuid,
    Sha1,
    Sha256,
    CardLike,
    Version,
    Oid,
    IsoTimestamp,
    Isbn,
    OrderNumber,
    EpochMillis,
    SsnInvalid,
    IbanInvalid,
    AadhaarInvalid,
}

impl Decoy {
    const fn as_str(self) -> &'static str {
        match self {
            Decoy::Uuid => "uuid",
            Decoy::Sha1 => "sha1",
            Decoy::Sha256 => "sha256",
            Decoy::CardLike => "card_like",
            Decoy::Version => "version",
            Decoy::Oid => "oid",
            Decoy::IsoTimestamp => "iso_timestamp",
            Decoy::Isbn => "isbn",
            Decoy::OrderNumber => "order_number",
            Decoy::EpochMillis => "epoch_millis",
            Decoy::SsnInvalid => "ssn_invalid",
            Decoy::IbanInvalid => "iban_invalid",
            Decoy::AadhaarInvalid => "aadhaar_invalid",
        }
    }
}

const DECOYS: &[(u32, Decoy)] = &[
    (14, Decoy::Uuid),
    (8, Decoy::Sha1),
    (8, Decoy::Sha256),
    (12, Decoy::CardLike),
    (10, Decoy::Version),
    (6, Decoy::Oid),
    (10, Decoy::IsoTimestamp),
    (6, Decoy::Isbn),
    (8, Decoy::OrderNumber),
    (10, Decoy::EpochMillis),
    (3, Decoy::SsnInvalid),
    (3, Decoy::IbanInvalid),
    (3, Decoy::AadhaarInvalid),
];

/// Where a decoy goes: a path (`before` + value + `after`) or a query value
/// after `key`.
enum Spot {
    Path(&'static str, &'static str),
    Query(&'static str, &'static str),
}

/// Turns the line being built into one that carries a look-alike, and
/// records it.
pub(super) fn plant(c: &mut Ctx<'_>, line: u64, out: &mut Vec<Planted>) {
    let kind = c.rng.weighted(DECOYS);
    let mut p = Planted::at(PlantKind::Decoy, kind.as_str(), line);
    let mut v = Vec::with_capacity(80);
    let spots: &[Spot] = match kind {
        Decoy::Uuid => {
            for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                if i > 0 {
                    v.push(b'-');
                }
                c.rng.hex(&mut v, n);
            }
            v[14] = b'4';
            v[19] = *c.rng.pick(b"89ab");
            &[
                Spot::Path("/api/v1/jobs/", ""),
                Spot::Query("/api/v1/events", "request_id"),
                Spot::Path("/api/v1/traces/", "/spans"),
            ]
        }
        Decoy::Sha1 => {
            c.rng.hex(&mut v, 40);
            &[
                Spot::Path("/git/commit/", ""),
                Spot::Query("/static/bundle.js", "etag"),
            ]
        }
        Decoy::Sha256 => {
            c.rng.hex(&mut v, 64);
            &[
                Spot::Path("/v2/app/blobs/sha256:", ""),
                Spot::Query("/api/v1/files", "checksum"),
            ]
        }
        Decoy::CardLike => {
            v.extend_from_slice(if c.rng.chance(0.5) { b"4" } else { b"5" });
            c.rng.digits(&mut v, 14);
            let good = valid::luhn_check_digit(&v);
            v.push(b'0' + (good - b'0' + 1 + c.rng.below(9) as u8) % 10);
            debug_assert!(!valid::luhn_valid(&v));
            &[
                Spot::Query("/api/v1/track", "tracking"),
                Spot::Path("/api/v1/shipments/", ""),
                Spot::Query("/api/v1/loyalty", "member"),
            ]
        }
        Decoy::Version => {
            // Four parts; half the time all are valid octets (`3.12.0.4`),
            // the IPv4 look-alike that only context tells apart.
            let last = if c.rng.chance(0.5) { 255 } else { 9999 };
            for (i, hi) in [20, 30, 60, last].into_iter().enumerate() {
                if i > 0 {
                    v.push(b'.');
                }
                push_u64(&mut v, c.rng.range(u64::from(i == 0), hi));
            }
            &[
                Spot::Query("/static/app.js", "v"),
                Spot::Query("/api/v1/updates", "version"),
                Spot::Path("/downloads/agent-", ".tar.gz"),
            ]
        }
        Decoy::Oid => {
            let root = *c.rng.pick(&[
                "1.3.6.1.4.1",
                "2.16.840.1.113883",
                "1.2.840.113549.1.1",
                "2.5.4",
            ]);
            v.extend_from_slice(root.as_bytes());
            for _ in 0..c.rng.range(2, 4) {
                v.push(b'.');
                push_u64(&mut v, c.rng.range(1, 40_000));
            }
            &[
                Spot::Query("/api/v1/certs", "policy"),
                Spot::Query("/api/v1/codes", "oid"),
            ]
        }
        Decoy::IsoTimestamp => {
            let ago = c.rng.range(0, 30 * 86_400) as i64;
            push_iso_time(&mut v, c.m.secs() - ago, c.rng.range(0, 999) as u32);
            &[
                Spot::Query("/api/v1/orders", "updated_after"),
                Spot::Query("/api/v1/events", "since"),
            ]
        }
        Decoy::Isbn => {
            v.extend_from_slice(if c.rng.chance(0.8) { b"978" } else { b"979" });
            c.rng.digits(&mut v, 9);
            let check = valid::isbn13_check_digit(&v);
            v.push(check);
            if c.rng.chance(0.5) {
                v = [
                    &v[..3],
                    b"-",
                    &v[3..4],
                    b"-",
                    &v[4..8],
                    b"-",
                    &v[8..12],
                    b"-",
                    &v[12..],
                ]
                .concat();
            }
            &[
                Spot::Path("/books/isbn/", ""),
                Spot::Query("/api/v1/books", "isbn"),
            ]
        }
        Decoy::OrderNumber => {
            if c.rng.chance(0.5) {
                v.extend_from_slice(b"ORD-2026-");
                push_padded(&mut v, c.rng.range(1, 9_999_999), 7);
            } else {
                push_seq_doc_id(&mut v, Db::Orders, c.rng.range(1, 999_999));
            }
            &[
                Spot::Path("/api/v1/orders/", ""),
                Spot::Query("/api/v1/returns", "order"),
            ]
        }
        Decoy::EpochMillis => {
            let ms = (c.m.ns / 1_000_000) as u64 - c.rng.range(0, 7 * 86_400_000);
            push_u64(&mut v, ms);
            &[
                Spot::Query("/api/v1/notifications", "_"),
                Spot::Query("/api/v1/metrics", "ts"),
            ]
        }
        Decoy::SsnInvalid => {
            let (area, group, serial) = match c.rng.below(5) {
                0 => (0, c.rng.range(1, 99), c.rng.range(1, 9999)),
                1 => (666, c.rng.range(1, 99), c.rng.range(1, 9999)),
                2 => (
                    c.rng.range(900, 999),
                    c.rng.range(1, 99),
                    c.rng.range(1, 9999),
                ),
                3 => (c.rng.range(1, 665), 0, c.rng.range(1, 9999)),
                _ => (c.rng.range(1, 665), c.rng.range(1, 99), 0),
            };
            debug_assert!(!valid::ssn_valid(area as u32, group as u32, serial as u32));
            v.extend_from_slice(format!("{area:03}-{group:02}-{serial:04}").as_bytes());
            &[
                Spot::Query("/api/v1/tickets", "ref"),
                Spot::Query("/api/v1/parts", "sku"),
            ]
        }
        Decoy::IbanInvalid => {
            v.extend_from_slice(iban_with(c.rng, true).as_bytes());
            &[
                Spot::Query("/api/v1/transfers", "ref"),
                Spot::Query("/api/v1/payouts", "account"),
            ]
        }
        Decoy::AadhaarInvalid => {
            let mut d = aadhaar_digits(c.rng);
            let last = d.len() - 1;
            d[last] = b'0' + (d[last] - b'0' + 1 + c.rng.below(9) as u8) % 10;
            debug_assert!(!valid::verhoeff_valid(&d));
            v.extend_from_slice(group_4_4_4(c.rng, d).as_bytes());
            &[
                Spot::Query("/api/v1/tickets", "ref"),
                Spot::Query("/api/v1/batches", "batch"),
            ]
        }
    };
    if kind == Decoy::Uuid && c.rng.chance(0.4) {
        // A dashed UUID as a document id.
        let (t, _) = c.app_db();
        let db = *c.rng.pick(&[Db::Events, Db::Audit, Db::Contacts]);
        c.path_db(t, db);
        c.lit("/");
        place(&mut c.req.target, &mut p, &v);
        p.field = Some("db.doc_id");
    } else {
        c.as_visitor();
        match c.rng.pick(spots) {
            Spot::Path(before, after) => {
                c.lit(before);
                place(&mut c.req.target, &mut p, &v);
                c.lit(after);
                p.field = Some("url.path");
            }
            Spot::Query(path, key) => {
                c.lit(path);
                c.lit("?");
                c.lit(key);
                c.lit("=");
                // Look-alikes are written as clients write them; `:` in a
                // timestamp is often escaped.
                if kind == Decoy::IsoTimestamp && c.rng.chance(0.5) {
                    let start = c.req.target.len();
                    super::text::encode_component(&mut c.req.target, &v);
                    p.text = Some(String::from_utf8_lossy(&c.req.target[start..]).into_owned());
                    p.encoding = Some(Encoding::Percent);
                } else {
                    place(&mut c.req.target, &mut p, &v);
                }
                p.field = Some("url.query");
                p.key = Some(key);
            }
        }
    }
    p.value = Some(String::from_utf8_lossy(&v).into_owned());
    let bytes = c.rng.range(200, 9_000);
    c.set("GET", 200, bytes);
    c.rt(3, 150);
    out.push(p);
}

/// Writes a look-alike verbatim (none contains a character needing escape).
fn place(buf: &mut Vec<u8>, p: &mut Planted, v: &[u8]) {
    debug_assert!(v.iter().all(|&b| b.is_ascii_graphic() || b == b' '));
    let start = buf.len();
    super::text::encode_query_raw(buf, v);
    p.encoding = Some(Encoding::Raw);
    p.text = Some(String::from_utf8_lossy(&buf[start..]).into_owned());
}
