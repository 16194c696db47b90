//! Baselines in the state directory (`baselines.json`).
//!
//! JSON with a format name and a version, written atomically (temporary
//! file, `fsync`, `rename`, directory `fsync`: the checkpoint file's
//! recipe). Entities are keyed fingerprints (see `baseline.rs`) and terms
//! are keyed fingerprints too, so the file holds no user name, tenant,
//! document id or other raw value. Output is sorted, so saving what was
//! loaded gives the same bytes. A missing file is a first start; an
//! unreadable one is reported, moved aside and ignored.

use super::baseline::{Entity, Ewma, Hours, Model, Terms, Volume};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// File name of the baselines inside the state directory.
pub const BASELINE_FILE: &str = "baselines.json";

/// The `format` tag of the file.
const FORMAT: &str = "picket-baselines";

/// Version of the format this build writes and reads.
pub const BASELINE_VERSION: u32 = 1;

/// A baseline file problem. Reported; picket then learns afresh.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The file could not be read or written.
    #[error("baselines {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file is not baselines this build understands.
    #[error("baselines {path} are unusable ({reason}); ignored")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The learned state of one baseline rule.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RuleBaseline {
    /// The correlation type's name: state of another type is not reused.
    pub kind: String,
    /// The rule's `timespan`: `anomaly` windows of another length are not
    /// comparable.
    pub timespan_ns: i64,
    /// Entities by keyed fingerprint.
    pub entities: BTreeMap<u64, Entity>,
}

