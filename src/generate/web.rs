//! Background web traffic: a single-page application's assets and API,
//! login, search, health checks and crawlers.

use super::text::push_padded;
use super::traffic::Ctx;
use super::vocab;
use super::world::external_ip;

#[derive(Copy, Clone)]
enum WebOp {
    Static,
    ApiGet,
    ApiList,
    ApiPost,
    ApiPut,
    ApiDelete,
    Page,
    Login,
    Search,
    Health,
    Crawl,
}

const WEB_OPS: &[(u32, WebOp)] = &[
    (38, WebOp::Static),
    (20, WebOp::ApiGet),
    (8, WebOp::ApiList),
    (6, WebOp::ApiPost),
    (3, WebOp::ApiPut),
    (1, WebOp::ApiDelete),
    (11, WebOp::Page),
    (4, WebOp::Login),
    (5, WebOp::Search),
    (3, WebOp::Health),
    (1, WebOp::Crawl),
];

/// One web request.
pub(super) fn web(c: &mut Ctx<'_>) {
    let world = c.world;
    let op = c.rng.weighted(WEB_OPS);
    match op {
        WebOp::Health => {
            let a = c.rng.pick(&world.probes);
            c.actor(a);
            c.lit("/health");
            c.set("GET", 200, 2);
            c.rt(0, 2);
            return;
        }
        WebOp::Crawl => {
            c.as_visitor();
            c.req.ua = *c.rng.pick(vocab::BOTS);
            let path = *c.rng.pick(&["/robots.txt", "/sitemap.xml", "/"]);
            c.lit(path);
            let bytes = c.rng.range(60, 9_000);
            c.set("GET", 200, bytes);
            return;
        }
        _ => {}
    }
    let visitor = world.visitor(c.rng);
    c.actor(visitor);
    let browser = visitor.ua.starts_with("Mozilla/5.0 (") && !visitor.ua.contains("bot");
    if browser && c.rng.chance(0.6) {
        c.req.proto = "HTTP/2.0";
    }
    if c.rng.chance(0.2) {
        // Behind a corporate proxy: the proxy's address comes first.
        let proxy = external_ip(c.rng);
        c.req.xff.extend_from_slice(proxy.as_bytes());
    }
    match op {
        WebOp::Static => static_asset(c),
        WebOp::ApiGet | WebOp::ApiList | WebOp::ApiPost | WebOp::ApiPut | WebOp::ApiDelete => {
            // Some API clients use basic auth, so nginx logs their name.
            if !browser && c.rng.chance(0.3) {
                let a = world.app(c.rng);
                c.req.user.extend_from_slice(a.name.as_bytes());
            }
            api(c, op);
        }
        WebOp::Page => {
            if c.rng.chance(0.2) {
                c.lit("/orders/");
                let n = c.rng.range(1, 999_999);
                c.num(n);
            } else {
                let page = *c.rng.pick(vocab::PAGES);
                c.lit(page);
            }
            let status = c.rng.weighted(&[(90, 200), (5, 302), (5, 404)]);
            let bytes = if status == 200 {
                c.rng.range(8_000, 60_000)
            } else {
                150
            };
            c.set("GET", status, bytes);
            c.rt(5, 120);
        }
        WebOp::Login => {
            c.lit("/login");
            match c.rng.below(20) {
                0..=9 => c.set("GET", 200, 5_400),
                10..=18 => c.set("POST", 302, 0),
                _ => c.set("POST", 401, 180),
            }
            c.rt(20, 250);
        }
        WebOp::Search => {
            c.lit("/search?q=");
            let w = *c.rng.pick(vocab::SEARCH_WORDS);
            c.lit(w);
            if c.rng.chance(0.6) {
                let w = *c.rng.pick(vocab::SEARCH_WORDS);
                c.lit("+");
                c.lit(w);
            }
            if c.rng.chance(0.3) {
                c.lit("&page=");
                let n = c.rng.range(2, 9);
                c.num(n);
            }
            let bytes = c.rng.range(3_000, 40_000);
            c.set("GET", 200, bytes);
            c.rt(20, 400);
        }
        WebOp::Health | WebOp::Crawl => unreachable!("handled above"),
    }
    if browser && c.rng.chance(0.8) {
        c.app_referrer();
    }
}

