//! Settings that change how rules compile, from configuration.

use std::collections::BTreeMap;

/// Rule compilation settings (`[rules]` in the config file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleOptions {
    /// Values of `%name%` placeholders for the `expand` modifier, by name
    /// (without the `%`). A rule that uses an undefined placeholder is
    /// rejected, as the Sigma specification requires of tools that cannot
    /// resolve it.
    pub placeholders: BTreeMap<String, Vec<String>>,
}
