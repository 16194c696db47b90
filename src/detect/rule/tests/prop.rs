//! Property tests against naive oracles (memchr's style).
//!
//! 1. Each fast text matcher agrees with a naive recursive wildcard matcher
//!    over ASCII-lowercased characters.
//! 2. Random rule sets (random selections, modifiers, values, conditions)
//!    evaluated with the Aho-Corasick prefilter give exactly the hits of the
//!    naive evaluator, which runs every matcher of the same rule tree.
//! 3. Arbitrary text never makes the loader panic.

use super::{compile, event};
use crate::detect::rule::matcher::{TextMatcher, Tok, parse_wildcards};
use crate::detect::rule::modifier::MatchKind;
use crate::event::Value;
use crate::parse::Format;
use proptest::prelude::*;

// ---- 1. matchers against a naive wildcard matcher --------------------------

fn naive_glob(toks: &[Tok], hay: &[char]) -> bool {
    match toks.split_first() {
        None => hay.is_empty(),
        Some((Tok::Star, rest)) => (0..=hay.len()).any(|i| naive_glob(rest, &hay[i..])),
        Some((Tok::One, rest)) => !hay.is_empty() && naive_glob(rest, &hay[1..]),
        Some((Tok::Lit(l), rest)) => {
            let l: Vec<char> = l.chars().collect();
            hay.len() >= l.len() && hay[..l.len()] == l[..] && naive_glob(rest, &hay[l.len()..])
        }
    }
}

fn naive_match(pattern: &str, kind: MatchKind, cased: bool, hay: &str) -> bool {
    let fold = |s: &str| {
        if cased {
            s.to_owned()
        } else {
            s.to_ascii_lowercase()
        }
    };
    let mut toks: Vec<Tok> = parse_wildcards(pattern)
        .into_iter()
        .map(|t| match t {
            Tok::Lit(l) => Tok::Lit(fold(&l)),
            t => t,
        })
        .collect();
    match kind {
        MatchKind::Contains => {
            toks.insert(0, Tok::Star);
            toks.push(Tok::Star);
        }
        MatchKind::StartsWith => toks.push(Tok::Star),
        MatchKind::EndsWith => toks.insert(0, Tok::Star),
        _ => {}
    }
    let hay: Vec<char> = fold(hay).chars().collect();
    naive_glob(&toks, &hay)
}

fn kind() -> impl Strategy<Value = MatchKind> {
    prop_oneof![
        Just(MatchKind::Equals),
        Just(MatchKind::Contains),
        Just(MatchKind::StartsWith),
        Just(MatchKind::EndsWith)
    ]
}

proptest! {
    #[test]
    fn text_matchers_agree_with_naive_glob(
        pattern in r"[abA*?\\é]{0,6}",
        hay in r"[abAB*?\\é]{0,10}",
        kind in kind(),
        cased in any::<bool>(),
    ) {
        let fast = TextMatcher::wildcard(&pattern, kind, cased).is_match(&hay);
        prop_assert_eq!(fast, naive_match(&pattern, kind, cased, &hay), "{:?} {:?} {:?}", pattern, kind, hay);
    }
}

// ---- 2. prefiltered evaluation against the naive evaluator ----------------

const FIELDS: &[&str] = &[
    "url.path",
    "user.name",
    "http.response.status_code",
    "tags",
    "x.extra",
];
const REGEXES: &[&str] = &["a", "^a", "b$", "a.b", "(?i)^A", "[ab]{2}", "é"];

#[derive(Clone, Debug)]
enum Mod {
    Eq,
    Contains,
    Starts,
    Ends,
    Re,
    Exists,
}

#[derive(Clone, Debug)]
struct ItemG {
    field: Option<usize>,
    modifier: Mod,
    cased: bool,
    all: bool,
    values: Vec<String>,
}

#[derive(Clone, Debug)]
enum CondG {
    Sel(usize),
    Not(Box<CondG>),
    And(Box<CondG>, Box<CondG>),
    Or(Box<CondG>, Box<CondG>),
    OneOfThem,
    AllOfThem,
}

fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn value_for(modifier: &Mod) -> BoxedStrategy<String> {
    match modifier {
        Mod::Re => proptest::sample::select(REGEXES).prop_map(quoted).boxed(),
        Mod::Exists => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        Mod::Eq => prop_oneof![
            4 => r"[abA/_*?é]{0,4}".prop_map(|s| quoted(&s)),
            1 => (0i64..3).prop_map(|i| i.to_string()),
            1 => Just("null".to_owned()),
        ]
        .boxed(),
        _ => prop_oneof![4 => r"[abA/_*?é]{0,3}".prop_map(|s| quoted(&s)), 1 => (0i64..3).prop_map(|i| i.to_string())].boxed(),
    }
}

fn item(field: Option<usize>) -> impl Strategy<Value = ItemG> {
    let modifier = if field.is_some() {
        prop_oneof![
            Just(Mod::Eq),
            Just(Mod::Contains),
            Just(Mod::Starts),
            Just(Mod::Ends),
            Just(Mod::Re),
            Just(Mod::Exists)
        ]
        .boxed()
    } else {
        prop_oneof![Just(Mod::Contains), Just(Mod::Starts), Just(Mod::Ends)].boxed()
    };
    modifier.prop_flat_map(move |modifier| {
        let n = if matches!(modifier, Mod::Exists) {
            1..2
        } else {
            1..4
        };
        let values = proptest::collection::vec(value_for(&modifier), n);
        (values, any::<bool>(), any::<bool>()).prop_map(move |(values, cased, all)| ItemG {
            field,
            modifier: modifier.clone(),
            cased,
            all,
            values,
        })
    })
}

fn render_item(it: &ItemG) -> String {
    let mut key = it.field.map_or("", |f| FIELDS[f]).to_owned();
    let name = match it.modifier {
        Mod::Eq => "",
        Mod::Contains => "|contains",
        Mod::Starts => "|startswith",
        Mod::Ends => "|endswith",
        Mod::Re => "|re",
        Mod::Exists => "|exists",
    };
    key.push_str(name);
    let plain = !matches!(it.modifier, Mod::Exists | Mod::Re);
    if it.cased && plain {
        key.push_str("|cased");
    }
    if it.all && !matches!(it.modifier, Mod::Exists) && !it.values.iter().any(|v| v == "null") {
        key.push_str("|all");
    }
    format!("{}: [{}]", quoted(&key), it.values.join(", "))
}

/// A selection: a map of items on distinct fields, or a list of such maps,
/// or a keyword item.
fn selection() -> impl Strategy<Value = Vec<Vec<ItemG>>> {
    let map = proptest::sample::subsequence((0..FIELDS.len()).collect::<Vec<_>>(), 1..3)
        .prop_flat_map(|fields| {
            fields
                .into_iter()
                .map(|f| item(Some(f)))
                .collect::<Vec<_>>()
        });
    prop_oneof![
        4 => map.clone().prop_map(|m| vec![m]),
        2 => proptest::collection::vec(map, 1..3),
        1 => item(None).prop_map(|i| vec![vec![i]]),
    ]
}

