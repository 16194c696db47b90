//! Planting PI into a request: which field it lands in and how it is encoded.
//!
//! Placements follow SPEC §4's list of where detectors look: document ids,
//! path segments, query values after a naming key or an unrelated one,
//! referrer URLs. Every planted value is recorded with its field, key,
//! encoding and the exact text written, so recall can be measured per
//! placement and per encoding.

use super::pi_values::{self, Cat, PiValue};
use super::text::{
    encode_component, encode_path_raw, encode_query_raw, is_unreserved, push_base64url,
};
use super::traffic::{Ctx, push_rev, small_body};
use super::truth::{Encoding, PlantKind, Planted};
use super::vocab::{self, Db};

/// How often each category is planted.
const CATS: &[(u32, Cat)] = &[
    (22, Cat::Email),
    (14, Cat::Phone),
    (10, Cat::Card),
    (7, Cat::Iban),
    (6, Cat::Ssn),
    (4, Cat::Aadhaar),
    (3, Cat::Pan),
    (3, Cat::Nino),
    (10, Cat::Secret),
    (4, Cat::Dob),
    (4, Cat::Name),
    (3, Cat::Geo),
    (1, Cat::NationalId),
    (1, Cat::Passport),
    (4, Cat::Ip),
    (4, Cat::Special),
];

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Place {
    DocId,
    PathSegment,
    QueryNamed,
    QueryUnnamed,
    Referrer,
}

fn places(cat: Cat) -> &'static [(u32, Place)] {
    match cat {
        Cat::Secret => &[
            (10, Place::DocId),
            (20, Place::PathSegment),
            (45, Place::QueryNamed),
            (5, Place::QueryUnnamed),
            (20, Place::Referrer),
        ],
        Cat::Ip => &[
            (35, Place::PathSegment),
            (35, Place::QueryNamed),
            (15, Place::QueryUnnamed),
            (15, Place::Referrer),
        ],
        c if c.keyed_only() => &[(80, Place::QueryNamed), (20, Place::Referrer)],
        _ => &[
            (25, Place::DocId),
            (20, Place::PathSegment),
            (25, Place::QueryNamed),
            (15, Place::QueryUnnamed),
            (15, Place::Referrer),
        ],
    }
}

/// Where the encoded value lands, which decides what `Raw` must escape.
#[derive(Copy, Clone)]
enum Slot {
    Path,
    Query,
}

fn choose_encoding(c: &mut Ctx<'_>, value: &[u8], allow_base64: bool) -> Encoding {
    let e = c.rng.weighted(&[
        (58, Encoding::Raw),
        (22, Encoding::Percent),
        (8, Encoding::DoublePercent),
        (12, Encoding::Base64Url),
    ]);
    match e {
        Encoding::Base64Url if !allow_base64 => Encoding::Raw,
        // Nothing to escape: a percent-encoding would be indistinguishable
        // from raw, so record it truthfully as raw.
        Encoding::Percent | Encoding::DoublePercent if value.iter().all(|&b| is_unreserved(b)) => {
            Encoding::Raw
        }
        e => e,
    }
}

fn encode(out: &mut Vec<u8>, enc: Encoding, slot: Slot, v: &[u8]) {
    match (enc, slot) {
        (Encoding::Raw, Slot::Path) => encode_path_raw(out, v),
        (Encoding::Raw, Slot::Query) => encode_query_raw(out, v),
        (Encoding::Percent, _) => encode_component(out, v),
        (Encoding::DoublePercent, _) => {
            let mut once = Vec::with_capacity(v.len() * 3);
            encode_component(&mut once, v);
            encode_component(out, &once);
        }
        (Encoding::Base64Url, _) => push_base64url(out, v),
    }
}

/// Writes `v` into `buf` with `enc`, and records encoding and text in `p`.
fn put(buf: &mut Vec<u8>, p: &mut Planted, enc: Encoding, slot: Slot, v: &[u8]) {
    let start = buf.len();
    encode(buf, enc, slot, v);
    p.encoding = Some(enc);
    p.text = Some(String::from_utf8_lossy(&buf[start..]).into_owned());
}

