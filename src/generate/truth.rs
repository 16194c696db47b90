//! The ground truth: what was planted on which line, and how it is saved.

use serde::Serialize;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{Generator, GeneratorConfig};
use crate::event::Timestamp;

/// What kind of thing a [`Planted`] record describes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlantKind {
    /// Personal information that a detector should find (SPEC §4).
    Pi,
    /// A PI look-alike (UUID, hash, Luhn-failing digits, …) that a detector
    /// should *not* report.
    Decoy,
    /// A multi-line incident that a rule should alert on.
    Incident,
    /// Benign behaviour that resembles an incident (nightly backup
    /// replication, a mistyped password, staff at work in business hours):
    /// rules should stay quiet on it.
    Benign,
}

/// How a planted value was written into the URL.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// As a careful client sends it: only what the URL syntax forbids is
    /// escaped (in a path segment: space, `/`, `?`, `#`, `%`, `"`; in a query
    /// value also `+` → `%2B`, `&`, `=`, and space → `+`).
    Raw,
    /// `encodeURIComponent` style: everything but `A-Za-z0-9-._~` escaped.
    Percent,
    /// Percent-encoded twice (`@` → `%2540`).
    DoublePercent,
    /// base64url without padding.
    #[serde(rename = "base64url")]
    Base64Url,
}

/// An incident kind the generator plants, each meant for one rule.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// `_all_docs?include_docs=true`, `_changes?include_docs=true&since=0`,
    /// `_find?limit=100000`: a whole database read at once, huge responses.
    BulkRead,
    /// A `support-*` account reading customer documents at 02:00–04:00 UTC.
    OffHoursStaffAccess,
    /// `POST /_replicate` / `PUT /_replicator/…` by a non-service account, or
    /// a CouchDB replicator pulling a database from an outside address.
    ExternalReplication,
    /// Many `DELETE`s within a minute by one account, sometimes then `_purge`.
    MassDeletion,
    /// One account reading many sequential document ids within minutes.
    Enumeration,
    /// Many failed logins (401) from one address, then a success.
    FailedLogins,
}

impl IncidentKind {
    /// Every incident kind.
    pub const ALL: [IncidentKind; 6] = [
        IncidentKind::BulkRead,
        IncidentKind::OffHoursStaffAccess,
        IncidentKind::ExternalReplication,
        IncidentKind::MassDeletion,
        IncidentKind::Enumeration,
        IncidentKind::FailedLogins,
    ];

    /// The name used in [`Planted::category`].
    pub const fn as_str(self) -> &'static str {
        match self {
            IncidentKind::BulkRead => "bulk_read",
            IncidentKind::OffHoursStaffAccess => "off_hours_staff_access",
            IncidentKind::ExternalReplication => "external_replication",
            IncidentKind::MassDeletion => "mass_deletion",
            IncidentKind::Enumeration => "enumeration",
            IncidentKind::FailedLogins => "failed_logins",
        }
    }

    /// The id of the built-in rule meant to catch it. Only
    /// `bulk-read-document-database` was agreed; the others are proposals
    /// for the rules author.
    pub const fn rule_id(self) -> &'static str {
        match self {
            IncidentKind::BulkRead => "bulk-read-document-database",
            IncidentKind::OffHoursStaffAccess => "staff-off-hours-customer-access",
            IncidentKind::ExternalReplication => "replication-to-external-target",
            IncidentKind::MassDeletion => "mass-document-deletion",
            IncidentKind::Enumeration => "document-enumeration",
            IncidentKind::FailedLogins => "login-brute-force",
        }
    }
}

/// A benign scenario planted next to the incidents as a negative example.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenignKind {
    /// `svc-backup` replicating a database to the internal backup cluster at 01:00.
    BackupReplication,
    /// A `support-*` account reading customer documents in business hours.
    StaffBusinessHours,
    /// One or two failed logins, then a success, from a known address.
    LoginTypo,
    /// A handful of deletions spread over minutes.
    SmallCleanup,
}

impl BenignKind {
    /// Every benign kind.
    pub const ALL: [BenignKind; 4] = [
        BenignKind::BackupReplication,
        BenignKind::StaffBusinessHours,
        BenignKind::LoginTypo,
        BenignKind::SmallCleanup,
    ];

    /// The name used in [`Planted::category`].
    pub const fn as_str(self) -> &'static str {
        match self {
            BenignKind::BackupReplication => "backup_replication",
            BenignKind::StaffBusinessHours => "staff_business_hours",
            BenignKind::LoginTypo => "login_typo",
            BenignKind::SmallCleanup => "small_cleanup",
        }
    }
}

