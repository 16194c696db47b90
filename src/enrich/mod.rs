//! Config-derived fields: `staff` and `tenant` (SPEC §3, §5).
//!
//! Runs after parsing and before detection, so rules can match on
//! `staff: true` or `tenant: acme`.

use crate::config::ConfigFile;
use crate::event::{Event, Field, Value};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::{CaptureLocations, Regex};
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

mod memo;
use memo::Memo;

/// An error in the `[staff]` or `[tenants]` settings.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// A `staff.users` pattern is not a valid glob.
    #[error("staff.users: invalid pattern `{pattern}`: {source}")]
    StaffPattern {
        /// The pattern.
        pattern: String,
        /// Why.
        source: globset::Error,
    },
    /// `tenants.from_db` is not a valid regex or lacks a `tenant` group.
    #[error("tenants.from_db: {0}")]
    TenantRegex(String),
    /// `tenants.from_field` names no field.
    #[error("tenants.from_field: empty field name")]
    TenantField,
}

/// Adds `staff` and `tenant` to events, built once from config.
#[derive(Debug, Clone)]
pub struct Enricher {
    /// Identifies this build for the per-thread memos (a reload builds a
    /// new enricher, whose answers may differ).
    id: u64,
    staff: GlobSet,
    tenant_db: Option<(Regex, usize)>,
    tenant_field: Option<TenantField>,
}

#[derive(Debug, Clone)]
enum TenantField {
    Known(Field),
    Extra(String),
}

/// Reusable per-thread buffers, so enrichment allocates nothing per event.
#[derive(Debug, Default)]
pub struct EnrichScratch {
    locs: Option<CaptureLocations>,
    /// `staff` by user name.
    staff: Memo<bool>,
    /// The `tenant` span of `db.name` by database name.
    tenant: Memo<Option<(u8, u8)>>,
}