/// Turns the line being built into one that carries PI, and records it.
pub(super) fn plant(c: &mut Ctx<'_>, line: u64, out: &mut Vec<Planted>) {
    let cat = c.rng.weighted(CATS);
    match cat {
        Cat::Geo => return geo(c, line, out),
        Cat::Special => return special(c, line, out),
        _ => {}
    }
    let place = c.rng.weighted(places(cat));
    // A referrer carries the value in a path (needs a self-evident value) or
    // after a naming key.
    let referrer_path = place == Place::Referrer && !cat.keyed_only() && c.rng.chance(0.3);
    let evident = match place {
        Place::QueryNamed => false,
        Place::Referrer => referrer_path,
        _ => true,
    };
    let v = pi_values::value(c.rng, cat, evident);
    let mut p = Planted::at(PlantKind::Pi, cat.as_str(), line);
    match place {
        Place::DocId => doc_id(c, cat, &v, &mut p),
        Place::PathSegment => path_segment(c, cat, &v, &mut p),
        Place::QueryNamed => query_named(c, cat, &v, &mut p),
        Place::QueryUnnamed => query_unnamed(c, cat, &v, &mut p),
        Place::Referrer => referrer(c, cat, &v, referrer_path, &mut p),
    }
    p.value = Some(v.text);
    out.push(p);
}

fn doc_id(c: &mut Ctx<'_>, cat: Cat, v: &PiValue, p: &mut Planted) {
    let world = c.world;
    let a = world.app(c.rng);
    c.actor(a);
    p.field = Some("db.doc_id");
    let (dbs, prefixes): (&[Db], &[&str]) = match cat {
        Cat::Email => (
            &[Db::Users, Db::Customers, Db::Contacts],
            &["", "user:", "contact:"],
        ),
        Cat::Phone => (&[Db::Contacts, Db::Customers], &["", "phone:", "contact:"]),
        Cat::Card => (&[Db::Payments], &["card:", ""]),
        Cat::Iban => (&[Db::Payments, Db::Customers], &["iban:", "acct:"]),
        Cat::Ssn => (&[Db::Customers, Db::Users], &["ssn:", ""]),
        Cat::Aadhaar => (&[Db::Customers, Db::Users], &["aadhaar:", "kyc:"]),
        Cat::Pan => (&[Db::Customers, Db::Users], &["pan:", "kyc:"]),
        Cat::Nino => (&[Db::Customers, Db::Users], &["nino:", ""]),
        Cat::Secret => (&[Db::Users], &["session:", "token:"]),
        _ => (&[Db::Events, Db::Audit], &["ip:", ""]),
    };
    if cat == Cat::Email && c.rng.chance(0.2) {
        // CouchDB's own user database: `org.couchdb.user:{name}`.
        c.lit("/_users/org.couchdb.user:");
        let enc = choose_encoding(c, v.text.as_bytes(), false);
        put(&mut c.req.target, p, enc, Slot::Path, v.text.as_bytes());
    } else {
        let db = *c.rng.pick(dbs);
        c.path_db(a.tenant, db);
        c.lit("/");
        let enc = choose_encoding(c, v.text.as_bytes(), true);
        // An encoded id is opaque as a whole: no readable prefix.
        if enc != Encoding::Base64Url {
            let prefix = *c.rng.pick(prefixes);
            c.lit(prefix);
        }
        put(&mut c.req.target, p, enc, Slot::Path, v.text.as_bytes());
    }
    match c.rng.below(20) {
        0..=13 => {
            let status = if c.rng.chance(0.85) { 200 } else { 404 };
            let bytes = if status == 200 {
                c.rng.range(300, 4_000)
            } else {
                small_body(status)
            };
            c.set("GET", status, bytes);
        }
        14..=17 => c.set("PUT", 201, 95),
        18 => c.set("HEAD", 200, 0),
        _ => {
            c.lit("?rev=");
            push_rev(c.rng, &mut c.req.target);
            c.set("DELETE", 200, 95);
        }
    }
    c.rt(2, 40);
}

