//! Field mapping and log-source applicability, as data (SPEC §3).
//!
//! The tables live in `mapping.yml` next to this file, embedded with
//! `include_str!` and parsed once, at first use. They decide, once per rule
//! at compile time, how a rule sees events:
//!
//! - `logsources` says which input formats a rule's `logsource` applies to
//!   and which Sigma field taxonomy its field names follow. A rule is only
//!   evaluated on events of the formats it applies to: a
//!   `product: linux, service: auditd` rule never runs on a combined access
//!   log line.
//! - `taxonomies` map the Sigma web server, proxy, Linux auditd, Kubernetes
//!   audit and CloudTrail field names to picket's, so SigmaHQ rules work
//!   unchanged.
//!
//! A field name resolves, in this order, to: `@timestamp` (the event time);
//! the rule's taxonomy entry (exact name, then the longest matching prefix,
//! then the taxonomy's `'*'`), followed by the raw name as an extra; a SPEC
//! §3 name (which therefore always works, in every rule); else an extra by
//! its full name (`auditd.syscall`, `tenant`, …). See `docs/RULES.md` for
//! the tables in prose.

use crate::event::{Event, Field, Timestamp, Value};
use crate::parse::Format;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The embedded table file.
const MAPPING_YAML: &str = include_str!("mapping.yml");

/// The Sigma field taxonomy a rule's field names follow: an index into the
/// taxonomies of `mapping.yml`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Taxonomy(u8);

#[cfg(test)]
impl Taxonomy {
    /// The taxonomy of this name in `mapping.yml` (`web`, `proxy`, `auditd`,
    /// `kubernetes`, `cloudtrail`).
    pub fn named(name: &str) -> Option<Taxonomy> {
        tables()
            .taxonomies
            .iter()
            .position(|t| t.name == name)
            .and_then(|i| u8::try_from(i).ok())
            .map(Taxonomy)
    }

    /// The taxonomy's name.
    pub fn name(self) -> &'static str {
        tables()
            .taxonomies
            .get(usize::from(self.0))
            .map_or("", |t| t.name.as_str())
    }
}

// ---- the file model --------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    logsources: Vec<RowSpec>,
    taxonomies: BTreeMap<String, BTreeMap<String, Targets>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowSpec {
    category: Option<String>,
    product: Option<String>,
    service: Option<String>,
    formats: Option<Vec<String>>,
    taxonomy: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Targets {
    One(String),
    Many(Vec<String>),
}

// ---- the runtime tables ----------------------------------------------------

/// Which `logsource` key a row matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Key {
    Category,
    Product,
    Service,
}

struct Row {
    key: Key,
    value: String,
    formats: Option<FormatSet>,
    taxonomy: Option<Taxonomy>,
}

/// One taxonomy: exact names, prefixes (longest first), and a catch-all.
#[derive(Default)]
pub(crate) struct TaxonomyTable {
    name: String,
    exact: BTreeMap<String, Vec<String>>,
    prefixes: Vec<(String, Vec<String>)>,
    rest: Option<Vec<String>>,
}

impl TaxonomyTable {
    /// The targets of a Sigma field name, in preference order.
    fn targets(&self, name: &str) -> Option<Vec<String>> {
        if let Some(t) = self.exact.get(name) {
            return Some(t.clone());
        }
        let with_suffix = |targets: &[String], suffix: &str| {
            targets
                .iter()
                .map(|t| match t.strip_suffix('*') {
                    Some(p) => format!("{p}{suffix}"),
                    None => t.clone(),
                })
                .collect()
        };
        for (prefix, targets) in &self.prefixes {
            if let Some(rest) = name.strip_prefix(prefix.as_str()) {
                return Some(with_suffix(targets, rest));
            }
        }
        // Names that are SPEC §3 fields are not caught by `'*'`.
        if Field::from_name(name).is_some() {
            return None;
        }
        self.rest.as_ref().map(|t| with_suffix(t, name))
    }

    /// Every exact entry.
    #[cfg(test)]
    pub fn exact(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.exact.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// Both tables, parsed.
#[derive(Default)]
pub(crate) struct Tables {
    rows: Vec<Row>,
    pub taxonomies: Vec<TaxonomyTable>,
}

static TABLES: OnceLock<Result<Tables, String>> = OnceLock::new();

fn parsed() -> &'static Result<Tables, String> {
    TABLES.get_or_init(|| parse_tables(MAPPING_YAML))
}

/// The tables; empty if `mapping.yml` is broken (which [`mapping_error`]
/// reports when rules load, and a unit test forbids).
pub(crate) fn tables() -> &'static Tables {
    static EMPTY: Tables = Tables {
        rows: Vec::new(),
        taxonomies: Vec::new(),
    };
    parsed().as_ref().unwrap_or(&EMPTY)
}

