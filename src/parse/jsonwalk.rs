//! JSON plumbing shared by the JSON-based formats: reading one object per
//! line with borrowed strings, mapping serde errors to [`Reason`]s, and
//! flattening any object into dotted-path leaves without building a
//! `serde_json::Value`.
//!
//! Strings borrow from the line (`Cow::Borrowed`) unless they contain escapes.
//! Arrays do not add a path segment: every leaf under an array joins one list
//! per path (`spec.containers.image` = all images), as Elastic flattens
//! arrays of objects, so that a rule on the path matches any element.

use super::{ParseError, Reason};
use crate::event::{Event, Value};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The most leaves one flattened object contributes to an event; the rest are
/// parsed but dropped, and `<prefix>._truncated` is set. Keeps events with
/// huge objects (a `requestObject` listing, a 1 MB app log line) cheap for
/// every rule that looks up an extra.
pub(crate) const MAX_LEAVES: usize = 512;

/// Deserializes one JSON object from a whole line, borrowing strings from it.
pub(crate) fn from_line<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Result<T, ParseError> {
    expect_object(line)?;
    let mut de = serde_json::Deserializer::from_slice(line);
    let value = T::deserialize(&mut de).map_err(|e| json_error(&e, line))?;
    de.end().map_err(|e| json_error(&e, line))?;
    Ok(value)
}

/// Deserializes a JSON object held in a string (an AKS `properties.log`).
pub(crate) fn from_text<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, ParseError> {
    from_line(text.as_bytes())
}

/// Fails unless the first non-blank byte opens an object. Fragments of
/// pretty-printed JSON get their own reason, because the fix (`jq -c`) is
/// different from that of a corrupt line.
pub(crate) fn expect_object(line: &[u8]) -> Result<(), ParseError> {
    match line.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(i) if line[i] == b'{' => Ok(()),
        Some(i) if is_fragment(line) => Err(ParseError::at(Reason::MultilineJson, i)),
        Some(i) => Err(ParseError::at(Reason::BadJson, i)),
        None => Err(ParseError::at(Reason::Truncated, 0)),
    }
}

/// Whether a line looks like one line of pretty-printed JSON: a lone bracket,
/// a `"key": value,` member, an array's string element, or an object/array
/// opened but not closed on it.
pub(crate) fn is_fragment(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    let opens = |c: u8| t.first() == Some(&c);
    let ends = |c: u8| t.last() == Some(&c);
    matches!(
        t,
        b"{" | b"}" | b"[" | b"]" | b"}," | b"]," | b"{}" | b"[]" | b"{}," | b"[],"
    ) || (opens(b'"') && memchr::memmem::find(t, b"\":").is_some())
        || (opens(b'"') && t.len() > 1 && (t.ends_with(b"\"") || t.ends_with(b"\",")))
        || ((opens(b'{') || opens(b'[')) && (ends(b'{') || ends(b'[') || ends(b',')))
}

/// Maps a serde_json error on `line` to a reason and column.
pub(crate) fn json_error(e: &serde_json::Error, line: &[u8]) -> ParseError {
    use serde_json::error::Category;
    let col = e.column().saturating_sub(1);
    let reason = match e.classify() {
        Category::Eof if is_fragment(line) => Reason::MultilineJson,
        Category::Eof => Reason::Truncated,
        Category::Syntax if e.to_string().starts_with("trailing characters") => {
            Reason::TrailingGarbage
        }
        Category::Syntax | Category::Io => Reason::BadJson,
        Category::Data => Reason::WrongType,
    };
    ParseError::at(reason, col)
}

/// A flattened leaf value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Leaf<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A non-integer or huge number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Every value found under one path inside arrays (or repeated keys).
    List(Vec<Cow<'a, str>>),
}