fn path_segment(c: &mut Ctx<'_>, cat: Cat, v: &PiValue, p: &mut Planted) {
    c.as_visitor();
    p.field = Some("url.path");
    let routes: &[(&str, &str)] = match cat {
        Cat::Email => &[
            ("/api/v1/users/", ""),
            ("/api/v1/customers/by-email/", ""),
            ("/api/v1/subscribers/", "/preferences"),
            ("/unsubscribe/", ""),
        ],
        Cat::Phone => &[
            ("/api/v1/contacts/by-phone/", ""),
            ("/api/v1/sms/verify/", ""),
        ],
        Cat::Card => &[
            ("/api/v1/payments/cards/", ""),
            ("/api/v1/cards/", "/verify"),
        ],
        Cat::Iban => &[
            ("/api/v1/accounts/", "/balance"),
            ("/api/v1/payouts/iban/", ""),
        ],
        Cat::Ssn => &[("/api/v1/employees/ssn/", ""), ("/api/v1/tax/returns/", "")],
        Cat::Aadhaar => &[("/api/v1/kyc/aadhaar/", ""), ("/api/v1/kyc/", "/status")],
        Cat::Pan => &[("/api/v1/kyc/pan/", ""), ("/api/v1/tax/pan/", "/verify")],
        Cat::Nino => &[
            ("/api/v1/payroll/nino/", ""),
            ("/api/v1/employees/", "/payroll"),
        ],
        Cat::Secret => &[
            ("/api/v1/session/", ""),
            ("/api/v1/auth/verify/", ""),
            ("/reset-password/", ""),
        ],
        _ => &[("/api/v1/geoip/", ""), ("/api/v1/blocklist/", "")],
    };
    let &(before, after) = c.rng.pick(routes);
    c.lit(before);
    let enc = choose_encoding(c, v.text.as_bytes(), cat != Cat::Secret);
    put(&mut c.req.target, p, enc, Slot::Path, v.text.as_bytes());
    c.lit(after);
    let status = if c.rng.chance(0.85) { 200 } else { 404 };
    let bytes = if status == 200 {
        c.rng.range(200, 4_000)
    } else {
        90
    };
    c.set("GET", status, bytes);
    c.rt(5, 150);
    if c.req.ua.starts_with("Mozilla") && c.rng.chance(0.5) {
        c.app_referrer();
    }
}

fn query_named(c: &mut Ctx<'_>, cat: Cat, v: &PiValue, p: &mut Planted) {
    c.as_visitor();
    let key = *c.rng.pick(v.keys);
    let endpoints: &[&str] = match key {
        "password" | "passwd" | "pwd" => &["/login", "/api/v1/auth", "/api/v1/session"],
        _ if cat == Cat::Secret => &[
            "/api/v1/session",
            "/oauth/callback",
            "/api/v1/export",
            "/ws",
        ],
        _ => &[
            "/api/v1/customers",
            "/api/v1/users/lookup",
            "/api/v1/search",
            "/api/v1/verify",
            "/signup",
            "/account/update",
            "/api/v1/kyc/check",
            "/api/v1/contacts",
        ],
    };
    let endpoint = *c.rng.pick(endpoints);
    c.lit(endpoint);
    let s = if c.rng.chance(0.3) {
        "?source=web&"
    } else {
        "?"
    };
    c.lit(s);
    c.lit(key);
    c.lit("=");
    let enc = choose_encoding(c, v.text.as_bytes(), true);
    put(&mut c.req.target, p, enc, Slot::Query, v.text.as_bytes());
    if c.rng.chance(0.3) {
        c.lit("&page=1");
    }
    p.field = Some("url.query");
    p.key = Some(key);
    if c.rng.chance(0.8) {
        let bytes = c.rng.range(100, 3_000);
        c.set("GET", 200, bytes);
    } else {
        c.set("POST", 201, 120);
    }
    c.rt(5, 200);
}

