//! Background traffic: ordinary CouchDB requests (web requests are in
//! `web.rs`), and the request-building helpers every scenario uses.
//!
//! Besides plain traffic this includes the near misses that keep rules
//! honest: small `include_docs=true` pages, `include_docs=false` feeds,
//! single deletions, staff at work in business hours, service accounts
//! replicating. None of it carries PI: ids and tokens here are shaped so that
//! no validator accepts them (see [`Rand::hex`]).

use super::line::{Moment, Req};
use super::rng::Rand;
use super::text::{push_iso_date, push_padded, push_u64};
use super::vocab::{self, Db};
use super::world::{Actor, World};

/// Everything a request builder needs.
pub(super) struct Ctx<'a> {
    pub(super) rng: &'a mut Rand,
    pub(super) world: &'a World,
    pub(super) req: &'a mut Req,
    pub(super) m: Moment,
}

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const READ_STATUS: &[(u32, u16)] = &[
    (850, 200),
    (50, 304),
    (80, 404),
    (10, 401),
    (5, 403),
    (5, 500),
];
const WRITE_STATUS: &[(u32, u16)] = &[
    (840, 201),
    (20, 202),
    (80, 409),
    (25, 400),
    (15, 401),
    (5, 500),
];
const DELETE_STATUS: &[(u32, u16)] = &[(880, 200), (70, 404), (50, 409)];

/// Body size of CouchDB's JSON error (and small success) responses.
pub(super) fn small_body(status: u16) -> u64 {
    match status {
        200..=202 => 95,
        304 => 0,
        400 => 55,
        401 => 67,
        403 => 62,
        404 => 41,
        409 => 58,
        _ => 72,
    }
}

impl<'a> Ctx<'a> {
    /// Appends raw text to the request target.
    pub(super) fn lit(&mut self, s: &str) {
        self.req.target.extend_from_slice(s.as_bytes());
    }

    pub(super) fn num(&mut self, n: u64) {
        push_u64(&mut self.req.target, n);
    }

    /// Sets the target to `/{tenant}_{db}`.
    pub(super) fn path_db(&mut self, tenant: usize, db: Db) {
        self.req.target.push(b'/');
        self.world.push_db(&mut self.req.target, tenant, db);
    }

    /// Sets the target to `/{tenant}_{db}/{random doc id}`.
    pub(super) fn path_doc(&mut self, tenant: usize, db: Db) {
        self.path_db(tenant, db);
        self.req.target.push(b'/');
        push_doc_id(self.rng, &mut self.req.target, db);
    }

    pub(super) fn set(&mut self, method: &'static str, status: u16, bytes: u64) {
        self.req.method = method;
        self.req.status = status;
        self.req.bytes = bytes;
    }

    pub(super) fn actor(&mut self, a: &Actor) {
        self.req.actor(a);
    }

    /// Acts as an anonymous web client; returns it.
    pub(super) fn as_visitor(&mut self) -> &'a Actor {
        let a = self.world.visitor(self.rng);
        self.req.actor(a);
        a
    }

    /// An application account and one of its tenant's databases.
    pub(super) fn app_db(&mut self) -> (usize, Db) {
        let world = self.world;
        let a = world.app(self.rng);
        self.req.actor(a);
        (a.tenant, self.rng.weighted(vocab::DB_WEIGHTS))
    }

    pub(super) fn rt(&mut self, lo: u64, hi: u64) {
        self.req.rt_ms = self.rng.range(lo, hi) as u32;
    }

    /// A GET's status and body size: `lo..=hi` bytes on success.
    pub(super) fn read_outcome(&mut self, lo: u64, hi: u64) {
        let status = self.rng.weighted(READ_STATUS);
        let bytes = if status == 200 {
            self.rng.range(lo, hi)
        } else {
            small_body(status)
        };
        self.set("GET", status, bytes);
    }

    /// Sets `referrer` to a page of the web application.
    pub(super) fn app_referrer(&mut self) {
        self.req
            .referrer
            .extend_from_slice(vocab::APP_ORIGIN.as_bytes());
        let page = *self.rng.pick(vocab::PAGES);
        self.req.referrer.extend_from_slice(page.as_bytes());
    }
}