impl<'a> Leaf<'a> {
    /// The leaf as text (the first element of a list).
    pub(crate) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Leaf::Str(s) => Some(s.clone()),
            Leaf::Int(i) => Some(Cow::Owned(i.to_string())),
            Leaf::Float(f) => Some(Cow::Owned(f.to_string())),
            Leaf::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Leaf::List(l) => l.first().cloned(),
        }
    }

    /// The leaf as an integer (integral floats and digit strings too).
    pub(crate) fn int(&self) -> Option<i64> {
        match self {
            Leaf::Int(i) => Some(*i),
            Leaf::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(*f as i64),
            Leaf::Str(s) => s.trim().parse().ok(),
            Leaf::List(l) => l.first()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// The leaf as a number.
    pub(crate) fn float(&self) -> Option<f64> {
        match self {
            Leaf::Int(i) => Some(*i as f64),
            Leaf::Float(f) => Some(*f),
            Leaf::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
            _ => None,
        }
    }

    /// The event value of the leaf.
    pub(crate) fn into_value(self) -> Value<'a> {
        match self {
            Leaf::Str(s) => Value::Str(s),
            Leaf::Int(i) => Value::Int(i),
            Leaf::Float(f) => Value::Float(f),
            Leaf::Bool(b) => Value::Bool(b),
            Leaf::List(l) => Value::List(l),
        }
    }

    /// Adds `other`'s values to this leaf, which becomes a list.
    fn absorb(&mut self, other: Leaf<'a>) {
        let mut list = match std::mem::replace(self, Leaf::Bool(false)) {
            Leaf::List(l) => l,
            one => one.text().into_iter().collect(),
        };
        match other {
            Leaf::List(l) => list.extend(l),
            one => list.extend(one.text()),
        }
        *self = Leaf::List(list);
    }
}

/// Dotted-path leaves of one or more flattened objects.
#[derive(Debug)]
pub(crate) struct Flat<'a> {
    /// `(path, value)` in document order; unique after [`Flat::dedup`].
    pub leaves: Vec<(Cow<'a, str>, Leaf<'a>)>,
    /// Some leaves were dropped at [`MAX_LEAVES`].
    pub truncated: bool,
    limit: usize,
    path: String,
    /// Top-level keys of an unprefixed walk are the paths themselves and can
    /// borrow from the line instead of being copied.
    root_len: usize,
    depth: usize,
}

impl<'a> Flat<'a> {
    /// An empty set with room for `limit` leaves.
    pub(crate) fn new(limit: usize) -> Self {
        Flat {
            leaves: Vec::new(),
            truncated: false,
            limit,
            path: String::new(),
            root_len: 0,
            depth: 0,
        }
    }

    /// Flattens the object of a whole line (no prefix).
    pub(crate) fn walk_line(&mut self, line: &'a [u8]) -> Result<(), ParseError> {
        expect_object(line)?;
        let mut de = serde_json::Deserializer::from_slice(line);
        self.walk_with("", &mut de)
            .map_err(|e| json_error(&e, line))?;
        de.end().map_err(|e| json_error(&e, line))
    }

    /// Flattens an object (or an array of objects) held as raw JSON, every
    /// path under `prefix.`; a scalar adds nothing.
    pub(crate) fn walk_raw(&mut self, prefix: &str, raw: &'a RawValue) {
        let text = raw.get();
        if !(text.starts_with('{') || text.starts_with('[')) {
            return;
        }
        let mut de = serde_json::Deserializer::from_str(text);
        // The text was validated when the RawValue was read.
        let _ = self.walk_with(prefix, &mut de);
    }