fn query_unnamed(c: &mut Ctx<'_>, cat: Cat, v: &PiValue, p: &mut Planted) {
    p.field = Some("url.query");
    let view = match cat {
        Cat::Email => Some("by_email"),
        Cat::Phone => Some("by_phone"),
        Cat::Card => Some("by_card"),
        Cat::Iban => Some("by_iban"),
        Cat::Ssn => Some("by_ssn"),
        Cat::Aadhaar => Some("by_aadhaar"),
        Cat::Pan => Some("by_pan"),
        Cat::Nino => Some("by_nino"),
        _ => None,
    };
    if let Some(view) = view.filter(|_| c.rng.chance(0.4)) {
        // A CouchDB view queried by a JSON string key: `key=%22…%22`.
        let (t, _) = c.app_db();
        c.path_db(t, Db::Customers);
        c.lit("/_design/app/_view/");
        c.lit(view);
        c.lit("?key=");
        let quoted = format!("\"{}\"", v.text);
        let enc = choose_encoding(c, quoted.as_bytes(), false);
        put(&mut c.req.target, p, enc, Slot::Query, quoted.as_bytes());
        c.lit("&include_docs=true");
        p.key = Some("key");
        let bytes = c.rng.range(200, 3_000);
        c.set("GET", 200, bytes);
        c.rt(5, 200);
        return;
    }
    c.as_visitor();
    let &(endpoint, key) = c.rng.pick(&[
        ("/search", "q"),
        ("/api/v1/lookup", "query"),
        ("/api/v1/customers", "filter"),
        ("/api/v1/find", "term"),
        ("/go", "ref"),
    ]);
    c.lit(endpoint);
    c.lit("?");
    c.lit(key);
    c.lit("=");
    let enc = choose_encoding(c, v.text.as_bytes(), true);
    put(&mut c.req.target, p, enc, Slot::Query, v.text.as_bytes());
    p.key = Some(key);
    let bytes = c.rng.range(300, 20_000);
    c.set("GET", 200, bytes);
    c.rt(10, 300);
}

fn referrer(c: &mut Ctx<'_>, cat: Cat, v: &PiValue, as_path: bool, p: &mut Planted) {
    c.as_visitor();
    if !c.req.ua.starts_with("Mozilla") {
        c.req.ua = *c.rng.pick(vocab::BROWSERS);
    }
    // The request itself is ordinary: the page's assets and API calls.
    if c.rng.chance(0.5) {
        c.lit("/static/js/app.");
        c.rng.hex(&mut c.req.target, 8);
        c.lit(".js");
        let bytes = c.rng.range(20_000, 300_000);
        c.set("GET", 200, bytes);
    } else {
        let s = *c.rng.pick(&[
            "/api/v1/me",
            "/api/v1/notifications?unread=true",
            "/images/logo.svg",
        ]);
        c.lit(s);
        let bytes = c.rng.range(200, 5_000);
        c.set("GET", 200, bytes);
    }
    c.rt(1, 80);
    p.field = Some("http.request.referrer");
    c.req
        .referrer
        .extend_from_slice(vocab::APP_ORIGIN.as_bytes());
    let slot = if as_path {
        let dir: &[u8] = if cat == Cat::Secret {
            b"/reset-password/"
        } else {
            b"/users/"
        };
        c.req.referrer.extend_from_slice(dir);
        Slot::Path
    } else {
        let page = *c.rng.pick(&[
            "/account",
            "/signup",
            "/checkout",
            "/customers",
            "/auth/callback",
        ]);
        let key = *c.rng.pick(v.keys);
        for part in [page, "?", key, "="] {
            c.req.referrer.extend_from_slice(part.as_bytes());
        }
        p.key = Some(key);
        Slot::Query
    };
    let enc = choose_encoding(c, v.text.as_bytes(), false);
    put(&mut c.req.referrer, p, enc, slot, v.text.as_bytes());
}