/// Appends a document id in `db`'s style: `cust_004821`, `order:2026-000123`,
/// `invoice_00042`, CouchDB's 32-hex uuids, …
pub(super) fn push_doc_id(rng: &mut Rand, out: &mut Vec<u8>, db: Db) {
    match db {
        Db::Customers | Db::Orders | Db::Invoices => push_seq_doc_id(out, db, rng.range(1, 99_999)),
        Db::Users => {
            out.extend_from_slice(b"user:u");
            push_padded(out, rng.range(1, 500_000), 6);
        }
        Db::Inventory => {
            out.extend_from_slice(b"sku:");
            rng.chars(out, UPPER, 3);
            out.push(b'-');
            push_padded(out, rng.range(1, 9999), 4);
        }
        Db::Payments => {
            out.extend_from_slice(b"pay_");
            rng.hex(out, 24);
        }
        Db::Settings => {
            out.extend_from_slice(
                rng.pick(&["config", "feature-flags", "limits", "branding"])
                    .as_bytes(),
            );
        }
        Db::Events | Db::Audit | Db::Contacts => rng.hex(out, 32),
    }
}

/// Appends the `n`-th id of a database with numbered ids; others get
/// `doc-{n}`. Enumeration scenarios walk these.
pub(super) fn push_seq_doc_id(out: &mut Vec<u8>, db: Db, n: u64) {
    let (prefix, width): (&[u8], usize) = match db {
        Db::Customers => (b"cust_", 6),
        Db::Orders => (b"order:2026-", 6),
        Db::Invoices => (b"invoice_", 5),
        _ => (b"doc-", 6),
    };
    out.extend_from_slice(prefix);
    push_padded(out, n, width);
}

/// Appends a document revision `3-917fa238…`.
pub(super) fn push_rev(rng: &mut Rand, out: &mut Vec<u8>) {
    push_u64(out, rng.range(1, 12));
    out.push(b'-');
    rng.hex(out, 32);
}

/// Appends a CouchDB 3 update sequence `1234-g1AAAA…` (opaque, base64url of
/// an Erlang term: decodes to binary, not text).
pub(super) fn push_seq(rng: &mut Rand, out: &mut Vec<u8>) {
    push_u64(out, rng.range(1, 900_000));
    out.extend_from_slice(b"-g1AAAA");
    let n = rng.range(40, 72) as usize;
    rng.chars(out, B64URL, n);
}

/// One background line: CouchDB with probability `couchdb_share`, else web.
pub(super) fn background(c: &mut Ctx<'_>, couchdb_share: f64) {
    if c.rng.chance(couchdb_share) {
        couch(c)
    } else {
        super::web::web(c)
    }
}

#[derive(Copy, Clone)]
enum CouchOp {
    DocGet,
    DocHead,
    DocPut,
    DocPost,
    DocDelete,
    AllDocsPage,
    Changes,
    Find,
    View,
    BulkDocs,
    Attachment,
    DbInfo,
    Up,
    Session,
    Uuids,
    Staff,
    Root,
    Metrics,
}

const COUCH_OPS: &[(u32, CouchOp)] = &[
    (34, CouchOp::DocGet),
    (3, CouchOp::DocHead),
    (11, CouchOp::DocPut),
    (4, CouchOp::DocPost),
    (2, CouchOp::DocDelete),
    (4, CouchOp::AllDocsPage),
    (8, CouchOp::Changes),
    (4, CouchOp::Find),
    (8, CouchOp::View),
    (3, CouchOp::BulkDocs),
    (2, CouchOp::Attachment),
    (2, CouchOp::DbInfo),
    (5, CouchOp::Up),
    (3, CouchOp::Session),
    (1, CouchOp::Uuids),
    (3, CouchOp::Staff),
    (1, CouchOp::Root),
    (2, CouchOp::Metrics),
];