/// Why the embedded `mapping.yml` did not parse, if it did not.
pub(crate) fn mapping_error() -> Option<&'static str> {
    parsed().as_ref().err().map(String::as_str)
}

fn parse_tables(text: &str) -> Result<Tables, String> {
    let file: MappingFile =
        serde_saphyr::from_str(text).map_err(|e| format!("mapping.yml: {e}"))?;
    let mut taxonomies = Vec::new();
    for (name, entries) in file.taxonomies {
        let mut t = TaxonomyTable {
            name,
            ..Default::default()
        };
        for (from, to) in entries {
            let to = match to {
                Targets::One(s) => vec![s],
                Targets::Many(v) => v,
            };
            if to.is_empty() {
                return Err(format!("mapping.yml: `{from}` maps to nothing"));
            }
            if from == "*" {
                t.rest = Some(to);
            } else if let Some(p) = from.strip_suffix('*') {
                t.prefixes.push((p.to_owned(), to));
            } else {
                t.exact.insert(from, to);
            }
        }
        t.prefixes.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        taxonomies.push(t);
    }
    let mut rows = Vec::new();
    for r in file.logsources {
        let (key, value) = match (r.category, r.product, r.service) {
            (Some(v), None, None) => (Key::Category, v),
            (None, Some(v), None) => (Key::Product, v),
            (None, None, Some(v)) => (Key::Service, v),
            _ => return Err("mapping.yml: each logsource row names exactly one key".into()),
        };
        let formats = match r.formats {
            None => None,
            Some(names) => {
                let mut set = FormatSet::NONE;
                for n in names {
                    let f = Format::from_name(&n)
                        .ok_or_else(|| format!("mapping.yml: unknown format `{n}`"))?;
                    set = FormatSet(set.0 | FormatSet::of(&[f]).0);
                }
                Some(set)
            }
        };
        let taxonomy = match r.taxonomy {
            None => None,
            Some(n) => Some(
                taxonomies
                    .iter()
                    .position(|t| t.name == n)
                    .and_then(|i| u8::try_from(i).ok())
                    .map(Taxonomy)
                    .ok_or_else(|| format!("mapping.yml: unknown taxonomy `{n}`"))?,
            ),
        };
        rows.push(Row {
            key,
            value,
            formats,
            taxonomy,
        });
    }
    Ok(Tables { rows, taxonomies })
}

/// A set of formats, one bit per [`Format`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct FormatSet(u32);

impl FormatSet {
    /// Every format.
    pub const ALL: FormatSet = FormatSet((1u32 << Format::ALL.len()) - 1);
    /// No format.
    pub const NONE: FormatSet = FormatSet(0);

    fn of(formats: &[Format]) -> FormatSet {
        FormatSet(formats.iter().fold(0, |acc, f| acc | 1 << (*f as u32)))
    }

    /// Whether the set holds a format.
    pub fn contains(self, f: Format) -> bool {
        self.0 & (1 << (f as u32)) != 0
    }

    /// The formats in the set, in [`Format::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Format> {
        Format::ALL
            .iter()
            .copied()
            .filter(move |f| self.contains(*f))
    }
}

/// What a rule's `logsource` means for picket.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Applicability {
    /// Formats the rule is evaluated on.
    pub formats: FormatSet,
    /// Taxonomy of the rule's field names.
    pub taxonomy: Option<Taxonomy>,
}

/// Looks a rule's `logsource` up in the table.
#[cfg(test)]
pub(crate) fn applicability(
    category: Option<&str>,
    product: Option<&str>,
    service: Option<&str>,
) -> Applicability {
    applicability_with(category, product, service, &BTreeMap::new())
}

/// Looks a rule's `logsource` up in the table, with configured overrides
/// of the formats (`category:proxy` → formats; see `RuleOptions`).
pub(crate) fn applicability_with(
    category: Option<&str>,
    product: Option<&str>,
    service: Option<&str>,
    overrides: &BTreeMap<String, Vec<Format>>,
) -> Applicability {
    let mut formats = FormatSet::ALL;
    let mut taxonomy = None;
    for (key, value) in [
        (Key::Category, category),
        (Key::Product, product),
        (Key::Service, service),
    ] {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        let name = match key {
            Key::Category => "category",
            Key::Product => "product",
            Key::Service => "service",
        };
        let over = overrides.get(&format!("{name}:{}", value.to_ascii_lowercase()));
        if let Some(fs) = over {
            formats = FormatSet(formats.0 & FormatSet::of(fs).0);
        }
        match tables()
            .rows
            .iter()
            .find(|r| r.key == key && r.value.eq_ignore_ascii_case(value))
        {
            Some(r) => {
                if let (Some(fs), None) = (r.formats, over) {
                    formats = FormatSet(formats.0 & fs.0);
                }
                taxonomy = taxonomy.or(r.taxonomy);
            }
            None if over.is_some() => {}
            None => formats = FormatSet::NONE,
        }
    }
    Applicability { formats, taxonomy }
}

