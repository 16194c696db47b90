//! Table-driven matching tests: one detection, one event, one expectation.

use super::{check, compile, event, matches, rule};
use crate::event::Value;
use crate::parse::Format;

type Fields<'a> = Vec<(&'a str, Value<'a>)>;

fn s(x: &str) -> Value<'_> {
    Value::str(x)
}

fn path(p: &str) -> Fields<'_> {
    vec![("url.path", s(p))]
}

#[track_caller]
fn table(detection: &str, cases: Vec<(Fields<'_>, bool)>) {
    for (fields, expect) in cases {
        check(detection, &fields, expect);
    }
}

#[test]
fn equality_and_wildcards() {
    table(
        "sel:\n  url.path: /db/_all_docs\ncondition: sel",
        vec![
            (path("/db/_all_docs"), true),
            (path("/DB/_All_Docs"), true),
            (path("/db/_all_docs/x"), false),
            (vec![], false),
        ],
    );
    table(
        "sel:\n  url.path: '/db/*'\ncondition: sel",
        vec![
            (path("/db/x"), true),
            (path("/db/"), true),
            (path("/db"), false),
        ],
    );
    table(
        "sel:\n  url.path: '/d?/x'\ncondition: sel",
        vec![
            (path("/db/x"), true),
            (path("/dé/x"), true),
            (path("/d/x"), false),
        ],
    );
    table(
        "sel:\n  url.path: '*/_find*'\ncondition: sel",
        vec![
            (path("/db/_find"), true),
            (path("/db/_find?x"), true),
            (path("/_fin"), false),
        ],
    );
    table(
        "sel:\n  url.path: 'a*b?d*'\ncondition: sel",
        vec![
            (path("aXXbcdYY"), true),
            (path("abcd"), true),
            (path("abd"), false),
        ],
    );
    table(
        "sel:\n  url.path: '/a\\*b'\ncondition: sel",
        vec![(path("/a*b"), true), (path("/aXb"), false)],
    );
    table(
        "sel:\n  url.path: 'a\\?'\ncondition: sel",
        vec![(path("a?"), true), (path("ab"), false)],
    );
    // Backslashes are literal unless before `*`, `?` or `\`: `\*` is a literal star.
    let file = |f: &'static str| vec![("file.path", s(f))];
    table(
        "sel:\n  file.path: 'C:\\Windows\\System32'\ncondition: sel",
        vec![(file(r"c:\windows\system32"), true)],
    );
    table(
        "sel:\n  file.path: 'C:\\Windows\\*'\ncondition: sel",
        vec![(file(r"C:\Windows*"), true), (file(r"C:\Windows\x"), false)],
    );
    table(
        "sel:\n  file.path: 'C:\\Windows\\\\*'\ncondition: sel",
        vec![(file(r"C:\Windows\x"), true)],
    );
    table(
        "sel:\n  file.path: 'C:\\\\*'\ncondition: sel",
        vec![
            (vec![("file.path", s(r"C:\x"))], true),
            (vec![("file.path", s(r"C:x"))], false),
        ],
    );
    // `*` is any present value, even empty; '' is only the empty value.
    table(
        "sel:\n  url.path: '*'\ncondition: sel",
        vec![(path("x"), true), (path(""), true), (vec![], false)],
    );
    table(
        "sel:\n  url.path: ''\ncondition: sel",
        vec![(path(""), true), (path("x"), false), (vec![], false)],
    );
    // A list of values is OR.
    table(
        "sel:\n  url.path: [/a, /b]\ncondition: sel",
        vec![(path("/b"), true), (path("/c"), false)],
    );
}

#[test]
fn contains_startswith_endswith_all() {
    table(
        "sel:\n  url.path|contains: _ALL_DOCS\ncondition: sel",
        vec![(path("/db/_all_docs?x"), true), (path("/db/_all"), false)],
    );
    table(
        "sel:\n  url.path|contains: 'a*c'\ncondition: sel",
        vec![(path("xxabbcxx"), true), (path("xxca"), false)],
    );
    table(
        "sel:\n  url.path|contains: ''\ncondition: sel",
        vec![(path(""), true), (vec![], false)],
    );
    table(
        "sel:\n  url.path|startswith: /_config\ncondition: sel",
        vec![(path("/_CONFIG/x"), true), (path("/x/_config"), false)],
    );
    table(
        "sel:\n  url.path|startswith: '/_node/?'\ncondition: sel",
        vec![(path("/_node/n"), true), (path("/_node/"), false)],
    );
    table(
        "sel:\n  url.path|endswith: /_purge\ncondition: sel",
        vec![(path("/db/_PURGE"), true), (path("/db/_purge/x"), false)],
    );
    table(
        "sel:\n  url.path|endswith: 'a*z'\ncondition: sel",
        vec![(path("xaYYz"), true), (path("xaYYzq"), false)],
    );
    table(
        "sel:\n  url.path|contains|all: [alpha, beta]\ncondition: sel",
        vec![(path("/beta/alpha"), true), (path("/alpha"), false)],
    );
    table(
        "sel:\n  url.path|startswith|all: [/a, /ab]\ncondition: sel",
        vec![(path("/abc"), true), (path("/ac"), false)],
    );
}

#[test]
fn case_handling() {
    table(
        "sel:\n  user.name|cased: Admin\ncondition: sel",
        vec![
            (vec![("user.name", s("Admin"))], true),
            (vec![("user.name", s("admin"))], false),
        ],
    );
    table(
        "sel:\n  user.name|contains|cased: dm\ncondition: sel",
        vec![
            (vec![("user.name", s("Admin"))], true),
            (vec![("user.name", s("ADMIN"))], false),
        ],
    );
    table(
        "sel:\n  user.name|cased: 'A*n'\ncondition: sel",
        vec![
            (vec![("user.name", s("Admin"))], true),
            (vec![("user.name", s("admin"))], false),
        ],
    );
    // ASCII folding only (documented): non-ASCII letters compare exactly.
    table(
        "sel:\n  user.name: 'JOSÉ'\ncondition: sel",
        vec![
            (vec![("user.name", s("josÉ"))], true),
            (vec![("user.name", s("josé"))], false),
        ],
    );
}

#[test]
fn regex() {
    let get = |m: &'static str| vec![("http.request.method", s(m))];
    table(
        "sel:\n  url.path|re: '^/db/[0-9]+$'\ncondition: sel",
        vec![(path("/db/12"), true), (path("/db/1x"), false)],
    );
    table(
        "sel:\n  url.path|re: 'b[0-9]'\ncondition: sel",
        vec![(path("/ab1/"), true)],
    );
    // Sigma regexes are case-sensitive unless `i` or `(?i)`.
    table(
        "sel:\n  http.request.method|re: '^get$'\ncondition: sel",
        vec![(get("GET"), false), (get("get"), true)],
    );
    table(
        "sel:\n  http.request.method|re|i: '^get$'\ncondition: sel",
        vec![(get("GET"), true)],
    );
    table(
        "sel:\n  http.request.method|re: '(?i)^get$'\ncondition: sel",
        vec![(get("GET"), true)],
    );
    table(
        "sel:\n  url.path|re|s: 'a.b'\ncondition: sel",
        vec![(path("a\nb"), true)],
    );
    table(
        "sel:\n  url.path|re|m: '^b$'\ncondition: sel",
        vec![(path("a\nb"), true)],
    );
    table(
        "sel:\n  url.path|re: '^b$'\ncondition: sel",
        vec![(path("a\nb"), false)],
    );
}

#[test]
fn exists_and_null() {
    let user = |u: &'static str| vec![("user.name", s(u))];
    table(
        "sel:\n  user.name|exists: true\ncondition: sel",
        vec![(user("x"), true), (user(""), true), (vec![], false)],
    );
    table(
        "sel:\n  user.name|exists: false\ncondition: sel",
        vec![(user("x"), false), (vec![], true)],
    );
    let referrer = |r: &'static str| vec![("http.request.referrer", s(r))];
    table(
        "sel:\n  http.request.referrer: null\ncondition: sel",
        vec![
            (vec![], true),
            (referrer(""), true),
            (referrer("https://a/"), false),
        ],
    );
    table(
        "sel:\n  http.request.referrer: ~\ncondition: sel",
        vec![(vec![], true), (referrer("-x"), false)],
    );
    table(
        "sel:\n  http.request.referrer: [null, 'https://evil*']\ncondition: sel",
        vec![
            (vec![], true),
            (referrer("https://evil.example/"), true),
            (referrer("https://good/"), false),
        ],
    );
    let list =
        |l: Vec<&'static str>| vec![("tags", Value::List(l.into_iter().map(Into::into).collect()))];
    table(
        "sel:\n  tags: null\ncondition: sel",
        vec![(list(vec![]), true), (list(vec!["a"]), false)],
    );
}

#[test]
fn numbers_booleans_lists_extras() {
    let status = |v: Value<'static>| vec![("http.response.status_code", v)];
    table(
        "sel:\n  http.response.status_code: 200\ncondition: sel",
        vec![
            (status(Value::Int(200)), true),
            (status(s("200")), true),
            (status(Value::Float(200.0)), true),
            (status(Value::Int(404)), false),
            (status(s("0200")), false),
            (status(Value::Float(200.5)), false),
        ],
    );
    table(
        "sel:\n  http.response.status_code: '200'\ncondition: sel",
        vec![(status(Value::Int(200)), true)],
    );
    table(
        "sel:\n  http.response.status_code|startswith: 4\ncondition: sel",
        vec![
            (status(Value::Int(404)), true),
            (status(Value::Int(204)), false),
        ],
    );
    table(
        "sel:\n  http.response.status_code: -1\ncondition: sel",
        vec![(status(Value::Int(-1)), true)],
    );
    let staff = |v: Value<'static>| vec![("staff", v)];
    table(
        "sel:\n  staff: true\ncondition: sel",
        vec![
            (staff(Value::Bool(true)), true),
            (staff(Value::Bool(false)), false),
            (staff(s("True")), true),
        ],
    );
    let tags =
        |l: Vec<&'static str>| vec![("tags", Value::List(l.into_iter().map(Into::into).collect()))];
    table(
        "sel:\n  tags: ssh\ncondition: sel",
        vec![(tags(vec!["a", "SSH"]), true), (tags(vec!["sshd"]), false)],
    );
    table(
        "sel:\n  tags|contains|all: [a, b]\ncondition: sel",
        vec![(tags(vec!["xa", "bx"]), true), (tags(vec!["xa"]), false)],
    );
    // Plain scalars keep their text: YAML 1.1 booleans, leading zeros, floats.
    let user = |u: &'static str| vec![("user.name", s(u))];
    table(
        "sel:\n  user.name: [yes, on, y]\ncondition: sel",
        vec![(user("Y"), true), (user("true"), false)],
    );
    table(
        "sel:\n  user.name: 0200\ncondition: sel",
        vec![(user("0200"), true), (user("200"), false)],
    );
    table(
        "sel:\n  http.version: 1.0\ncondition: sel",
        vec![(vec![("http.version", s("1.0"))], true)],
    );
    let extra = |v: &'static str| vec![("auditd.syscall", s(v))];
    table(
        "sel:\n  auditd.syscall: execve\ncondition: sel",
        vec![(extra("EXECVE"), true), (extra("open"), false)],
    );
}

#[test]
fn keywords() {
    let ev = |p: &'static str, ua: &'static str| {
        vec![("url.path", s(p)), ("user_agent.original", s(ua))]
    };
    table(
        "keywords:\n  - '.git/'\n  - 'wp-admin'\ncondition: keywords",
        vec![
            (ev("/x/.GIT/config", "-"), true),
            (ev("/x", "wp-admin-bot"), true),
            (ev("/x", "y"), false),
        ],
    );
    table(
        "keywords:\n  '|all': [sqlmap, /admin]\ncondition: keywords",
        vec![
            (ev("/admin", "sqlmap/1.0"), true),
            (ev("/admin", "curl"), false),
        ],
    );
    table(
        "keywords: 'union select'\ncondition: keywords",
        vec![(ev("/x?q=UNION SELECT", "-"), true)],
    );
    table(
        "keywords:\n  - 'a*c'\ncondition: keywords",
        vec![(ev("xxabcxx", "-"), true), (ev("xxcbaxx", "-"), false)],
    );
    // Keywords see number fields through their decimal text.
    let status = vec![("http.response.status_code", Value::Int(500))];
    table(
        "keywords:\n  '|all': ['500']\ncondition: keywords",
        vec![(status, true)],
    );
    // A list selection may mix maps and keywords (any of them).
    table(
        "sel:\n  - user.name: bob\n  - 'evil'\ncondition: sel",
        vec![
            (vec![("user.name", s("bob"))], true),
            (ev("/evil", "-"), true),
            (ev("/x", "-"), false),
        ],
    );
}

#[test]
fn conditions() {
    let sels = "a:\n  user.name: x\nb:\n  url.path: y\nc:\n  http.request.method: z\n";
    let ev = |u: bool, p: bool, m: bool| {
        let mut f = Vec::new();
        if u {
            f.push(("user.name", s("x")));
        }
        if p {
            f.push(("url.path", s("y")));
        }
        if m {
            f.push(("http.request.method", s("z")));
        }
        f
    };
    type Truth = fn(bool, bool, bool) -> bool;
    let cases: &[(&str, Truth)] = &[
        ("a", |a, _, _| a),
        ("a and b", |a, b, _| a && b),
        ("a or b", |a, b, _| a || b),
        ("not a", |a, _, _| !a),
        ("a and not b", |a, b, _| a && !b),
        ("not (a or b)", |a, b, _| !(a || b)),
        ("a or b and c", |a, b, c| a || (b && c)),
        ("(a or b) and c", |a, b, c| (a || b) && c),
        ("not a and not b", |a, b, _| !a && !b),
        ("1 of them", |a, b, c| a || b || c),
        ("all of them", |a, b, c| a && b && c),
        ("any of them", |a, b, c| a || b || c),
        ("1 of a* and not c", |a, _, c| a && !c),
        ("a AND NOT b", |a, b, _| a && !b),
    ];
    for (cond, want) in cases {
        let det = format!("{sels}condition: {cond}");
        for bits in 0..8u8 {
            let (a, b, c) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
            check(&det, &ev(a, b, c), want(a, b, c));
        }
    }
    // `them` skips selections whose name starts with `_`.
    table(
        "a:\n  user.name: x\n_b:\n  url.path: y\ncondition: all of them",
        vec![(ev(true, false, false), true)],
    );
    // A list of maps is OR; a list of conditions too.
    table(
        "sel:\n  - user.name: x\n  - url.path: y\ncondition: sel",
        vec![
            (ev(false, true, false), true),
            (ev(false, false, true), false),
        ],
    );
    table(
        &format!("{sels}condition: [a, b]"),
        vec![
            (ev(false, true, false), true),
            (ev(false, false, true), false),
        ],
    );
    // Fields of one map are AND.
    table(
        "sel:\n  user.name: x\n  url.path: y\ncondition: sel",
        vec![
            (ev(true, true, false), true),
            (ev(true, false, false), false),
        ],
    );
}

#[test]
fn web_taxonomy_and_applicability() {
    let yaml = "title: t\nid: t\nlogsource:\n    category: webserver\ndetection:\n    sel:\n        cs-method: POST\n        cs-uri-query|endswith: '/mgmt/tm/util/bash'\n        sc-status: 200\n    condition: sel\n";
    let set = compile(yaml).unwrap();
    let fields = vec![
        ("http.request.method", s("POST")),
        ("url.original", s("/mgmt/tm/util/bash")),
        ("http.response.status_code", Value::Int(200)),
    ];
    assert!(matches(&set, &event(Format::Combined, &fields)));
    assert!(matches(&set, &event(Format::Couchdb, &fields)));
    // A webserver rule is not evaluated on other formats.
    assert!(!matches(&set, &event(Format::Auditd, &fields)));
    let auditd = "title: t\nid: t\nlogsource:\n    product: linux\n    service: auditd\ndetection:\n    sel:\n        url.path: '*'\n    condition: sel\n";
    let set = compile(auditd).unwrap();
    assert!(!matches(
        &set,
        &event(Format::Combined, &[("url.path", s("/x"))])
    ));
    assert!(matches(
        &set,
        &event(Format::Auditd, &[("url.path", s("/x"))])
    ));
    // SPEC names work in taxonomy rules too.
    check(
        "sel:\n  url.original|contains: bash\ncondition: sel",
        &fields,
        true,
    );
}

#[test]
fn prefilter_skips_and_still_evaluates_what_it_must() {
    // Three rules: gated, `not`-only (must run without any hit), regex-only.
    let yaml = [
        rule("sel:\n  url.path|contains: _all_docs\ncondition: sel")
            .replace("id: test", "id: gated"),
        rule("f:\n  user.name: admin\ncondition: not f").replace("id: test", "id: negated"),
        rule("sel:\n  url.path|re: '^/x'\ncondition: sel").replace("id: test", "id: regex"),
    ]
    .join("---\n");
    let set = compile(&yaml).unwrap();
    let ids = |fields: &[(&str, Value<'_>)]| {
        let (mut scratch, mut hits) = (set.new_scratch(), Vec::new());
        set.evaluate(&event(Format::Json, fields), &mut scratch, &mut hits);
        hits.iter()
            .map(|&i| set.rules()[i].info.id.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&[("url.path", s("/x/_all_docs"))]),
        ["gated", "negated", "regex"]
    );
    assert_eq!(
        ids(&[("url.path", s("/y")), ("user.name", s("admin"))]),
        Vec::<&str>::new()
    );
    assert_eq!(ids(&[]), ["negated"]);
    assert!(set.rules()[0].needs_hit && !set.rules()[1].needs_hit && !set.rules()[2].needs_hit);
    // `selection and not filter` is gated by the selection's literal.
    let set = compile(&rule(
        "sel:\n  url.path: /a\nf:\n  user.name: b\ncondition: sel and not f",
    ))
    .unwrap();
    assert!(set.rules()[0].needs_hit);
    let set = compile(&rule(
        "sel:\n  url.path: /a\nf:\n  user.name: b\ncondition: sel or not f",
    ))
    .unwrap();
    assert!(!set.rules()[0].needs_hit);
}

#[test]
fn scratch_is_reusable_across_events_and_sets() {
    let a = compile(&rule("sel:\n  url.path: /a\ncondition: sel")).unwrap();
    let b = compile(
        &[
            rule("sel:\n  url.path: /b\ncondition: sel"),
            rule("sel:\n  url.path: /c\ncondition: sel").replace("id: test", "id: c"),
        ]
        .join("---\n"),
    )
    .unwrap();
    let mut scratch = a.new_scratch();
    let mut hits = Vec::new();
    for (set, p, want) in [
        (&a, "/a", vec![0]),
        (&a, "/b", vec![]),
        (&b, "/c", vec![1]),
        (&b, "/b", vec![0]),
        (&a, "/a", vec![0]),
    ] {
        set.evaluate(&event(Format::Json, &path(p)), &mut scratch, &mut hits);
        assert_eq!(hits, want, "{p}");
    }
}
