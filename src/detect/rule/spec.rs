//! The serde model of a Sigma rule document, as written.
//!
//! This is the first of the three layers (`spec` → `compile` → `matcher`,
//! STYLE §8 practice 7): plain typed structs that mirror the YAML, with
//! source locations ([`Spanned`]) kept wherever a later stage may need to
//! point at a problem. Nothing here interprets the rule; [`super::compile`]
//! does, and keeps none of these types.
//!
//! Unknown keys of the rule itself are ignored, because Sigma tools add their
//! own (`date`, `modified`, `related`, `simulation`, …). Picket's own keys use
//! the `x-picket-` prefix that other Sigma tools ignore.
//!
//! The detection section is deserialized with hand-written visitors instead
//! of `#[serde(untagged)]` enums: untagged enums buffer their input and lose
//! the locations `Spanned` records (serde-saphyr documents this limitation),
//! and a selection key like `cs-uri|contains|all` must keep its location for
//! "unknown modifier" errors.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// One rule document (one `---` section of a file).
#[derive(Debug, Deserialize)]
pub(crate) struct RuleDoc {
    pub title: Option<Spanned<String>>,
    pub id: Option<Spanned<String>>,
    pub status: Option<Spanned<String>>,
    pub description: Option<Text>,
    pub author: Option<Text>,
    pub references: Option<Strings>,
    pub level: Option<Spanned<String>>,
    pub tags: Option<Strings>,
    pub logsource: Option<LogSourceSpec>,
    pub detection: Option<Spanned<DetectionSpec>>,
    pub falsepositives: Option<Strings>,
    pub fields: Option<Strings>,
    /// Present in Sigma correlation rules, which this engine does not run yet.
    pub correlation: Option<IgnoredAny>,
    /// Sigma 1 rule collections (`action: global`), not supported.
    pub action: Option<Spanned<String>>,
    /// Alert message template, e.g. `Bulk read of {db.name} by {user.name}`.
    #[serde(rename = "x-picket-message")]
    pub message: Option<Spanned<String>>,
    /// Fields naming who or what an alert is about.
    #[serde(rename = "x-picket-entity")]
    pub entity: Option<Vec<Spanned<String>>>,
    /// Examples that must and must not match (`picket rules test`).
    #[serde(rename = "x-picket-tests")]
    pub tests: Option<Spanned<TestsSpec>>,
}

/// `logsource`: which logs a rule is written for.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogSourceSpec {
    pub category: Option<String>,
    pub product: Option<String>,
    pub service: Option<String>,
}

/// `detection`: named selections plus a condition, in file order.
#[derive(Debug)]
pub(crate) struct DetectionSpec {
    pub selections: Vec<(Spanned<String>, Spanned<SelectionSpec>)>,
    pub condition: Option<Spanned<ConditionSpec>>,
}

/// `condition`: one expression, or (older Sigma) a list of alternatives.
#[derive(Debug)]
pub(crate) enum ConditionSpec {
    One(String),
    Many(Vec<Spanned<String>>),
}

/// A named selection.
#[derive(Debug)]
pub(crate) enum SelectionSpec {
    /// `field|mods: value(s)` pairs, all of which must match.
    Map(FieldMap),
    /// Alternatives: maps and/or keywords, any of which may match.
    List(Vec<Spanned<ListElem>>),
    /// A single keyword.
    Scalar(Scalar),
    /// `sel:` with nothing after it.
    Empty,
}

/// `field|modifiers` → value(s), in file order.
pub(crate) type FieldMap = Vec<(Spanned<String>, Spanned<ValuesSpec>)>;

/// One element of a list selection.
#[derive(Debug)]
pub(crate) enum ListElem {
    Map(FieldMap),
    Keyword(Scalar),
}

/// The value side of `field: …`.
#[derive(Debug)]
pub(crate) enum ValuesSpec {
    One(Scalar),
    Many(Vec<Spanned<Scalar>>),
}

/// A YAML scalar as a detection value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// The text Sigma compares for this value; `None` for `null`.
    pub fn text(&self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            Scalar::Str(s) => Some(s.clone()),
        }
    }
}

