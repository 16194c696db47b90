//! Fixed word lists: tenants, databases, user agents, names, paths.
//!
//! Everything here is fictional or reserved for documentation; nothing is
//! taken from real logs.

/// Tenant names; beyond the list, names repeat with a number (`acme2`).
pub(super) const TENANTS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "aperture",
    "oscorp",
    "vandelay",
    "dunder",
    "piedpiper",
    "nakatomi",
    "gringotts",
    "monarch",
    "duff",
];

/// The per-tenant databases (`{tenant}_{db}`), each with its own doc id style.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Db {
    Customers,
    Orders,
    Invoices,
    Users,
    Events,
    Inventory,
    Payments,
    Audit,
    Settings,
    Contacts,
}

impl Db {
    pub(super) const fn name(self) -> &'static str {
        match self {
            Db::Customers => "customers",
            Db::Orders => "orders",
            Db::Invoices => "invoices",
            Db::Users => "users",
            Db::Events => "events",
            Db::Inventory => "inventory",
            Db::Payments => "payments",
            Db::Audit => "audit",
            Db::Settings => "settings",
            Db::Contacts => "contacts",
        }
    }
}

/// How often each database is hit by application traffic.
pub(super) const DB_WEIGHTS: &[(u32, Db)] = &[
    (20, Db::Customers),
    (22, Db::Orders),
    (10, Db::Invoices),
    (8, Db::Users),
    (14, Db::Events),
    (8, Db::Inventory),
    (6, Db::Payments),
    (4, Db::Audit),
    (3, Db::Settings),
    (5, Db::Contacts),
];

/// Databases whose documents are "customer data" for staff-access scenarios.
pub(super) const CUSTOMER_DBS: &[Db] = &[
    Db::Customers,
    Db::Orders,
    Db::Invoices,
    Db::Contacts,
    Db::Payments,
];

pub(super) const SUPPORT_STAFF: &[&str] = &[
    "support-bob",
    "support-carol",
    "support-erin",
    "support-frank",
];
pub(super) const OPS_STAFF: &[&str] = &["ops-alice", "ops-dan", "ops-grace"];

pub(super) const BROWSERS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
];

pub(super) const API_CLIENTS: &[&str] = &[
    "python-requests/2.31.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
    "curl/7.88.1",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "axios/1.6.7",
    "nano/10.1.3",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "Apache-HttpClient/4.5.14 (Java/17.0.9)",
];

pub(super) const BOTS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
];

pub(super) const REPLICATOR: &str = "CouchDB-Replicator/3.3.3";
pub(super) const PROBE: &str = "kube-probe/1.29";
pub(super) const PROMETHEUS: &str = "Prometheus/2.51.0";

pub(super) const FIRST_NAMES: &[&str] = &[
    "jane", "john", "maria", "wei", "aisha", "carlos", "olga", "ravi", "fatima", "liam", "emma",
    "noah", "sofia", "lucas", "mia", "arjun", "priya", "yuki", "hana", "omar", "lena", "mateo",
    "chloe", "ivan", "zoe", "amara", "tomas", "ingrid", "kwame", "elif",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "doe",
    "smith",
    "garcia",
    "mueller",
    "rossi",
    "dubois",
    "kowalski",
    "tanaka",
    "patel",
    "sharma",
    "okafor",
    "nguyen",
    "kim",
    "silva",
    "jensen",
    "novak",
    "haddad",
    "oconnor",
    "fischer",
    "martin",
    "lopez",
    "moreau",
    "yilmaz",
    "andersson",
    "mensah",
];

pub(super) const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "web.de",
    "orange.fr",
    "hotmail.com",
    "proton.me",
    "icloud.com",
    "example.com",
    "example.org",
    "mail.example.net",
    "acme-corp.io",
];

pub(super) const SEARCH_WORDS: &[&str] = &[
    "blue", "widget", "invoice", "shipping", "refund", "winter", "jacket", "usb-c", "cable",
    "desk", "lamp", "coffee", "grinder", "gift", "card", "return", "policy", "size", "guide",
    "battery", "charger", "sale",
];

pub(super) const PAGES: &[&str] = &[
    "/",
    "/dashboard",
    "/orders",
    "/settings",
    "/account",
    "/products",
    "/cart",
    "/checkout",
    "/help",
    "/reports",
];

pub(super) const APP_ORIGIN: &str = "https://app.example.com";
pub(super) const FAUXTON_REFERRER: &str = "https://db.example.com/_utils/";