fn static_asset(c: &mut Ctx<'_>) {
    let (lo, hi) = match c.rng.below(10) {
        0..=3 => {
            c.lit("/static/js/");
            let name = *c
                .rng
                .pick(&["app", "vendor", "runtime", "chunk-214", "chunk-731"]);
            c.lit(name);
            c.lit(".");
            c.rng.hex(&mut c.req.target, 8);
            c.lit(".js");
            (20_000, 400_000)
        }
        4..=5 => {
            c.lit("/static/css/main.");
            c.rng.hex(&mut c.req.target, 8);
            c.lit(".css");
            (5_000, 60_000)
        }
        6..=8 => {
            let img = *c.rng.pick(&[
                "/images/logo.svg",
                "/images/hero.webp",
                "/images/avatar-default.png",
                "/images/icons/sprite.svg",
            ]);
            c.lit(img);
            (2_000, 200_000)
        }
        _ => {
            let f = *c.rng.pick(&["/fonts/inter-var.woff2", "/favicon.ico"]);
            c.lit(f);
            (15_000, 50_000)
        }
    };
    if c.rng.chance(0.25) {
        c.set("GET", 304, 0);
    } else {
        let bytes = c.rng.range(lo, hi);
        c.set("GET", 200, bytes);
    }
    c.rt(0, 8);
}

fn api(c: &mut Ctx<'_>, op: WebOp) {
    match op {
        WebOp::ApiGet => {
            match c.rng.below(7) {
                0 => c.lit("/api/v1/orders/"),
                1 => c.lit("/api/v1/customers/"),
                2 => c.lit("/api/v1/products/SKU-"),
                3 => c.lit("/api/v2/invoices/INV-2026-"),
                4 => c.lit("/api/v1/shipments/"),
                5 => c.lit("/api/v1/me"),
                _ => c.lit("/api/v1/notifications?unread=true"),
            }
            // Numeric ids are plain (`/orders/4821`), codes zero-padded
            // (`SKU-00042`).
            if c.req.target.ends_with(b"-") {
                let n = c.rng.range(1, 99_999);
                push_padded(&mut c.req.target, n, 5);
            } else if c.req.target.ends_with(b"/") {
                let n = c.rng.range(1, 999_999);
                c.num(n);
                if c.req.target.starts_with(b"/api/v1/customers/") && c.rng.chance(0.3) {
                    c.lit("/addresses");
                }
            }
            c.read_outcome(200, 8_000);
            c.rt(5, 150);
        }
        WebOp::ApiList => {
            if c.rng.chance(0.6) {
                c.lit("/api/v1/orders?page=");
                let n = c.rng.range(1, 20);
                c.num(n);
                let s = if c.rng.chance(0.5) {
                    "&per_page=50&sort=-created_at"
                } else {
                    "&per_page=20"
                };
                c.lit(s);
            } else {
                c.lit("/api/v1/products?category=");
                let w = *c.rng.pick(vocab::SEARCH_WORDS);
                c.lit(w);
            }
            c.read_outcome(2_000, 40_000);
            c.rt(10, 300);
        }
        WebOp::ApiPost => {
            let (path, ok) = *c.rng.pick(&[
                ("/api/v1/orders", 201),
                ("/api/v1/events", 202),
                ("/api/v1/cart/items", 201),
            ]);
            c.lit(path);
            let status = c.rng.weighted(&[(90, ok), (5, 400), (3, 422), (2, 401)]);
            let bytes = c.rng.range(20, 900);
            c.set("POST", status, bytes);
            c.rt(10, 400);
        }
        WebOp::ApiPut => {
            let s = if c.rng.chance(0.5) {
                "/api/v1/customers/"
            } else {
                "/api/v1/orders/"
            };
            c.lit(s);
            let n = c.rng.range(1, 99_999);
            c.num(n);
            let status = c.rng.weighted(&[(92, 200), (6, 409), (2, 400)]);
            let bytes = c.rng.range(60, 2_000);
            c.set("PUT", status, bytes);
            c.rt(10, 300);
        }
        _ => {
            c.lit("/api/v1/cart/items/");
            let n = c.rng.range(1, 9_999);
            c.num(n);
            c.set("DELETE", 204, 0);
            c.rt(5, 60);
        }
    }
}
