//! The JSON shape of an alert (SPEC §6).
//!
//! Hand-written `Serialize` because the shape nests `log.file.path` and
//! flattens `entity` into an ordered object, which derive cannot express.

use super::{Alert, LogRef, Window};
use serde::ser::{Serialize, SerializeMap, Serializer};

struct Entity<'a>(&'a [(String, String)]);

impl Serialize for Entity<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct File<'a>(&'a str);

impl Serialize for File<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("path", self.0)?;
        m.end()
    }
}

struct Log<'a> {
    log: &'a LogRef,
    first: Option<&'a LogRef>,
}

impl Serialize for Log<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("file", &File(&self.log.path))?;
        m.serialize_entry("line", &self.log.line)?;
        m.serialize_entry("offset", &self.log.offset)?;
        if let Some(first) = self.first {
            m.serialize_entry(
                "first",
                &Log {
                    log: first,
                    first: None,
                },
            )?;
        }
        m.end()
    }
}

impl Serialize for Window {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(t) = self.start {
            m.serialize_entry("start", &t.to_string())?;
        }
        if let Some(t) = self.end {
            m.serialize_entry("end", &t.to_string())?;
        }
        m.serialize_entry("count", &self.count)?;
        if let Some(d) = self.distinct {
            m.serialize_entry("distinct", &d)?;
        }
        if let Some(x) = self.sum {
            m.serialize_entry("sum", &x)?;
        }
        m.end()
    }
}

impl Serialize for Alert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(t) = self.timestamp {
            m.serialize_entry("@timestamp", &t.to_string())?;
        }
        m.serialize_entry("rule", &*self.rule)?;
        m.serialize_entry("kind", &self.kind)?;
        m.serialize_entry("entity", &Entity(&self.entity))?;
        if !self.pi.is_empty() {
            m.serialize_entry("pi", &self.pi)?;
        }
        if let Some(w) = &self.window {
            m.serialize_entry("window", w)?;
        }
        m.serialize_entry(
            "log",
            &Log {
                log: &self.log,
                first: self.first.as_ref(),
            },
        )?;
        m.serialize_entry("message", &self.message)?;
        if self.suppressed > 0 {
            m.serialize_entry("suppressed", &self.suppressed)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn shape_matches_spec() {
        let a = Alert {
            timestamp: Some(Timestamp::from_unix(1_772_438_401, 0)),
            rule: Arc::new(RuleInfo {
                id: "pi-in-doc-id".into(),
                title: "PI in document id".into(),
                level: Level::High,
                tags: vec!["attack.collection".into()],
            }),
            kind: AlertKind::Match,
            entity: vec![("user.name".into(), "app-7".into())],
            pi: vec![],
            window: None,
            log: LogRef {
                path: "samples/couchdb.log".into(),
                line: 17,
                offset: 900,
            },
            first: None,
            message: "m".into(),
            suppressed: 0,
        };
        let v: serde_json::Value = serde_json::from_str(&a.to_json_line()).unwrap();
        assert_eq!(v["@timestamp"], "2026-03-02T08:00:01Z");
        assert_eq!(v["rule"]["id"], "pi-in-doc-id");
        assert_eq!(v["rule"]["level"], "high");
        assert_eq!(v["kind"], "match");
        assert_eq!(v["entity"]["user.name"], "app-7");
        assert_eq!(v["log"]["file"]["path"], "samples/couchdb.log");
        assert_eq!(v["log"]["line"], 17);
        assert!(v.get("pi").is_none() && v.get("window").is_none());
    }
}