fn couch(c: &mut Ctx<'_>) {
    match c.rng.weighted(COUCH_OPS) {
        CouchOp::Staff if c.m.business_hours() => staff(c),
        // Staff are not at work now: keep the share of document reads.
        CouchOp::DocGet | CouchOp::Staff => doc_get(c),
        CouchOp::DocHead => {
            let (t, db) = c.app_db();
            c.path_doc(t, db);
            let status = if c.rng.chance(0.85) { 200 } else { 404 };
            c.set("HEAD", status, 0);
            c.rt(1, 10);
        }
        CouchOp::DocPut => {
            let (t, db) = c.app_db();
            c.path_doc(t, db);
            if c.rng.chance(0.1) {
                c.lit("?new_edits=false");
            }
            let status = c.rng.weighted(WRITE_STATUS);
            c.set("PUT", status, small_body(status));
            c.rt(3, 60);
        }
        CouchOp::DocPost => {
            let (t, db) = c.app_db();
            c.path_db(t, db);
            let status = c.rng.weighted(WRITE_STATUS);
            c.set("POST", status, small_body(status));
            c.rt(3, 60);
        }
        CouchOp::DocDelete => {
            let (t, db) = c.app_db();
            c.path_doc(t, db);
            c.lit("?rev=");
            push_rev(c.rng, &mut c.req.target);
            let status = c.rng.weighted(DELETE_STATUS);
            c.set("DELETE", status, small_body(status));
            c.rt(3, 40);
        }
        CouchOp::AllDocsPage => all_docs_page(c),
        CouchOp::Changes => changes(c),
        CouchOp::Find => {
            let (t, db) = c.app_db();
            c.path_db(t, db);
            c.lit("/_find");
            let bytes = c.rng.range(500, 40_000);
            c.set("POST", 200, bytes);
            c.rt(20, 800);
        }
        CouchOp::View => view(c),
        CouchOp::BulkDocs => {
            let (t, db) = c.app_db();
            c.path_db(t, db);
            c.lit("/_bulk_docs");
            let bytes = c.rng.range(200, 20_000);
            c.set("POST", 201, bytes);
            c.rt(30, 500);
        }
        CouchOp::Attachment => {
            let world = c.world;
            let a = world.app(c.rng);
            c.actor(a);
            if c.rng.chance(0.7) {
                c.path_doc(a.tenant, Db::Invoices);
                c.lit("/invoice.pdf");
            } else {
                c.path_doc(a.tenant, Db::Users);
                c.lit("/avatar.png");
            }
            c.read_outcome(20_000, 400_000);
            c.rt(5, 200);
        }
        CouchOp::DbInfo => {
            let (t, db) = c.app_db();
            c.path_db(t, db);
            let bytes = c.rng.range(400, 520);
            c.set("GET", 200, bytes);
            c.rt(1, 15);
        }
        CouchOp::Up => {
            let world = c.world;
            let a = c.rng.pick(&world.probes);
            c.actor(a);
            c.lit("/_up");
            c.set("GET", 200, 15);
            c.rt(0, 3);
        }
        CouchOp::Session => session(c),
        CouchOp::Uuids => {
            c.app_db();
            c.lit("/_uuids?count=10");
            c.set("GET", 200, 400);
            c.rt(0, 3);
        }
        CouchOp::Root => {
            let world = c.world;
            let a = c.rng.pick(&world.probes);
            c.actor(a);
            c.lit("/");
            c.set("GET", 200, 247);
            c.rt(0, 3);
        }
        CouchOp::Metrics => {
            c.actor(&c.world.metrics);
            c.lit("/_node/_local/_prometheus");
            let bytes = c.rng.range(30_000, 42_000);
            c.set("GET", 200, bytes);
            c.rt(5, 40);
        }
    }
}

fn doc_get(c: &mut Ctx<'_>) {
    let (t, db) = c.app_db();
    c.path_doc(t, db);
    match c.rng.below(100) {
        0..=4 => {
            c.lit("?rev=");
            push_rev(c.rng, &mut c.req.target);
        }
        5..=6 => c.lit("?conflicts=true"),
        7 => c.lit("?revs_info=true"),
        _ => {}
    }
    c.read_outcome(300, 6_000);
    c.rt(1, 30);
}

/// Ordinary `_all_docs` pages; a small `include_docs=true` page is normal
/// and must not count as a bulk read.
fn all_docs_page(c: &mut Ctx<'_>) {
    let (t, db) = c.app_db();
    c.path_db(t, db);
    match c.rng.below(3) {
        0 => {
            c.lit("/_all_docs?limit=20&skip=");
            let skip = 20 * c.rng.range(0, 50);
            c.num(skip);
        }
        1 => {
            c.lit("/_all_docs?startkey=%22");
            push_doc_id(c.rng, &mut c.req.target, db);
            c.lit("%22&limit=50");
        }
        _ => c.lit("/_all_docs?include_docs=true&limit=20"),
    }
    let bytes = c.rng.range(1_000, 60_000);
    c.set("GET", 200, bytes);
    c.rt(5, 120);
}

fn changes(c: &mut Ctx<'_>) {
    let world = c.world;
    let tenant = c.rng.below(world.tenants.len());
    let db = c.rng.weighted(vocab::DB_WEIGHTS);
    match c.rng.below(10) {
        0..=5 => {
            c.actor(&world.indexer);
            c.path_db(tenant, db);
            c.lit("/_changes?feed=longpoll&since=");
            push_seq(c.rng, &mut c.req.target);
            let rest = if c.rng.chance(0.5) {
                "&timeout=60000&heartbeat=10000&include_docs=false"
            } else {
                "&timeout=60000&heartbeat=10000&style=all_docs"
            };
            c.lit(rest);
            let bytes = c.rng.range(100, 3_000);
            c.set("GET", 200, bytes);
            c.rt(100, 60_000);
        }
        6..=7 => {
            c.actor(&world.etl);
            c.path_db(tenant, db);
            c.lit("/_changes?feed=normal&limit=500&since=");
            push_seq(c.rng, &mut c.req.target);
            let bytes = c.rng.range(20_000, 200_000);
            c.set("GET", 200, bytes);
            c.rt(50, 2_000);
        }
        _ => {
            let (t, db) = c.app_db();
            c.path_db(t, db);
            c.lit("/_changes?feed=longpoll&since=now&timeout=25000");
            let bytes = c.rng.range(60, 1_500);
            c.set("GET", 200, bytes);
            c.rt(50, 25_000);
        }
    }
}