    fn walk_with<D: de::Deserializer<'a>>(&mut self, prefix: &str, de: D) -> Result<(), D::Error> {
        self.path.clear();
        self.path.push_str(prefix);
        self.root_len = prefix.len();
        self.depth = 0;
        de.deserialize_any(Node {
            flat: self,
            top: None,
        })
    }

    fn push(&mut self, top: Option<Cow<'a, str>>, leaf: Leaf<'a>) {
        if self.depth == 0 && top.is_none() {
            // A scalar outside any object (in a top-level array) has no key;
            // its path would be the bare prefix, which callers use for the
            // raw text.
            return;
        }
        if self.leaves.len() >= self.limit {
            self.truncated = true;
            return;
        }
        let name = top.unwrap_or_else(|| Cow::Owned(self.path.clone()));
        self.leaves.push((name, leaf));
    }

    /// Merges leaves with the same path (arrays, repeated keys, `a.b` next to
    /// `{"a":{"b":…}}`) into one list at the first one's place.
    pub(crate) fn dedup(&mut self) {
        let n = self.leaves.len();
        if n < 2 {
            return;
        }
        let leaves = &self.leaves;
        // Most objects are small and have no repeated path: checking pairs
        // is cheaper than sorting then.
        if n <= 24 && !(1..n).any(|i| leaves[..i].iter().any(|(a, _)| *a == leaves[i].0)) {
            return;
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| leaves[a].0.cmp(&leaves[b].0).then(a.cmp(&b)));
        let mut first_of = vec![usize::MAX; n];
        let mut any = false;
        for w in order.windows(2) {
            if leaves[w[0]].0 == leaves[w[1]].0 {
                first_of[w[1]] = if first_of[w[0]] == usize::MAX {
                    w[0]
                } else {
                    first_of[w[0]]
                };
                any = true;
            }
        }
        if !any {
            return;
        }
        let mut slots: Vec<Option<(Cow<'a, str>, Leaf<'a>)>> = std::mem::take(&mut self.leaves)
            .into_iter()
            .map(Some)
            .collect();
        for (i, &first) in first_of.iter().enumerate() {
            if first == usize::MAX {
                continue;
            }
            if let Some((_, leaf)) = slots[i].take()
                && let Some((_, into)) = slots[first].as_mut()
            {
                into.absorb(leaf);
            }
        }
        self.leaves = slots.into_iter().flatten().collect();
    }

    /// Deduplicates and appends every leaf to the event's extras, plus
    /// `<marker>` = true when leaves were dropped.
    pub(crate) fn into_extras(mut self, ev: &mut Event<'a>, marker: &'static str) {
        self.dedup();
        for (name, leaf) in self.leaves {
            ev.push_extra(name, leaf.into_value());
        }
        if self.truncated {
            ev.push_extra(marker, Value::Bool(true));
        }
    }
}

/// One value being walked; `top` is its key when it sits at the root of an
/// unprefixed walk.
struct Node<'f, 'a> {
    flat: &'f mut Flat<'a>,
    top: Option<Cow<'a, str>>,
}

