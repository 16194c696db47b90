//! Normalized events (SPEC §3).
//!
//! An [`Event`] is what every parser produces and every detector reads. It
//! borrows its text from the line it was parsed from (lifetime `'a`), so
//! parsing a line allocates nothing unless a value had to be unescaped.
//! Well-known fields live in fixed slots indexed by [`Field`]; format-specific
//! fields (`auditd.*`, `cloudtrail.*`, …) live in a small list of extras.

mod field;
mod json;
mod timestamp;
mod value;

pub use field::Field;
pub use json::event_to_json;
pub use timestamp::{Timestamp, civil_from_days, days_from_civil};
pub use value::Value;

use crate::detect::pi::PiFinding;
use crate::parse::Format;
use crate::source::FileId;
use std::borrow::Cow;

/// Where an event came from: which input, which line, which byte offset.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Origin {
    /// The input file (see [`crate::source::FileTable`]).
    pub file: FileId,
    /// 1-based line number within the input.
    pub line: u64,
    /// Byte offset of the line's first byte within the (decompressed) input.
    pub offset: u64,
}

/// One normalized event.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// `@timestamp`, when the input had one.
    pub timestamp: Option<Timestamp>,
    /// `event.dataset`: the format the line was parsed as.
    pub format: Format,
    /// `log.file.path` / `log.line` / `log.offset`.
    pub origin: Origin,
    slots: [Option<Value<'a>>; Field::COUNT],
    extra: Vec<(Cow<'a, str>, Value<'a>)>,
    /// `pi`: personal information found in the event's fields.
    pub pi: Vec<PiFinding>,
}

impl<'a> Event<'a> {
    /// An empty event of a format at an origin.
    pub fn new(format: Format, origin: Origin) -> Self {
        Event {
            timestamp: None,
            format,
            origin,
            slots: [const { None }; Field::COUNT],
            extra: Vec::new(),
            pi: Vec::new(),
        }
    }

    /// The value of a well-known field.
    #[inline]
    pub fn get(&self, field: Field) -> Option<&Value<'a>> {
        self.slots[field as usize].as_ref()
    }

    /// The text of a well-known field, when it is text.
    #[inline]
    pub fn get_str(&self, field: Field) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    /// Sets a well-known field.
    #[inline]
    pub fn set(&mut self, field: Field, value: Value<'a>) {
        self.slots[field as usize] = Some(value);
    }

    /// Sets a well-known field to borrowed text.
    #[inline]
    pub fn set_str(&mut self, field: Field, value: &'a str) {
        self.set(field, Value::Str(Cow::Borrowed(value)));
    }

    /// Clears a well-known field.
    pub fn remove(&mut self, field: Field) -> Option<Value<'a>> {
        self.slots[field as usize].take()
    }

    /// Sets a format-specific field such as `auditd.syscall`.
    pub fn set_extra(&mut self, name: impl Into<Cow<'a, str>>, value: Value<'a>) {
        let name = name.into();
        if let Some(slot) = self.extra.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.extra.push((name, value));
        }
    }

    /// Appends a format-specific field without looking for an existing one of
    /// the same name: for parsers that produce each name at most once, where
    /// [`set_extra`](Self::set_extra)'s search would make an event with many
    /// extras (flattened JSON) quadratic.
    pub fn push_extra(&mut self, name: impl Into<Cow<'a, str>>, value: Value<'a>) {
        let name = name.into();
        debug_assert!(
            self.extra.iter().all(|(n, _)| *n != name),
            "duplicate extra {name}"
        );
        self.extra.push((name, value));
    }

    /// A format-specific field by its full dotted name.
    pub fn get_extra(&self, name: &str) -> Option<&Value<'a>> {
        self.extra.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Any field by name: well-known ones first, then extras.
    pub fn get_by_name(&self, name: &str) -> Option<&Value<'a>> {
        match Field::from_name(name) {
            Some(f) => self.get(f),
            None => self.get_extra(name),
        }
    }

    /// Well-known fields that are set, in slot order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &Value<'a>)> {
        Field::ALL
            .iter()
            .zip(self.slots.iter())
            .filter_map(|(f, v)| v.as_ref().map(|v| (*f, v)))
    }

    /// Format-specific fields, in insertion order.
    pub fn extras(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.extra.iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// Detaches the event from the input buffer (for formats whose events
    /// span several lines, such as auditd).
    pub fn into_owned(self) -> Event<'static> {
        Event {
            timestamp: self.timestamp,
            format: self.format,
            origin: self.origin,
            slots: self.slots.map(|v| v.map(Value::into_owned)),
            extra: self
                .extra
                .into_iter()
                .map(|(n, v)| (Cow::Owned(n.into_owned()), v.into_owned()))
                .collect(),
            pi: self.pi,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_extras() {
        let mut ev = Event::new(Format::Combined, Origin::default());
        ev.set_str(Field::UrlPath, "/db/doc");
        ev.set(Field::HttpResponseStatusCode, Value::Int(200));
        ev.set_extra("auditd.syscall", Value::str("execve"));
        ev.set_extra("auditd.syscall", Value::str("open"));
        assert_eq!(ev.get_str(Field::UrlPath), Some("/db/doc"));
        assert_eq!(
            ev.get_by_name("http.response.status_code")
                .and_then(Value::as_i64),
            Some(200)
        );
        assert_eq!(
            ev.get_by_name("auditd.syscall").and_then(Value::as_str),
            Some("open")
        );
        assert_eq!(ev.extras().count(), 1);
        assert_eq!(ev.fields().count(), 2);
        let owned = ev.into_owned();
        assert_eq!(owned.get_str(Field::UrlPath), Some("/db/doc"));
    }
}