/// Enricher build ids; 0 is never used (an empty memo's owner).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Enricher {
    /// Builds the enricher from the `[staff]` and `[tenants]` sections.
    pub fn from_config(cfg: &ConfigFile) -> Result<Enricher, EnrichError> {
        let mut b = GlobSetBuilder::new();
        for p in &cfg.staff.users {
            let g = Glob::new(p).map_err(|source| EnrichError::StaffPattern {
                pattern: p.clone(),
                source,
            })?;
            b.add(g);
        }
        let staff = b.build().map_err(|source| EnrichError::StaffPattern {
            pattern: cfg.staff.users.join(","),
            source,
        })?;
        let tenant_db = match &cfg.tenants.from_db {
            None => None,
            Some(re) => {
                let re = regex::RegexBuilder::new(re)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| EnrichError::TenantRegex(e.to_string()))?;
                let idx = re
                    .capture_names()
                    .position(|n| n == Some("tenant"))
                    .ok_or_else(|| {
                        EnrichError::TenantRegex("needs a (?P<tenant>…) group".into())
                    })?;
                Some((re, idx))
            }
        };
        let tenant_field = match cfg.tenants.from_field.as_deref() {
            None => None,
            Some("") => return Err(EnrichError::TenantField),
            Some(name) => Some(match Field::from_name(name) {
                Some(f) => TenantField::Known(f),
                None => TenantField::Extra(name.to_string()),
            }),
        };
        Ok(Enricher {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            staff,
            tenant_db,
            tenant_field,
        })
    }

    /// Sets `staff` (when `user.name` is present) and `tenant` (when derivable).
    pub fn enrich<'a>(&self, ev: &mut Event<'a>, scratch: &mut EnrichScratch) {
        if let Some(user) = ev.get_str(Field::UserName) {
            let is_staff = !self.staff.is_empty()
                && scratch
                    .staff
                    .get_or(self.id, user.as_bytes(), || self.staff.is_match(user));
            ev.set(Field::Staff, Value::Bool(is_staff));
        }
        if ev.get(Field::Tenant).is_some() {
            return;
        }
        if let Some(t) = self.tenant_from_db(ev, scratch) {
            ev.set(Field::Tenant, Value::Str(t));
            return;
        }
        let from_field = match &self.tenant_field {
            Some(TenantField::Known(f)) => ev.get(*f),
            Some(TenantField::Extra(name)) => ev.get_extra(name),
            None => None,
        };
        if let Some(Value::Str(s)) = from_field {
            if !s.is_empty() {
                let s = s.clone();
                ev.set(Field::Tenant, Value::Str(s));
            }
        }
    }

    fn tenant_from_db<'a>(
        &self,
        ev: &Event<'a>,
        scratch: &mut EnrichScratch,
    ) -> Option<Cow<'a, str>> {
        let (re, idx) = self.tenant_db.as_ref()?;
        let Some(Value::Str(db)) = ev.get(Field::DbName) else {
            return None;
        };
        let mut span = |db: &str| {
            let locs = scratch.locs.get_or_insert_with(|| re.capture_locations());
            re.captures_read(locs, db)?;
            locs.get(*idx).filter(|(s, e)| s < e)
        };
        let (s, e) = if db.len() <= memo::MEMO_LEN {
            // Spans of a text this short fit in bytes.
            let (s, e) = scratch.tenant.get_or(self.id, db.as_bytes(), || {
                span(db).map(|(s, e)| (s as u8, e as u8))
            })?;
            (usize::from(s), usize::from(e))
        } else {
            span(db)?
        };
        // Borrow from the line when db.name itself borrows from it.
        Some(match db {
            Cow::Borrowed(b) => Cow::Borrowed(b.get(s..e)?),
            Cow::Owned(o) => Cow::Owned(o.get(s..e)?.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use crate::parse::Format;

    fn enrich(cfg: &str, fields: &[(Field, &'static str)]) -> Event<'static> {
        let cfg = ConfigFile::parse(cfg, "t").unwrap();
        let e = Enricher::from_config(&cfg).unwrap();
        let mut ev = Event::new(Format::Combined, Origin::default());
        for (f, v) in fields {
            ev.set_str(*f, v);
        }
        e.enrich(&mut ev, &mut EnrichScratch::default());
        ev
    }

    #[test]
    fn staff_and_tenant_from_defaults() {
        let ev = enrich(
            "",
            &[
                (Field::UserName, "support-bob"),
                (Field::DbName, "acme_customers"),
            ],
        );
        assert_eq!(ev.get(Field::Staff), Some(&Value::Bool(true)));
        assert_eq!(ev.get_str(Field::Tenant), Some("acme"));
        let ev = enrich("", &[(Field::UserName, "app-7"), (Field::DbName, "nodb")]);
        assert_eq!(ev.get(Field::Staff), Some(&Value::Bool(false)));
        assert_eq!(ev.get(Field::Tenant), None);
        let ev = enrich("", &[(Field::DbName, "acme_x")]);
        assert_eq!(ev.get(Field::Staff), None, "no user, no staff flag");
    }

    #[test]
    fn tenant_from_field_when_db_does_not_match() {
        let ev = enrich(
            "[tenants]\nfrom_field = \"cloud.account.id\"\n",
            &[(Field::DbName, "plain"), (Field::CloudAccountId, "a-123")],
        );
        assert_eq!(ev.get_str(Field::Tenant), Some("a-123"));
    }

    #[test]
    fn a_reloaded_enricher_does_not_reuse_the_old_answers() {
        // One worker's scratch outlives a SIGHUP reload.
        let mut scratch = EnrichScratch::default();
        let mut answers = |cfg: &str| {
            let cfg = ConfigFile::parse(cfg, "t").unwrap();
            let e = Enricher::from_config(&cfg).unwrap();
            let mut out = Vec::new();
            for _ in 0..2 {
                let mut ev = Event::new(Format::Combined, Origin::default());
                ev.set_str(Field::UserName, "ops-ann");
                ev.set_str(Field::DbName, "acme-eu_orders");
                e.enrich(&mut ev, &mut scratch);
                let tenant = ev.get_str(Field::Tenant).map(str::to_string);
                out.push((ev.get(Field::Staff).cloned(), tenant));
            }
            out
        };
        let first = answers("[staff]\nusers = [\"ops-*\"]\n");
        assert_eq!(first[0], first[1], "memoized answer equals computed one");
        assert_eq!(first[0].0, Some(Value::Bool(true)));
        assert_eq!(first[0].1.as_deref(), Some("acme-eu"));
        let second =
            answers("[staff]\nusers = [\"dba-*\"]\n[tenants]\nfrom_db = \"^(?P<tenant>[a-z]+)\"\n");
        assert_eq!(second[1].0, Some(Value::Bool(false)));
        assert_eq!(second[1].1.as_deref(), Some("acme"));
    }

    #[test]
    fn bad_settings_are_errors() {
        let cfg = ConfigFile::parse("[tenants]\nfrom_db = \"^(x\"\n", "t").unwrap();
        assert!(Enricher::from_config(&cfg).is_err());
        let cfg = ConfigFile::parse("[tenants]\nfrom_db = \"^x\"\n", "t").unwrap();
        assert!(Enricher::from_config(&cfg).is_err(), "no tenant group");
        let cfg = ConfigFile::parse("[staff]\nusers = [\"a[\"]\n", "t").unwrap();
        assert!(Enricher::from_config(&cfg).is_err());
    }
}