/// A `lat`/`lng` pair: two findings on one line.
fn geo(c: &mut Ctx<'_>, line: u64, out: &mut Vec<Planted>) {
    c.as_visitor();
    let endpoint = *c.rng.pick(&[
        "/api/v1/stores/nearby",
        "/api/v1/delivery/estimate",
        "/api/v1/checkin",
        "/api/v1/weather",
    ]);
    let &(klat, klng) = c
        .rng
        .pick(&[("lat", "lng"), ("latitude", "longitude"), ("lat", "lon")]);
    let (lat, lng) = pi_values::lat_lng(c.rng);
    c.lit(endpoint);
    c.lit("?");
    for (i, (key, value)) in [(klat, lat), (klng, lng)].into_iter().enumerate() {
        if i > 0 {
            c.lit("&");
        }
        c.lit(key);
        c.lit("=");
        let mut p = Planted::at(PlantKind::Pi, Cat::Geo.as_str(), line);
        p.field = Some("url.query");
        p.key = Some(key);
        put(
            &mut c.req.target,
            &mut p,
            Encoding::Raw,
            Slot::Query,
            value.as_bytes(),
        );
        p.value = Some(value);
        out.push(p);
    }
    if c.rng.chance(0.5) {
        c.lit("&radius=5km");
    }
    let bytes = c.rng.range(300, 6_000);
    c.set("GET", 200, bytes);
    c.rt(10, 200);
}

/// GDPR Art. 9 data named by a path word or a query key.
fn special(c: &mut Ctx<'_>, line: u64, out: &mut Vec<Planted>) {
    c.as_visitor();
    let mut p = Planted::at(PlantKind::Pi, Cat::Special.as_str(), line);
    if c.rng.chance(0.6) {
        let &(before, word, after) = c.rng.pick(&[
            ("/api/v1/patients/", "diagnosis", ""),
            ("/api/v1/patients/", "health-records", ""),
            ("/api/v1/members/", "religion", ""),
            ("/hr/employees/", "union-membership", ""),
            ("/api/v1/users/", "biometrics", "/enroll"),
            ("/api/v1/users/", "ethnicity", ""),
            ("/api/v1/lab/", "genetic-tests", "/results"),
        ]);
        c.lit(before);
        let n = c.rng.range(100, 99_999);
        c.num(n);
        c.lit("/");
        put(
            &mut c.req.target,
            &mut p,
            Encoding::Raw,
            Slot::Path,
            word.as_bytes(),
        );
        c.lit(after);
        p.field = Some("url.path");
        p.value = Some(word.to_owned());
    } else {
        let &(key, values) = c.rng.pick(&[
            (
                "diagnosis",
                &[
                    "asthma",
                    "type-2-diabetes",
                    "hypertension",
                    "depression",
                    "hiv",
                ][..],
            ),
            (
                "religion",
                &["catholic", "muslim", "jewish", "hindu", "buddhist"][..],
            ),
            (
                "ethnicity",
                &["asian", "black", "hispanic", "white", "mixed"][..],
            ),
            (
                "sexual_orientation",
                &["gay", "lesbian", "bisexual", "heterosexual"][..],
            ),
            ("health_condition", &["pregnancy", "cancer", "epilepsy"][..]),
            ("union_member", &["true", "unite", "unison"][..]),
        ]);
        let value = *c.rng.pick(values);
        let s = *c.rng.pick(&[
            "/api/v1/profile?",
            "/api/v1/patients/search?",
            "/api/v1/survey?",
        ]);
        c.lit(s);
        c.lit(key);
        c.lit("=");
        put(
            &mut c.req.target,
            &mut p,
            Encoding::Raw,
            Slot::Query,
            value.as_bytes(),
        );
        p.field = Some("url.query");
        p.key = Some(key);
        p.value = Some(value.to_owned());
    }
    let bytes = c.rng.range(300, 8_000);
    c.set("GET", 200, bytes);
    c.rt(10, 200);
    out.push(p);
}