fn view(c: &mut Ctx<'_>) {
    let (t, db) = c.app_db();
    c.path_db(t, db);
    c.lit("/_design/app/_view/");
    match c.rng.below(4) {
        0 => {
            let (y, m, d, ..) = super::text::civil(c.m.secs() - 86_400 * c.rng.range(0, 30) as i64);
            c.lit("by_date?startkey=%22");
            push_iso_date(&mut c.req.target, y, m, d);
            c.lit("%22&endkey=%22");
            push_iso_date(&mut c.req.target, y, m, d);
            c.lit("T23:59:59Z%22&limit=50");
        }
        1 => {
            c.lit("by_status?key=%22");
            let status = *c
                .rng
                .pick(&["open", "paid", "shipped", "cancelled", "refunded"]);
            c.lit(status);
            c.lit("%22&limit=20&include_docs=true");
        }
        2 => {
            c.lit("by_customer?key=%22");
            push_seq_doc_id(&mut c.req.target, Db::Customers, c.rng.range(1, 99_999));
            c.lit("%22");
        }
        _ => c.lit("totals?group_level=1"),
    }
    c.read_outcome(200, 30_000);
    c.rt(10, 300);
}

fn session(c: &mut Ctx<'_>) {
    let world = c.world;
    let a = world.app(c.rng);
    match c.rng.below(4) {
        // Cookie login: the name is in the body, not in `$remote_user`.
        0 | 1 => {
            c.req.ip.extend_from_slice(a.ip.as_bytes());
            c.req.ua = a.ua;
            c.lit("/_session");
            let bytes = 40 + a.name.len() as u64;
            c.set("POST", 200, bytes);
        }
        2 => {
            c.actor(a);
            c.lit("/_session");
            c.set("GET", 200, 160);
        }
        _ => {
            c.req.ip.extend_from_slice(a.ip.as_bytes());
            c.req.ua = a.ua;
            c.lit("/_session");
            c.set("DELETE", 200, 12);
        }
    }
    c.rt(5, 80);
}

const OPS_PATHS: &[&str] = &[
    "/_active_tasks",
    "/_scheduler/jobs",
    "/_scheduler/docs",
    "/_membership",
    "/_node/_local/_stats/couchdb/request_time",
    "/_node/_local/_system",
    "/_all_dbs",
    "/_dbs_info",
];

/// Staff at work: support reading customer documents, ops checking the cluster.
fn staff(c: &mut Ctx<'_>) {
    let world = c.world;
    if c.rng.chance(0.6) {
        let a = c.rng.pick(&world.support);
        let tenant = c.rng.below(world.tenants.len());
        staff_read(c, a, tenant);
    } else {
        let a = c.rng.pick(&world.ops);
        c.actor(a);
        let path = *c.rng.pick(OPS_PATHS);
        c.lit(path);
        let bytes = c.rng.range(200, 20_000);
        c.set("GET", 200, bytes);
        c.rt(2, 60);
    }
}

/// A staff member reading one customer document of `tenant` (in Fauxton,
/// mostly). Shared by business-hours traffic and the off-hours incident.
pub(super) fn staff_read(c: &mut Ctx<'_>, a: &Actor, tenant: usize) {
    c.actor(a);
    let db = *c.rng.pick(vocab::CUSTOMER_DBS);
    match c.rng.below(10) {
        0 => {
            c.path_db(tenant, db);
            c.lit("/_all_docs?limit=50");
            let bytes = c.rng.range(2_000, 8_000);
            c.set("GET", 200, bytes);
        }
        1 => {
            c.path_db(tenant, db);
            c.lit("/_find");
            let bytes = c.rng.range(500, 20_000);
            c.set("POST", 200, bytes);
        }
        _ => {
            c.path_doc(tenant, db);
            let status = if c.rng.chance(0.93) { 200 } else { 404 };
            let bytes = if status == 200 {
                c.rng.range(400, 6_000)
            } else {
                small_body(status)
            };
            c.set("GET", status, bytes);
        }
    }
    if c.rng.chance(0.7) {
        c.req
            .referrer
            .extend_from_slice(vocab::FAUXTON_REFERRER.as_bytes());
    }
    c.rt(2, 40);
}
