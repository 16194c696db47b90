//! Settings that change how rules compile, from configuration.

use crate::parse::Format;
use std::collections::BTreeMap;

/// Rule compilation settings (`[rules]` in the config file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// Values of `%name%` placeholders for the `expand` modifier, by name
    /// (without the `%`). A rule that uses an undefined placeholder is
    /// rejected, as the Sigma specification requires of tools that cannot
    /// resolve it.
    pub placeholders: BTreeMap<String, Vec<String>>,
    /// Overrides of the built-in log-source table: `category:proxy`,
    /// `product:nginx`, `service:auditd` (lower case) → the formats rules
    /// with that logsource key are evaluated on.
    pub logsource_formats: BTreeMap<String, Vec<Format>>,
}

impl RuleOptions {
    /// Adds a log-source override from its config form (`category:proxy`
    /// and format names); `Err` says what is wrong.
    pub fn set_logsource_formats(&mut self, key: &str, formats: &[String]) -> Result<(), String> {
        let (k, v) = key
            .split_once(':')
            .filter(|(k, v)| matches!(*k, "category" | "product" | "service") && !v.is_empty())
            .ok_or_else(|| {
                format!("`{key}`: write `category:NAME`, `product:NAME` or `service:NAME`")
            })?;
        let formats = formats
            .iter()
            .map(|f| Format::from_name(f).ok_or_else(|| format!("`{key}`: unknown format `{f}`")))
            .collect::<Result<Vec<_>, _>>()?;
        self.logsource_formats
            .insert(format!("{k}:{}", v.to_ascii_lowercase()), formats);
        Ok(())
    }
}