impl<'de, 'f> DeserializeSeed<'de> for Node<'f, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'f> Visitor<'de> for Node<'f, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.flat.push(self.top, Leaf::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.flat.push(self.top, Leaf::Int(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        let leaf = i64::try_from(v).map_or(Leaf::Float(v as f64), Leaf::Int);
        self.flat.push(self.top, leaf);
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.flat.push(self.top, Leaf::Float(v));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.flat.push(self.top, Leaf::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.flat
            .push(self.top, Leaf::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.flat.push(self.top, Leaf::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let flat = self.flat;
        flat.depth += 1;
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let len = flat.path.len();
            let at_root = flat.depth == 1 && flat.root_len == 0;
            if !(at_root && len == 0) {
                flat.path.push('.');
            }
            flat.path.push_str(&key);
            let top = at_root.then_some(key);
            map.next_value_seed(Node {
                flat: &mut *flat,
                top,
            })?;
            flat.path.truncate(len);
        }
        flat.depth -= 1;
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let flat = self.flat;
        while seq
            .next_element_seed(Node {
                flat: &mut *flat,
                top: self.top.clone(),
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// An object key, borrowed from the line when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// A field read leniently: any scalar, or nothing for `null`, objects and
/// arrays. For fields producers write with varying types (`"readOnly":
/// "false"` next to `false`), where a type mismatch should not cost the event.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Loose<'a> {
    /// `null`, an object or an array.
    #[default]
    None,
    /// A scalar.
    Some(Leaf<'a>),
}

impl<'a> Loose<'a> {
    /// The scalar as text.
    pub(crate) fn text(&self) -> Option<Cow<'a, str>> {
        match self {
            Loose::Some(l) => l.text(),
            Loose::None => None,
        }
    }
    /// The scalar as a boolean (`true`/`false` in any case also as text).
    pub(crate) fn bool(&self) -> Option<bool> {
        match self {
            Loose::Some(Leaf::Bool(b)) => Some(*b),
            Loose::Some(Leaf::Str(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Loose::Some(Leaf::Str(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor(std::marker::PhantomData))
    }
}

struct LooseVisitor<'a>(std::marker::PhantomData<Loose<'a>>);

impl<'de: 'a, 'a> Visitor<'de> for LooseVisitor<'a> {
    type Value = Loose<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(
            i64::try_from(v).map_or(Leaf::Float(v as f64), Leaf::Int),
        ))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Float(v)))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Str(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Loose<'a>, E> {
        Ok(Loose::Some(Leaf::Str(Cow::Owned(v))))
    }
    fn visit_unit<E>(self) -> Result<Loose<'a>, E> {
        Ok(Loose::None)
    }
    fn visit_none<E>(self) -> Result<Loose<'a>, E> {
        Ok(Loose::None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Loose<'a>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose<'a>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose<'a>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::None)
    }
}

/// A list of strings read leniently: a single string is a list of one, and
/// elements that are not strings are skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct StrList<'a>(pub Vec<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for StrList<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut flat: Flat<'de> = Flat::new(MAX_LEAVES);
        d.deserialize_any(Node {
            flat: &mut flat,
            top: Some(Cow::Borrowed("")),
        })?;
        Ok(StrList(
            flat.leaves
                .into_iter()
                .filter_map(|(_, l)| match l {
                    Leaf::Str(s) => Some(s as Cow<'a, str>),
                    _ => None,
                })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Format;

    fn flat(line: &str) -> Vec<(String, String)> {
        let mut f = Flat::new(MAX_LEAVES);
        f.walk_line(line.as_bytes()).unwrap();
        f.dedup();
        f.leaves
            .into_iter()
            .map(|(n, l)| (n.into_owned(), l.into_value().to_string()))
            .collect()
    }

    #[test]
    fn flattens_nested_arrays_and_dotted_keys() {
        let got = flat(
            r#"{"a":1,"b":{"c":"x","d":[1,2]},"e":[{"f":"p"},{"f":"q","g":null}],"b.c":"y","h":true,"i":1.5}"#,
        );
        let want = [
            ("a", "1"),
            ("b.c", "x,y"),
            ("b.d", "1,2"),
            ("e.f", "p,q"),
            ("h", "true"),
            ("i", "1.5"),
        ];
        let got: Vec<(&str, &str)> = got.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn top_level_keys_and_strings_borrow() {
        let line = br#"{"key":"value","esc\"aped":"a\nb"}"#;
        let mut f = Flat::new(MAX_LEAVES);
        f.walk_line(line).unwrap();
        assert!(matches!(f.leaves[0].0, Cow::Borrowed("key")));
        assert!(matches!(f.leaves[0].1, Leaf::Str(Cow::Borrowed("value"))));
        assert!(matches!(f.leaves[1].0, Cow::Owned(_)));
    }

    #[test]
    fn prefixed_raw_walk_and_limit() {
        let raw: &RawValue = serde_json::from_str(r#"{"x":{"y":[1,2,3]},"z":"w"}"#).unwrap();
        let mut f = Flat::new(2);
        f.walk_raw("p", raw);
        let mut ev = Event::new(Format::Json, Default::default());
        f.into_extras(&mut ev, "p._truncated");
        let names: Vec<_> = ev.extras().map(|(n, v)| format!("{n}={v}")).collect();
        assert_eq!(names, ["p.x.y=1,2", "p._truncated=true"]);
    }

    #[test]
    fn errors_have_reasons() {
        let r = |l: &str| {
            let mut f = Flat::new(MAX_LEAVES);
            f.walk_line(l.as_bytes()).unwrap_err().reason
        };
        assert_eq!(r(r#"{"a":1"#), Reason::Truncated);
        assert_eq!(r(r#"{"a":1} x"#), Reason::TrailingGarbage);
        assert_eq!(r(r#"[1,2]"#), Reason::BadJson);
        assert_eq!(r(r#"  "eventName": "GetObject","#), Reason::MultilineJson);
        assert_eq!(r(r#"{"Records": ["#), Reason::MultilineJson);
        assert_eq!(r("}"), Reason::MultilineJson);
        assert_eq!(r("{\"a\":\"\u{1}\"}"), Reason::BadJson);
        assert_eq!(r("\u{0}\u{1}garbage"), Reason::BadJson);
    }
}