/// Where a rule's field name points in an event, resolved once at compile time.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum FieldRef {
    /// A well-known field's slot.
    Slot(Field),
    /// A format-specific field, by its full name.
    Extra(Box<str>),
    /// `@timestamp`, as RFC 3339 text.
    Timestamp,
    /// The first of these the event has (a mapped name, then the raw one).
    Alt(Box<[FieldRef]>),
}

impl FieldRef {
    /// The field's value in an event. Borrowed, except `@timestamp`, which
    /// is rendered.
    #[inline]
    pub fn get<'e, 'a>(&self, event: &'e Event<'a>) -> Option<Cow<'e, Value<'a>>> {
        match self {
            FieldRef::Slot(f) => event.get(*f).map(Cow::Borrowed),
            FieldRef::Extra(name) => event.get_extra(name).map(Cow::Borrowed),
            FieldRef::Timestamp => event
                .timestamp
                .map(|t: Timestamp| Cow::Owned(Value::Str(Cow::Owned(t.to_string())))),
            FieldRef::Alt(alts) => alts.iter().find_map(|f| f.get(event)),
        }
    }

    /// The concrete reference that supplies the value in `event`: itself,
    /// or for [`FieldRef::Alt`] the first alternative the event has.
    fn present<'r>(&'r self, event: &Event<'_>) -> Option<&'r FieldRef> {
        match self {
            FieldRef::Alt(alts) => alts.iter().find_map(|f| f.present(event)),
            FieldRef::Slot(f) => event.get(*f).map(|_| self),
            FieldRef::Extra(name) => event.get_extra(name).map(|_| self),
            FieldRef::Timestamp => event.timestamp.map(|_| self),
        }
    }

    /// The field's name (SPEC §3 or extra); for alternatives, the first.
    pub fn name(&self) -> &str {
        match self {
            FieldRef::Slot(f) => f.name(),
            FieldRef::Extra(name) => name,
            FieldRef::Timestamp => "@timestamp",
            FieldRef::Alt(alts) => alts.first().map_or("", FieldRef::name),
        }
    }

    /// The value as alert text: `[redacted]` when PI was found in the field
    /// the value comes from, so messages and entities never repeat a raw
    /// value (SPEC §4).
    pub fn display(&self, event: &Event<'_>) -> Option<String> {
        let concrete = self.present(event)?;
        if crate::detect::pi::field_has_pi(&event.pi, concrete.name()) {
            return Some(crate::detect::pi::REDACTED.to_string());
        }
        concrete.get(event).map(|v| v.to_string())
    }
}

impl FieldRef {
    /// The field names this reference reads, first present wins.
    pub fn names(&self) -> Vec<String> {
        match self {
            FieldRef::Slot(f) => vec![f.name().to_owned()],
            FieldRef::Extra(n) => vec![n.to_string()],
            FieldRef::Timestamp => vec!["@timestamp".to_owned()],
            FieldRef::Alt(alts) => alts.iter().flat_map(FieldRef::names).collect(),
        }
    }
}

fn target_ref(name: &str) -> FieldRef {
    match Field::from_name(name) {
        Some(f) => FieldRef::Slot(f),
        None => FieldRef::Extra(name.into()),
    }
}