fn condition(n: usize) -> impl Strategy<Value = CondG> {
    let leaf = prop_oneof![6 => (0..n).prop_map(CondG::Sel), 1 => Just(CondG::OneOfThem), 1 => Just(CondG::AllOfThem)];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| CondG::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| CondG::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| CondG::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn render_cond(c: &CondG) -> String {
    match c {
        CondG::Sel(i) => format!("sel_{i}"),
        CondG::Not(c) => format!("not ({})", render_cond(c)),
        CondG::And(a, b) => format!("({}) and ({})", render_cond(a), render_cond(b)),
        CondG::Or(a, b) => format!("({}) or ({})", render_cond(a), render_cond(b)),
        CondG::OneOfThem => "1 of them".into(),
        CondG::AllOfThem => "all of sel_*".into(),
    }
}

fn rule_yaml() -> impl Strategy<Value = (Vec<Vec<Vec<ItemG>>>, CondG)> {
    proptest::collection::vec(selection(), 1..4).prop_flat_map(|sels| {
        let n = sels.len();
        (Just(sels), condition(n))
    })
}

fn render_rule(id: usize, sels: &[Vec<Vec<ItemG>>], cond: &CondG) -> String {
    let mut y = format!("title: r{id}\nid: r{id}\ndetection:\n");
    for (i, alts) in sels.iter().enumerate() {
        y.push_str(&format!("    sel_{i}:\n"));
        // One alternative is written as a plain map, several as a list of maps.
        let list = alts.len() > 1;
        for alt in alts {
            for (j, it) in alt.iter().enumerate() {
                let bullet = match (list, j) {
                    (false, _) => "",
                    (true, 0) => "- ",
                    (true, _) => "  ",
                };
                y.push_str(&format!("        {bullet}{}\n", render_item(it)));
            }
        }
    }
    y.push_str(&format!("    condition: {}\n", render_cond(cond)));
    y
}

type EventG = Vec<(usize, Value<'static>)>;

fn text() -> BoxedStrategy<String> {
    r"[abAB/_é*?]{0,6}".boxed()
}

fn field_value(f: usize) -> BoxedStrategy<Value<'static>> {
    match FIELDS[f] {
        "http.response.status_code" => prop_oneof![
            (0i64..3).prop_map(Value::Int),
            text().prop_map(|s| Value::Str(s.into()))
        ]
        .boxed(),
        "tags" => proptest::collection::vec(text(), 0..3)
            .prop_map(|l| Value::List(l.into_iter().map(Into::into).collect()))
            .boxed(),
        _ => text().prop_map(|s| Value::Str(s.into())).boxed(),
    }
}

fn event_g() -> impl Strategy<Value = EventG> {
    proptest::sample::subsequence((0..FIELDS.len()).collect::<Vec<_>>(), 0..=FIELDS.len())
        .prop_flat_map(|fields| {
            fields
                .into_iter()
                .map(|f| field_value(f).prop_map(move |v| (f, v)))
                .collect::<Vec<_>>()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn prefiltered_evaluation_agrees_with_naive(
        rules in proptest::collection::vec(rule_yaml(), 1..5),
        events in proptest::collection::vec(event_g(), 1..8),
    ) {
        let yaml: Vec<String> = rules.iter().enumerate().map(|(i, (s, c))| render_rule(i, s, c)).collect();
        let yaml = yaml.join("---\n");
        let set = match compile(&yaml) {
            Ok(set) => set,
            Err(e) => return Err(TestCaseError::fail(format!("{yaml}\n{e:?}"))),
        };
        let mut scratch = set.new_scratch();
        let (mut hits, mut buf) = (Vec::new(), String::new());
        for ev in &events {
            let fields: Vec<(&str, Value<'_>)> = ev.iter().map(|(f, v)| (FIELDS[*f], v.clone())).collect();
            let ev = event(Format::Json, &fields);
            set.evaluate(&ev, &mut scratch, &mut hits);
            let naive: Vec<usize> = (0..set.rules().len()).filter(|&i| set.matches_naive(i, &ev, &mut buf)).collect();
            prop_assert_eq!(&hits, &naive, "\n{}\nevent: {:?}", yaml, fields);
        }
    }

    #[test]
    fn loader_never_panics_on_text(text in r"(?s).{0,200}") {
        let _ = compile(&text);
    }

    #[test]
    fn loader_never_panics_on_rule_like_text(
        pieces in proptest::collection::vec(prop_oneof![
            Just("title: t\n"), Just("detection:\n"), Just("    sel:\n"), Just("        a|contains: x\n"),
            Just("        b|re: '('\n"), Just("    condition: sel and (not sel\n"), Just("    condition: 1 of them\n"),
            Just("---\n"), Just("        - '*'\n"), Just("  x-picket-tests: {format: combined}\n"), Just("level: 5\n"),
            Just("    condition: [sel, 2 of x]\n"), Just("        '|all': [a, null]\n"), Just("&a [*a]\n"),
        ], 0..16),
    ) {
        let _ = compile(&pieces.concat());
    }
}