/// Every baseline rule's learned state, by rule id: what the engine saves
/// at the end of a run and restores at the start of the next.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Baselines {
    /// Identifies the fingerprint key the entities were keyed with.
    pub(crate) key_id: u64,
    pub(crate) rules: BTreeMap<String, RuleBaseline>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    format: String,
    version: u32,
    key_id: String,
    rules: Vec<RuleV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleV1 {
    rule: String,
    kind: String,
    timespan_ns: i64,
    entities: Vec<EntityV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityV1 {
    id: String,
    first: i64,
    last: i64,
    model: ModelV1,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ModelV1 {
    /// Term fingerprint (hex) and when it was last seen.
    Terms(Vec<(String, i64)>),
    /// The learned baseline; the open window is not kept. `hourly`: per
    /// hour of day, `(windows, mean, dev)` (empty, or 24 entries).
    Volume {
        windows: u32,
        mean: f64,
        dev: f64,
        hourly: Vec<(u32, f64, f64)>,
    },
    Hours {
        bins: Vec<f64>,
        decayed_at: i64,
        last_hour: i64,
    },
}

fn hex64(x: u64) -> String {
    format!("{x:016x}")
}

fn unhex64(s: &str) -> Result<u64, String> {
    u64::from_str_radix(s, 16).map_err(|_| format!("`{s}` is not a 64-bit hex fingerprint"))
}

impl Baselines {
    /// Number of entities over all rules.
    pub fn entities(&self) -> usize {
        self.rules.values().map(|r| r.entities.len()).sum()
    }

    /// The file's bytes: sorted, so equal baselines give equal bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let file = FileV1 {
            format: FORMAT.into(),
            version: BASELINE_VERSION,
            key_id: hex64(self.key_id),
            rules: self
                .rules
                .iter()
                .map(|(id, r)| RuleV1 {
                    rule: id.clone(),
                    kind: r.kind.clone(),
                    timespan_ns: r.timespan_ns,
                    entities: r
                        .entities
                        .iter()
                        .filter_map(|(fp, e)| {
                            Some(EntityV1 {
                                id: hex64(*fp),
                                first: e.first,
                                last: e.last,
                                model: match &e.model {
                                    // Runs last minutes: not worth keeping.
                                    Model::Run(_) => return None,
                                    Model::Terms(t) => {
                                        let mut v: Vec<(u64, i64)> =
                                            t.seen.iter().map(|(k, v)| (*k, *v)).collect();
                                        v.sort_unstable();
                                        ModelV1::Terms(
                                            v.into_iter().map(|(k, t)| (hex64(k), t)).collect(),
                                        )
                                    }
                                    Model::Volume(v) => ModelV1::Volume {
                                        windows: v.windows,
                                        mean: v.mean,
                                        dev: v.dev,
                                        hourly: v
                                            .hourly
                                            .iter()
                                            .map(|h| (h.n, h.mean, h.dev))
                                            .collect(),
                                    },
                                    Model::Hours(h) => ModelV1::Hours {
                                        bins: h.bins.clone(),
                                        decayed_at: h.decayed_at,
                                        last_hour: h.last_hour,
                                    },
                                },
                            })
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut out = serde_json::to_vec(&file).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parses a file's bytes; the error says what is wrong.
    pub fn from_bytes(data: &[u8]) -> Result<Baselines, String> {
        let h: Header = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        if h.format != FORMAT {
            return Err(format!("format `{}`, expected `{FORMAT}`", h.format));
        }
        if h.version != BASELINE_VERSION {
            return Err(format!(
                "unknown version {} (this build reads version {BASELINE_VERSION})",
                h.version
            ));
        }
        let f: FileV1 = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        let mut rules = BTreeMap::new();
        for r in f.rules {
            let mut entities = BTreeMap::new();
            for e in r.entities {
                let model = match e.model {
                    ModelV1::Terms(v) => {
                        let mut t = Terms::default();
                        for (k, last) in v {
                            t.seen.insert(unhex64(&k)?, last);
                        }
                        Model::Terms(t)
                    }
                    ModelV1::Volume {
                        windows,
                        mean,
                        dev,
                        hourly,
                    } => {
                        let finite = mean.is_finite()
                            && dev.is_finite()
                            && hourly.iter().all(|h| h.1.is_finite() && h.2.is_finite());
                        if !finite || !(hourly.is_empty() || hourly.len() == 24) {
                            return Err(
                                "a volume baseline needs finite values, 0 or 24 hours".into()
                            );
                        }
                        Model::Volume(Box::new(Volume {
                            windows,
                            mean,
                            dev,
                            hourly: hourly
                                .into_iter()
                                .map(|(n, mean, dev)| Ewma { n, mean, dev })
                                .collect(),
                            ..Volume::default()
                        }))
                    }
                    ModelV1::Hours {
                        bins,
                        decayed_at,
                        last_hour,
                    } => {
                        if bins.len() != 168 || bins.iter().any(|b| !b.is_finite()) {
                            return Err("an hours profile needs 168 finite bins".into());
                        }
                        Model::Hours(Hours {
                            bins,
                            decayed_at,
                            last_hour,
                        })
                    }
                };
                entities.insert(
                    unhex64(&e.id)?,
                    Entity {
                        first: e.first,
                        last: e.last,
                        model,
                    },
                );
            }
            rules.insert(
                r.rule,
                RuleBaseline {
                    kind: r.kind,
                    timespan_ns: r.timespan_ns,
                    entities,
                },
            );
        }
        Ok(Baselines {
            key_id: unhex64(&f.key_id)?,
            rules,
        })
    }

    /// Loads `dir/baselines.json`: `Ok(None)` when there is none yet. A
    /// corrupt file is moved aside (`*.corrupt`) so the next save does not
    /// destroy the evidence, and reported.
    pub fn load(dir: &Path) -> Result<Option<Baselines>, BaselineError> {
        let path = dir.join(BASELINE_FILE);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(BaselineError::Io {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        Baselines::from_bytes(&data).map(Some).map_err(|reason| {
            let _ = std::fs::rename(&path, path.with_extension("json.corrupt"));
            BaselineError::Corrupt {
                path: path.display().to_string(),
                reason,
            }
        })
    }

    /// Writes `dir/baselines.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<(), BaselineError> {
        let path = dir.join(BASELINE_FILE);
        crate::source::checkpoint::write_atomic(dir, &path, &self.to_bytes()).map_err(|source| {
            BaselineError::Io {
                path: path.display().to_string(),
                source,
            }
        })
    }
}