/// `x-picket-tests`: examples for `picket rules test`. Unknown keys are
/// errors here (unlike in the rule itself): this is picket's own section,
/// and a misspelt `no-match` would silently test nothing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestsSpec {
    /// Input format of the raw lines, e.g. `combined`.
    pub format: Option<Spanned<String>>,
    /// Raw log lines the rule must match.
    #[serde(default, rename = "match")]
    pub matches: Vec<Spanned<String>>,
    /// Raw log lines the rule must not match.
    #[serde(default)]
    pub no_match: Vec<Spanned<String>>,
    /// Events (flat field maps) the rule must match.
    #[serde(default)]
    pub match_events: Vec<Spanned<EventSpec>>,
    /// Events the rule must not match.
    #[serde(default)]
    pub no_match_events: Vec<Spanned<EventSpec>>,
}

/// A flat `{"url.path": "/db/_all_docs", …}` example event.
#[derive(Debug)]
pub(crate) struct EventSpec(pub Vec<(Spanned<String>, ValuesSpec)>);

/// Free text that some rules write as a list (`author`, `description`).
#[derive(Debug)]
pub(crate) struct Text(pub String);

/// A list of strings that some rules write as a single string.
#[derive(Debug, Default)]
pub(crate) struct Strings(pub Vec<String>);

// ---- visitors ------------------------------------------------------------

/// Reads every scalar kind; shared by the visitors below.
macro_rules! scalar_visits {
    ($wrap:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Int(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            // Beyond i64 a number can only be compared as text.
            Ok($wrap(
                i64::try_from(v).map_or_else(|_| Scalar::Str(v.to_string()), Scalar::Int),
            ))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Float(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Str(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Str(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(Scalar::Null))
        }
    };
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            scalar_visits!(|s| s);
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ValuesSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValuesSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            scalar_visits!(ValuesSpec::One);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut values = Vec::new();
                while let Some(v) = seq.next_element::<Spanned<Scalar>>()? {
                    values.push(v);
                }
                Ok(ValuesSpec::Many(values))
            }
        }
        d.deserialize_any(V)
    }
}

fn field_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<FieldMap, A::Error> {
    let mut items = Vec::new();
    while let Some(key) = map.next_key::<Spanned<String>>()? {
        let value = map.next_value::<Spanned<ValuesSpec>>()?;
        items.push((key, value));
    }
    Ok(items)
}

impl<'de> Deserialize<'de> for ListElem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ListElem;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of fields or a keyword")
            }
            scalar_visits!(ListElem::Keyword);
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                field_map(map).map(ListElem::Map)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for SelectionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SelectionSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of fields, a list, or a keyword")
            }
            scalar_visits!(|s| match s {
                Scalar::Null => SelectionSpec::Empty,
                s => SelectionSpec::Scalar(s),
            });
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                field_map(map).map(SelectionSpec::Map)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut elems = Vec::new();
                while let Some(e) = seq.next_element::<Spanned<ListElem>>()? {
                    elems.push(e);
                }
                Ok(SelectionSpec::List(elems))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ConditionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConditionSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition string or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ConditionSpec::One(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(ConditionSpec::One(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(c) = seq.next_element::<Spanned<String>>()? {
                    all.push(c);
                }
                Ok(ConditionSpec::Many(all))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for DetectionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DetectionSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of selections and a condition")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut selections = Vec::new();
                let mut condition = None;
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.value.as_str() {
                        "condition" => condition = Some(map.next_value()?),
                        // Only meaningful for aggregations, which the
                        // condition parser rejects with its own message.
                        "timeframe" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => selections.push((key, map.next_value()?)),
                    }
                }
                Ok(DetectionSpec {
                    selections,
                    condition,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for EventSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    fields.push((key, map.next_value()?));
                }
                Ok(EventSpec(fields))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Strings::deserialize(d).map(|s| Text(s.0.join(", ")))
    }
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            scalar_visits!(|s: Scalar| Strings(s.text().into_iter().collect()));
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<Scalar>()? {
                    all.extend(s.text());
                }
                Ok(Strings(all))
            }
        }
        d.deserialize_any(V)
    }
}
