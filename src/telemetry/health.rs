//! What `/healthz` reports: the problems components have right now.
//!
//! Components set a problem under a stable key (`sink/webhook`,
//! `source/nginx`, `checkpoint`) when something fails and clear it when it
//! works again. Healthy means no problem is set. Reasons are short texts
//! from picket itself (error kinds, counts, configured names), never
//! log-line content.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared set of current problems.
#[derive(Debug, Clone, Default)]
pub struct Health {
    problems: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Health {
    /// No problems.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or updates) the problem of `component`.
    pub fn set(&self, component: &str, reason: &str) {
        let mut p = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        p.insert(component.to_string(), reason.to_string());
    }

    /// `component` works again.
    pub fn clear(&self, component: &str) {
        let mut p = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        p.remove(component);
    }

    /// The current problems, by component.
    pub fn problems(&self) -> BTreeMap<String, String> {
        self.problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The `/healthz` answer: healthy or not, and a JSON body.
    pub fn report(&self) -> (bool, String) {
        let problems = self.problems();
        let body = if problems.is_empty() {
            serde_json::json!({"status": "ok"})
        } else {
            serde_json::json!({"status": "unhealthy", "problems": problems})
        };
        (problems.is_empty(), body.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_until_a_problem_is_set_and_again_once_cleared() {
        let h = Health::new();
        assert_eq!(h.report(), (true, r#"{"status":"ok"}"#.to_string()));
        h.clone().set("sink/webhook", "HTTP 500 (3 attempts)");
        let (ok, body) = h.report();
        assert!(!ok);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["problems"]["sink/webhook"], "HTTP 500 (3 attempts)");
        h.clear("sink/webhook");
        assert!(h.report().0);
    }
}
