//! Sigma rules. (Placeholder with the final API; the compiled engine lands from the `rules` branch.)

use crate::alert::RuleInfo;
use crate::event::Event;
use std::path::PathBuf;
use std::sync::Arc;

/// A rule error.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{col}: {message}")]
pub struct RuleError {
    /// File.
    pub path: String,
    /// Line.
    pub line: usize,
    /// Column.
    pub col: usize,
    /// Message.
    pub message: String,
}

/// Compiled rules.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
}

/// One compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    /// Identity.
    pub info: Arc<RuleInfo>,
}

impl CompiledRule {
    /// Alert message.
    pub fn message(&self, _ev: &Event<'_>) -> String {
        self.info.title.clone()
    }
    /// Alert entity.
    pub fn entity(&self, _ev: &Event<'_>) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Scratch.
#[derive(Debug, Default)]
pub struct RuleScratch;

impl RuleSet {
    /// Built-in rules.
    pub fn builtin() -> Result<RuleSet, Vec<RuleError>> {
        Ok(RuleSet::default())
    }
    /// Loads rules.
    pub fn load(_paths: &[PathBuf], _include_builtin: bool) -> Result<RuleSet, Vec<RuleError>> {
        Ok(RuleSet::default())
    }
    /// Rules.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }
    /// Scratch.
    pub fn new_scratch(&self) -> RuleScratch {
        RuleScratch
    }
    /// Evaluate.
    pub fn evaluate(&self, _ev: &Event<'_>, _s: &mut RuleScratch, _hits: &mut Vec<usize>) {}
}
