//! Optional check against python-stdnum's IBAN cases (LGPL-2.1): read in
//! place from the team's shared data folder when it exists, never copied
//! into this repository. Skipped (passes) without `../shared/data`.

mod common;

use common::{holds, revealing_scanner, scan};
use serde_json::Value;

/// stdnum-valid spellings picket does not read as IBANs, and why.
const NOT_FOUND: &[(&str, &str)] = &[
    (
        "ES72 2013-0692-81-0201150993",
        "mixed separators (space and `-`)",
    ),
    (
        "NO 44 1850.05.14562",
        "mixed separators; `.` is not an IBAN separator",
    ),
    (
        "NO07.8380.08.06006",
        "`.` is not an IBAN separator (dotted runs are versions)",
    ),
    ("NO71.4202.47.14777", "as above"),
    (
        "MC11 1273 9000 7000 1111 1000 h79",
        "mixed case: Presidio's negatives (`LV80 bANK…`, `KW81 aBKU…`) reject it",
    ),
    ("MC1112739000700011111000h79", "as above"),
];

#[test]
fn stdnum_iban_cases() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/arthurdejong-python-stdnum/iban_cases_extracted.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} not present");
        return;
    };
    let blocks: Vec<Value> = serde_json::from_str(&text).expect("valid JSON");
    let s = revealing_scanner();
    let mut failures = Vec::new();
    let (mut valid, mut invalid, mut national) = ((0, 0), (0, 0), (0, 0));
    for b in &blocks {
        let label = b["label"].as_str().unwrap();
        for n in b["numbers"].as_array().unwrap() {
            let n = n.as_str().unwrap();
            let found = ["url.query", "url.path"].iter().all(|&field| {
                let v = if field == "url.query" {
                    format!("iban={n}")
                } else {
                    format!("/acct/{n}")
                };
                holds(&scan(&s, field, &v), "iban", n)
            });
            let none = scan(&s, "url.query", &format!("iban={n}"))
                .iter()
                .all(|f| f.category != "iban");
            match label {
                "valid" => {
                    valid.1 += 1;
                    valid.0 += usize::from(found);
                    let listed = NOT_FOUND.iter().any(|(v, _)| *v == n);
                    if found == listed {
                        failures.push(format!(
                            "valid {n:?}: found {found}, listed as not found {listed}"
                        ));
                    }
                }
                "invalid" => {
                    invalid.1 += 1;
                    invalid.0 += usize::from(none);
                    if !none {
                        failures.push(format!("invalid {n:?} found"));
                    }
                }
                // National check digits (e.g. Spain's) are beyond SPEC §4's
                // length + mod-97 rule: reported, not asserted.
                _ => {
                    national.1 += 1;
                    national.0 += usize::from(none);
                }
            }
        }
    }
    eprintln!(
        "stdnum IBAN: valid found {}/{}, invalid rejected {}/{}, national-rule-only rejected {}/{}",
        valid.0, valid.1, invalid.0, invalid.1, national.0, national.1
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
