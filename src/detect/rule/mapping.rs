//! Field mapping and log-source applicability, as data (SPEC §3).
//!
//! Two tables decide, once per rule at compile time, how a rule sees events:
//!
//! - [`LOGSOURCES`] says which input formats a rule's `logsource` applies
//!   to, and which Sigma field taxonomy its field names follow. A rule is
//!   only evaluated on events of the formats it applies to: a
//!   `product: linux, service: auditd` rule never runs on a combined access
//!   log line.
//! - [`WEB_FIELDS`] maps the Sigma web-server/proxy taxonomy (`cs-uri-query`,
//!   `sc-status`, …) to picket's field names, so SigmaHQ web rules work
//!   unchanged.
//!
//! Field names are resolved in this order: the rule's taxonomy (if any),
//! then SPEC §3 names (which therefore always work, in every rule), then
//! format-specific extras by their full name (`auditd.syscall`, `tenant`…).
//!
//! ## Applicability
//!
//! Each of `category`, `product` and `service` that a rule sets narrows the
//! formats it applies to; a rule applies to the intersection. A key the
//! table does not list (e.g. `product: windows`) applies to no format: the
//! rule loads, shows in `picket rules list`, and never fires. A rule with
//! no `logsource` keys applies to every format.
//!
//! | logsource | formats | taxonomy |
//! |---|---|---|
//! | `category: webserver` | combined, common, couchdb, json | web |
//! | `category: proxy` | combined, common, json | web |
//! | `category: application` | any (the product decides) | — |
//! | `product: picket` | any (the category decides) | — |
//! | `product: apache`, `nginx`, `haproxy` | combined, common, json | web |
//! | `product: couchdb`, `cloudant` | couchdb, combined, common, json, cadf | — |
//! | `product: linux` | auditd, syslog | — |
//! | `product: aws` | cloudtrail | — |
//! | `product: kubernetes` | k8s-audit | — |
//! | `service: auditd` | auditd | — |
//! | `service: cloudtrail` | cloudtrail | — |
//! | `service: audit` | k8s-audit, auditd, cadf | — |
//! | `service: syslog` | syslog | — |
//! | `service: couchdb` | couchdb | — |
//! | `service: activitytracker`, `cadf` | cadf | — |
//! | `service: apache`, `nginx` | none (error logs, which picket does not read) | — |
//!
//! `proxy` leaves out `couchdb`: a CouchDB request log is never a proxy log.
//!
//! ## Web taxonomy
//!
//! `cs-uri-query` (and the proxy spelling `c-uri-query`) maps to
//! `url.original`, the path *and* query, not to `url.query`: SigmaHQ web
//! rules routinely put path fragments in `cs-uri-query`
//! (`cs-uri-query|endswith: '/mgmt/tm/util/bash'`), and other Sigma backends
//! map it the same way. `cs-uri-stem` is the path alone. The Linux auditd
//! taxonomy (`type`, `syscall`, `exe`, `a0`…) is mapped by the auditd
//! parser's field names and is not in this table yet.

use crate::event::{Event, Field, Value};
use crate::parse::Format;

/// The Sigma field taxonomy a rule's field names follow.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Taxonomy {
    /// Web server and proxy logs (W3C extended log field names).
    Web,
}

/// The Sigma web-server/proxy taxonomy → SPEC §3 fields.
pub(crate) static WEB_FIELDS: &[(&str, Field)] = &[
    ("c-ip", Field::SourceIp),
    ("src_ip", Field::SourceIp),
    ("cs-method", Field::HttpRequestMethod),
    ("cs-uri-stem", Field::UrlPath),
    ("c-uri-stem", Field::UrlPath),
    ("cs-uri-query", Field::UrlOriginal),
    ("c-uri-query", Field::UrlOriginal),
    ("cs-uri", Field::UrlOriginal),
    ("c-uri", Field::UrlOriginal),
    ("sc-status", Field::HttpResponseStatusCode),
    ("cs-user-agent", Field::UserAgentOriginal),
    ("c-useragent", Field::UserAgentOriginal),
    ("cs-referer", Field::HttpRequestReferrer),
    ("cs-referrer", Field::HttpRequestReferrer),
    ("cs-username", Field::UserName),
    ("sc-bytes", Field::HttpResponseBodyBytes),
    ("cs-bytes", Field::HttpRequestBodyBytes),
    ("cs-host", Field::HostName),
    ("r-dns", Field::HostName),
    ("cs-version", Field::HttpVersion),
];

/// Formats of web-server request logs, CouchDB's included.
const WEB_FORMATS: &[Format] = &[
    Format::Combined,
    Format::Common,
    Format::Couchdb,
    Format::Json,
];
/// Generic HTTP access-log formats (proxies and web servers other than CouchDB).
const ACCESS_LOG_FORMATS: &[Format] = &[Format::Combined, Format::Common, Format::Json];

/// Which `logsource` key a row of [`LOGSOURCES`] matches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Key {
    Category,
    Product,
    Service,
}

/// One row of the applicability table.
struct Applies {
    key: Key,
    value: &'static str,
    /// `None`: does not narrow the formats.
    formats: Option<&'static [Format]>,
    taxonomy: Option<Taxonomy>,
}

const fn row(
    key: Key,
    value: &'static str,
    formats: Option<&'static [Format]>,
    taxonomy: Option<Taxonomy>,
) -> Applies {
    Applies {
        key,
        value,
        formats,
        taxonomy,
    }
}

