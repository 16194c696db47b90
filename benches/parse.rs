//! Parse throughput of the combined/common parser on generated, realistic
//! nginx lines: two thirds CouchDB-style document requests, one third
//! generic web traffic, some with X-Forwarded-For and `$request_time`, a
//! few with escapes. Reported in bytes per second of input.
//!
//! `cargo bench --bench parse -- --warm-up-time 1 --measurement-time 2`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use picket::event::{Event, Origin};
use picket::parse::LineParser;
use picket::parse::combined::CombinedParser;
use std::hint::black_box;

/// A small deterministic generator (xorshift64*), so that the bench needs
/// nothing but the parser and runs the same lines every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "CouchDB-Replicator/3.3.3",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];
const DBS: &[&str] = &[
    "acme_customers",
    "acme_orders",
    "globex_users",
    "initech_tickets",
    "umbrella_crm",
];
const WEB: &[&str] = &[
    "/",
    "/index.html",
    "/static/app.3f9a0c.js",
    "/static/css/site.css",
    "/favicon.ico",
    "/api/v2/search?q=shoes&page=2",
    "/login?next=%2Faccount",
    "/images/logo.png",
];
const USERS: &[&str] = &["-", "-", "-", "app-7", "svc-sync", "support-anna"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn line(rng: &mut Rng) -> String {
    let client = if rng.below(10) == 0 {
        format!("2001:db8:{:x}::{:x}", rng.below(65536), rng.below(65536))
    } else {
        format!(
            "{}.{}.{}.{}",
            1 + rng.below(223),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        )
    };
    let ts = format!(
        "{:02}/{}/2026:{:02}:{:02}:{:02} +0000",
        1 + rng.below(28),
        rng.pick(MONTHS),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    let (method, target) = if rng.below(3) < 2 {
        let db = rng.pick(DBS);
        match rng.below(6) {
            0 => (
                "GET",
                format!(
                    "/{db}/_all_docs?include_docs=true&limit={}",
                    rng.below(1000)
                ),
            ),
            1 => ("POST", format!("/{db}/_find")),
            2 => ("PUT", format!("/{db}/order-{:08x}", rng.next() as u32)),
            _ => (
                "GET",
                format!("/{db}/{:016x}?rev=1-{:08x}", rng.next(), rng.next() as u32),
            ),
        }
    } else {
        ("GET", rng.pick(WEB).to_string())
    };
    let target = if rng.below(50) == 0 {
        format!("{target}\\x22escaped\\x22")
    } else {
        target
    };
    let status = *[200, 200, 200, 201, 304, 404, 401, 500]
        .get(rng.below(8) as usize)
        .unwrap();
    let referrer = if rng.below(3) == 0 {
        "\"-\"".to_string()
    } else {
        "\"https://app.example.com/dashboard\"".to_string()
    };
    let mut s = format!(
        "{client} - {} [{ts}] \"{method} {target} HTTP/1.1\" {status} {} {referrer} \"{}\"",
        rng.pick(USERS),
        rng.below(100_000),
        rng.pick(AGENTS),
    );
    if rng.below(2) == 0 {
        s.push_str(&format!(
            " \"10.{}.{}.{}\" {}.{:03}",
            rng.below(256),
            rng.below(256),
            rng.below(256),
            rng.below(3),
            rng.below(1000)
        ));
    }
    s
}

fn corpus(n: usize) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n).map(|_| line(&mut rng)).collect()
}

fn bench_parse(c: &mut Criterion) {
    let lines = corpus(4096);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    for parser in [CombinedParser::combined(), CombinedParser::common()] {
        group.bench_with_input(
            BenchmarkId::new("nginx_lines", parser.format()),
            &lines,
            |b, lines| {
                b.iter(|| {
                    let mut ok = 0usize;
                    for l in lines {
                        let mut ev = Event::new(parser.format(), Origin::default());
                        ok += usize::from(parser.parse(black_box(l.as_bytes()), &mut ev).is_ok());
                        black_box(&ev);
                    }
                    assert_eq!(ok, lines.len());
                })
            },
        );
    }
    // A floor measured in the same run, so that a noisy machine can still
    // be read as a ratio: only finding every space and quote, no parsing.
    group.bench_with_input(
        BenchmarkId::new("nginx_lines", "memchr2_floor"),
        &lines,
        |b, lines| {
            b.iter(|| {
                let mut n = 0usize;
                for l in lines {
                    n += memchr::memchr2_iter(b' ', b'"', black_box(l.as_bytes())).count();
                }
                black_box(n)
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