/// One planted item of ground truth.
///
/// PI and decoys describe one value on one line (`line == last_line`); a
/// line may carry two (a `lat`/`lng` pair). Incidents and benign scenarios
/// span `line..=last_line`, interleaved with other traffic; `lines` lists
/// their own lines, and `user`/`ip` name the entity a rule would report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Planted {
    /// PI, decoy, incident or benign scenario.
    pub kind: PlantKind,
    /// PI: the SPEC §4 category (`email`, `credit_card`, …). Decoy: the
    /// look-alike kind (`uuid`, `card_like`, …). Incident:
    /// [`IncidentKind::as_str`]. Benign: [`BenignKind::as_str`].
    pub category: &'static str,
    /// 1-based line number of the (first) line.
    pub line: u64,
    /// 1-based line number of the last line.
    pub last_line: u64,
    /// The line numbers of this item's own lines, in order: incidents and
    /// benign scenarios interleave with other traffic between `line` and
    /// `last_line`. Serialized only when there is more than one.
    #[serde(skip_serializing_if = "single")]
    pub lines: Vec<u64>,
    /// PI/decoy: the event field a detector reports it in (`db.doc_id`,
    /// `url.path`, `url.query`, `http.request.referrer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// PI/decoy in a query: the parameter name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<&'static str>,
    /// PI/decoy: how the value was encoded in the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
    /// PI/decoy: the value before encoding. This is synthetic data; it is
    /// here so recall can be measured value by value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// PI/decoy: the encoded text exactly as it appears in the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Incident/benign: the acting `user.name`, when the log shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Incident/benign: the acting `source.ip`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Incident: the id of the rule meant to fire ([`IncidentKind::rule_id`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// Free-text description (variant, database, counts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Planted {
    /// A single-line record of `kind`/`category` on `line`, other fields empty.
    pub(super) fn at(kind: PlantKind, category: &'static str, line: u64) -> Self {
        Planted {
            kind,
            category,
            line,
            last_line: line,
            lines: vec![line],
            field: None,
            key: None,
            encoding: None,
            value: None,
            text: None,
            user: None,
            ip: None,
            rule: None,
            detail: None,
        }
    }
}

fn single(lines: &[u64]) -> bool {
    lines.len() <= 1
}

/// Counts from a run of [`Generator::write_bytes`] (that call only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GeneratedStats {
    /// Lines written.
    pub lines: u64,
    /// Bytes written (uncompressed).
    pub bytes: u64,
    /// Lines carrying planted PI.
    pub pi_lines: u64,
    /// Lines carrying a planted look-alike.
    pub decoy_lines: u64,
    /// Incidents that started.
    pub incidents: u64,
    /// Event time of the first line written.
    pub first: Option<Timestamp>,
    /// Event time of the last line written.
    pub last: Option<Timestamp>,
}

/// Writes the ground truth as JSON lines, one [`Planted`] per line.
pub fn write_truth(planted: &[Planted], path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for p in planted {
        serde_json::to_writer(&mut out, p)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Generates at least `target_bytes` (less than one line more) into `path`;
/// a `.gz` or `.zst` name is compressed accordingly.
pub fn generate_to_path(
    cfg: &GeneratorConfig,
    path: &Path,
    target_bytes: u64,
) -> io::Result<GeneratedStats> {
    generate_to_path_with_truth(cfg, path, target_bytes, None)
}

/// [`generate_to_path`], and when `truth` is given, also the ground truth
/// there ([`write_truth`]). This is what `picket generate` runs:
///
/// ```text
/// picket generate --seed 42 --size 1GiB --out FILE [--truth FILE]
/// ```
pub fn generate_to_path_with_truth(
    cfg: &GeneratorConfig,
    path: &Path,
    target_bytes: u64,
    truth: Option<&Path>,
) -> io::Result<GeneratedStats> {
    let mut generator = Generator::new(cfg.clone());
    let file = std::fs::File::create(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stats = if name.ends_with(".gz") {
        // mtime 0 and no file name: the same config gives the same bytes.
        let mut w = flate2::GzBuilder::new()
            .mtime(0)
            .write(file, flate2::Compression::default());
        let s = generator.write_bytes(&mut w, target_bytes)?;
        w.finish()?.sync_all()?;
        s
    } else if name.ends_with(".zst") {
        let mut w = zstd::Encoder::new(file, 3)?;
        let s = generator.write_bytes(&mut w, target_bytes)?;
        w.finish()?.sync_all()?;
        s
    } else {
        let mut w = file;
        let s = generator.write_bytes(&mut w, target_bytes)?;
        w.sync_all()?;
        s
    };
    if let Some(truth) = truth {
        write_truth(generator.planted(), truth)?;
    }
    Ok(stats)
}

/// Parses a size such as `1GiB`, `512MiB`, `10MB`, `64k` or `1000`.
/// `K`/`M`/`G`/`T` and `KiB`… are powers of 1024; `KB`/`MB`/`GB`/`TB` are
/// powers of 1000 (case-insensitive); a trailing `B` alone means bytes.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return None,
    };
    let bytes = num * mult as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("10MB"), Some(10_000_000));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size(" 64 KiB "), Some(65536));
        assert_eq!(parse_size("GiB"), None);
        assert_eq!(parse_size("5 parsecs"), None);
    }

    #[test]
    fn planted_json_omits_empty_fields() {
        let mut p = Planted::at(PlantKind::Incident, IncidentKind::BulkRead.as_str(), 7);
        p.rule = Some(IncidentKind::BulkRead.rule_id());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"incident","category":"bulk_read","line":7,"last_line":7,"rule":"bulk-read-document-database"}"#
        );
    }
}