/// The applicability table (see the module docs).
static LOGSOURCES: &[Applies] = {
    use Format::*;
    use Key::*;
    const WEB: Option<Taxonomy> = Some(Taxonomy::Web);
    &[
        row(Category, "webserver", Some(WEB_FORMATS), WEB),
        row(Category, "proxy", Some(ACCESS_LOG_FORMATS), WEB),
        row(Category, "application", None, None),
        row(Product, "picket", None, None),
        row(Product, "apache", Some(ACCESS_LOG_FORMATS), WEB),
        row(Product, "nginx", Some(ACCESS_LOG_FORMATS), WEB),
        row(Product, "haproxy", Some(ACCESS_LOG_FORMATS), WEB),
        row(
            Product,
            "couchdb",
            Some(&[Couchdb, Combined, Common, Json, Cadf]),
            None,
        ),
        row(
            Product,
            "cloudant",
            Some(&[Couchdb, Combined, Common, Json, Cadf]),
            None,
        ),
        row(Product, "linux", Some(&[Auditd, Syslog]), None),
        row(Product, "aws", Some(&[Cloudtrail]), None),
        row(Product, "kubernetes", Some(&[K8sAudit]), None),
        row(Service, "auditd", Some(&[Auditd]), None),
        row(Service, "cloudtrail", Some(&[Cloudtrail]), None),
        row(Service, "audit", Some(&[K8sAudit, Auditd, Cadf]), None),
        row(Service, "syslog", Some(&[Syslog]), None),
        row(Service, "couchdb", Some(&[Couchdb]), None),
        row(Service, "activitytracker", Some(&[Cadf]), None),
        row(Service, "cadf", Some(&[Cadf]), None),
        row(Service, "apache", Some(&[]), None),
        row(Service, "nginx", Some(&[]), None),
    ]
};

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

/// Looks a rule's `logsource` up in [`LOGSOURCES`].
pub(crate) fn applicability(
    category: Option<&str>,
    product: Option<&str>,
    service: Option<&str>,
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
        match LOGSOURCES
            .iter()
            .find(|r| r.key == key && r.value.eq_ignore_ascii_case(value))
        {
            Some(r) => {
                if let Some(fs) = r.formats {
                    formats = FormatSet(formats.0 & FormatSet::of(fs).0);
                }
                taxonomy = taxonomy.or(r.taxonomy);
            }
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
}

impl FieldRef {
    /// The field's value in an event.
    #[inline]
    pub fn get<'e, 'a>(&self, event: &'e Event<'a>) -> Option<&'e Value<'a>> {
        match self {
            FieldRef::Slot(f) => event.get(*f),
            FieldRef::Extra(name) => event.get_extra(name),
        }
    }

    /// The field's name (SPEC §3 or extra).
    pub fn name(&self) -> &str {
        match self {
            FieldRef::Slot(f) => f.name(),
            FieldRef::Extra(name) => name,
        }
    }

    /// The value as alert text: `[redacted]` when PI was found in this field
    /// of the event, so messages and entities never repeat a raw value
    /// (SPEC §4).
    pub fn display(&self, event: &Event<'_>) -> Option<String> {
        let v = self.get(event)?;
        if crate::detect::pi::field_has_pi(&event.pi, self.name()) {
            return Some(crate::detect::pi::REDACTED.to_string());
        }
        Some(v.to_string())
    }
}

/// Resolves a field name as written in a rule (see the module docs for the order).
pub(crate) fn resolve_field(name: &str, taxonomy: Option<Taxonomy>) -> FieldRef {
    let mapped = match taxonomy {
        Some(Taxonomy::Web) => WEB_FIELDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f),
        None => None,
    };
    match mapped.or_else(|| Field::from_name(name)) {
        Some(f) => FieldRef::Slot(f),
        None => FieldRef::Extra(name.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formats(c: Option<&str>, p: Option<&str>, s: Option<&str>) -> Vec<Format> {
        applicability(c, p, s).formats.iter().collect()
    }

    #[test]
    fn applicability_table() {
        assert_eq!(formats(Some("webserver"), None, None), WEB_FORMATS);
        assert_eq!(
            formats(Some("webserver"), Some("picket"), None),
            WEB_FORMATS
        );
        assert_eq!(
            formats(None, Some("linux"), Some("auditd")),
            [Format::Auditd]
        );
        assert_eq!(
            formats(Some("application"), Some("kubernetes"), Some("audit")),
            [Format::K8sAudit]
        );
        assert_eq!(
            formats(None, Some("aws"), Some("cloudtrail")),
            [Format::Cloudtrail]
        );
        assert!(formats(Some("process_creation"), Some("windows"), None).is_empty());
        assert!(formats(None, None, Some("apache")).is_empty());
        assert_eq!(formats(None, None, None).len(), Format::ALL.len());
        assert!(
            !applicability(None, Some("linux"), Some("auditd"))
                .formats
                .contains(Format::Combined)
        );
    }

    #[test]
    fn taxonomy_then_spec_names_then_extras() {
        let web = Some(Taxonomy::Web);
        assert_eq!(
            resolve_field("cs-uri-query", web),
            FieldRef::Slot(Field::UrlOriginal)
        );
        assert_eq!(
            resolve_field("cs-uri-stem", web),
            FieldRef::Slot(Field::UrlPath)
        );
        assert_eq!(
            resolve_field("url.path", web),
            FieldRef::Slot(Field::UrlPath)
        );
        assert_eq!(
            resolve_field("cs-uri-query", None),
            FieldRef::Extra("cs-uri-query".into())
        );
        assert_eq!(
            resolve_field("auditd.syscall", None),
            FieldRef::Extra("auditd.syscall".into())
        );
        for (name, _) in WEB_FIELDS {
            assert!(
                matches!(resolve_field(name, web), FieldRef::Slot(_)),
                "{name}"
            );
        }
    }
}
