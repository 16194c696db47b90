//! A compiled rule: identity, where it came from, and its typed detection.

use super::examples::Examples;
use super::mapping::{Applicability, FieldRef};
use super::template::Template;
use super::tree::Tree;
use crate::alert::RuleInfo;
use crate::event::{Event, Field};
use crate::parse::Format;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a rule was defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSource {
    /// The rule file (`detections/…` for built-in rules).
    pub path: Arc<Path>,
    /// 1-based line where the rule's document starts.
    pub line: u64,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// A rule's Sigma `logsource`, as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSource {
    /// `category`, e.g. `webserver`.
    pub category: Option<String>,
    /// `product`, e.g. `picket`, `linux`.
    pub product: Option<String>,
    /// `service`, e.g. `auditd`.
    pub service: Option<String>,
}

/// Descriptive Sigma fields, kept for `picket rules list` and reports.
#[derive(Clone, Debug, Default)]
pub(crate) struct RuleMeta {
    pub status: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    pub fields: Vec<String>,
    pub logsource: LogSource,
}

/// One loaded and compiled rule. Immutable; shared by every thread.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    /// Identity that alerts carry.
    pub info: Arc<RuleInfo>,
    /// File and line the rule came from.
    pub source: RuleSource,
    pub(crate) meta: RuleMeta,
    pub(crate) applies: Applicability,
    pub(crate) tree: Tree,
    /// Whether the rule can only match when the prefilter found one of its
    /// literals (see [`Tree::needs_hit`]).
    pub(crate) needs_hit: bool,
    /// Index of the rule's first leaf among all leaves of its rule set.
    pub(crate) leaf_base: u32,
    pub(crate) message: Option<Template>,
    /// `x-picket-entity`, resolved; `None`: the default fields.
    pub(crate) entity: Option<Box<[EntityField]>>,
    pub(crate) examples: Option<Examples>,
}

/// One `x-picket-entity` field: the name as written, and where it points.
pub(crate) type EntityField = (Box<str>, FieldRef);

/// Fields an alert's entity names when a rule does not say (`x-picket-entity`).
const DEFAULT_ENTITY: [Field; 3] = [Field::UserName, Field::SourceIp, Field::Tenant];

impl CompiledRule {
    /// The alert message for an event: the rule's `x-picket-message`
    /// template with absent fields as `-`, else its title.
    pub fn message(&self, event: &Event<'_>) -> String {
        match &self.message {
            Some(t) => t.render(event),
            None => self.info.title.clone(),
        }
    }

    /// Who or what an alert for this event is about: the fields named by
    /// `x-picket-entity` (default `user.name`, `source.ip`, `tenant`) that
    /// are present in the event, in that order, as (name, value) pairs.
    pub fn entity(&self, event: &Event<'_>) -> Vec<(String, String)> {
        let Some(entity) = &self.entity else {
            return DEFAULT_ENTITY
                .iter()
                .filter_map(|f| {
                    FieldRef::Slot(*f)
                        .display(event)
                        .map(|v| (f.name().to_owned(), v))
                })
                .collect();
        };
        entity
            .iter()
            .filter_map(|(name, f)| f.display(event).map(|v| (name.to_string(), v)))
            .collect()
    }

    /// The formats this rule is evaluated on (from its `logsource`).
    pub fn formats(&self) -> impl Iterator<Item = Format> + '_ {
        self.applies.formats.iter()
    }

    /// Whether the rule is evaluated on events of a format.
    pub fn applies_to(&self, format: Format) -> bool {
        self.applies.formats.contains(format)
    }

    /// The rule's `logsource`.
    pub fn logsource(&self) -> &LogSource {
        &self.meta.logsource
    }

    /// Sigma `status` (`stable`, `test`, `experimental`, …), if given.
    pub fn status(&self) -> Option<&str> {
        self.meta.status.as_deref()
    }

    /// Sigma `description`, if given.
    pub fn description(&self) -> Option<&str> {
        self.meta.description.as_deref()
    }

    /// Sigma `author`, if given.
    pub fn author(&self) -> Option<&str> {
        self.meta.author.as_deref()
    }

    /// Sigma `references`.
    pub fn references(&self) -> &[String] {
        &self.meta.references
    }

    /// Sigma `falsepositives`.
    pub fn falsepositives(&self) -> &[String] {
        &self.meta.falsepositives
    }

    /// Sigma `fields`: what an analyst should look at.
    pub fn fields(&self) -> &[String] {
        &self.meta.fields
    }

    /// Whether the rule carries `x-picket-tests` examples.
    pub fn has_examples(&self) -> bool {
        self.examples.is_some()
    }
}