/// Resolves a field name as written in a rule (see the module docs for the order).
pub(crate) fn resolve_field(name: &str, taxonomy: Option<Taxonomy>) -> FieldRef {
    if name == "@timestamp" {
        return FieldRef::Timestamp;
    }
    let table = taxonomy.and_then(|t| tables().taxonomies.get(usize::from(t.0)));
    match table.and_then(|t| t.targets(name)) {
        Some(targets) => {
            let mut refs: Vec<FieldRef> = targets.iter().map(|t| target_ref(t)).collect();
            let raw = target_ref(name);
            if !refs.contains(&raw) {
                refs.push(raw);
            }
            if refs.len() == 1 {
                refs.remove(0)
            } else {
                FieldRef::Alt(refs.into())
            }
        }
        None => target_ref(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats(c: Option<&str>, p: Option<&str>, s: Option<&str>) -> Vec<Format> {
        applicability(c, p, s).formats.iter().collect()
    }

    fn tax(name: &str) -> Option<Taxonomy> {
        Some(Taxonomy::named(name).unwrap_or_else(|| panic!("no taxonomy {name}")))
    }

    #[test]
    fn embedded_table_parses() {
        assert_eq!(mapping_error(), None);
        for name in ["web", "proxy", "auditd", "kubernetes", "cloudtrail"] {
            assert_eq!(tax(name).map(Taxonomy::name), Some(name));
        }
        assert!(parse_tables("logsources: [{category: x, product: y}]\ntaxonomies: {}").is_err());
        assert!(
            parse_tables("logsources: [{category: x, formats: [nope]}]\ntaxonomies: {}").is_err()
        );
    }

    #[test]
    fn applicability_table() {
        let web = [
            Format::Combined,
            Format::Common,
            Format::Couchdb,
            Format::Json,
        ];
        assert_eq!(formats(Some("webserver"), None, None), web);
        assert_eq!(formats(Some("webserver"), Some("picket"), None), web);
        assert_eq!(
            formats(None, Some("linux"), Some("auditd")),
            [Format::Json, Format::Auditd]
        );
        assert_eq!(
            formats(Some("application"), Some("kubernetes"), Some("audit")),
            [Format::Json, Format::K8sAudit]
        );
        assert_eq!(
            formats(None, Some("aws"), Some("cloudtrail")),
            [Format::Json, Format::Cloudtrail]
        );
        assert!(formats(Some("process_creation"), Some("windows"), None).is_empty());
        assert!(formats(None, None, Some("apache")).is_empty());
        assert_eq!(formats(None, None, None).len(), Format::ALL.len());
        let a = applicability(None, Some("linux"), Some("auditd"));
        assert!(!a.formats.contains(Format::Combined));
        assert_eq!(a.taxonomy, tax("auditd"));
        assert_eq!(
            applicability(Some("application"), Some("kubernetes"), Some("audit")).taxonomy,
            tax("kubernetes")
        );
        assert_eq!(
            applicability(Some("proxy"), None, None).taxonomy,
            tax("proxy")
        );
    }

    #[test]
    fn taxonomy_then_spec_names_then_extras() {
        let web = tax("web");
        let alt = |v: Vec<FieldRef>| FieldRef::Alt(v.into());
        assert_eq!(
            resolve_field("cs-uri-query", web),
            alt(vec![
                FieldRef::Slot(Field::UrlOriginal),
                FieldRef::Extra("cs-uri-query".into())
            ])
        );
        assert_eq!(
            resolve_field("url.path", web),
            FieldRef::Slot(Field::UrlPath)
        );
        assert_eq!(
            resolve_field("cs-uri-query", None),
            FieldRef::Extra("cs-uri-query".into())
        );
        assert_eq!(resolve_field("@timestamp", None), FieldRef::Timestamp);
        assert_eq!(
            resolve_field("auditd.syscall", None),
            FieldRef::Extra("auditd.syscall".into())
        );
        // Prefix and catch-all entries keep the rest of the name.
        assert_eq!(
            resolve_field("requestParameters.userName", tax("cloudtrail")),
            alt(vec![
                FieldRef::Extra("cloudtrail.request_parameters.userName".into()),
                FieldRef::Extra("requestParameters.userName".into())
            ])
        );
        assert_eq!(
            resolve_field("objectRef.resource", tax("kubernetes")),
            alt(vec![
                FieldRef::Extra("kubernetes.audit.objectRef.resource".into()),
                FieldRef::Extra("objectRef.resource".into())
            ])
        );
        assert_eq!(
            resolve_field("exe", tax("auditd")),
            alt(vec![
                FieldRef::Extra("auditd.exe".into()),
                FieldRef::Slot(Field::ProcessExecutable),
                FieldRef::Extra("exe".into())
            ])
        );
        // SPEC names are never caught by a taxonomy's `'*'`.
        assert_eq!(
            resolve_field("user.name", tax("auditd")),
            FieldRef::Slot(Field::UserName)
        );
        for t in &tables().taxonomies {
            for (name, _) in t.exact() {
                assert!(
                    !matches!(resolve_field(name, tax(&t.name)), FieldRef::Extra(_)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn alternatives_take_the_first_present() {
        let mut ev = Event::new(Format::Json, Default::default());
        let f = resolve_field("c-uri", tax("proxy"));
        assert!(f.get(&ev).is_none());
        ev.set_extra("c-uri", Value::str("/raw"));
        assert_eq!(f.get(&ev).as_deref(), Some(&Value::str("/raw")));
        ev.set_str(Field::UrlOriginal, "/mapped");
        assert_eq!(f.get(&ev).as_deref(), Some(&Value::str("/mapped")));
        ev.timestamp = Some(Timestamp::from_unix(0, 0));
        assert_eq!(
            FieldRef::Timestamp.get(&ev).as_deref(),
            Some(&Value::str("1970-01-01T00:00:00Z"))
        );
    }
}
