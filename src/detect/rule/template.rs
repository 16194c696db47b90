//! `x-picket-message` templates: `Bulk read of {db.name} by {user.name}`.
//!
//! Placeholders name fields the same way detection does (taxonomy names,
//! SPEC names, extras), resolved once at compile time. An absent field
//! renders as `-`, the access-log convention for "no value". `{{` and `}}`
//! stand for literal braces.

use super::mapping::{FieldRef, Taxonomy, resolve_field};
use crate::event::Event;

/// A compiled message template.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    parts: Box<[Part]>,
}

#[derive(Clone, Debug)]
enum Part {
    Lit(Box<str>),
    Field(FieldRef),
}

/// A template error at a byte offset of the template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    /// Parses a template, resolving field names under a rule's taxonomy.
    pub fn parse(s: &str, taxonomy: Option<Taxonomy>) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, d) in chars.by_ref() {
                        if d == '}' {
                            closed = true;
                            break;
                        }
                        name.push(d);
                    }
                    let err = |message: &str| TemplateError {
                        offset: i,
                        message: message.into(),
                    };
                    if !closed {
                        return Err(err(
                            "unclosed `{` in message template (write `{{` for a literal brace)",
                        ));
                    }
                    let name = name.trim();
                    if name.is_empty() || name.contains('{') {
                        return Err(err(
                            "expected a field name inside `{…}` in message template",
                        ));
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit).into()));
                    }
                    parts.push(Part::Field(resolve_field(name, taxonomy)));
                }
                '}' => {
                    return Err(TemplateError {
                        offset: i,
                        message:
                            "unmatched `}` in message template (write `}}` for a literal brace)"
                                .into(),
                    });
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit.into()));
        }
        Ok(Template {
            parts: parts.into(),
        })
    }

    /// Renders the template for an event.
    pub fn render(&self, event: &Event<'_>) -> String {
        let mut out = String::new();
        for part in self.parts.iter() {
            match part {
                Part::Lit(s) => out.push_str(s),
                Part::Field(f) => match f.display(event) {
                    Some(v) => out.push_str(&v),
                    None => out.push('-'),
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Field, Value};
    use crate::parse::Format;

    #[test]
    fn renders_fields_and_dashes() {
        let mut ev = Event::new(Format::Combined, Default::default());
        ev.set_str(Field::DbName, "acme_customers");
        ev.set(Field::HttpResponseStatusCode, Value::Int(200));
        let t = Template::parse(
            "Bulk read of {db.name} by {user.name} ({sc-status}) {{x}}",
            Some(Taxonomy::Web),
        )
        .unwrap();
        assert_eq!(t.render(&ev), "Bulk read of acme_customers by - (200) {x}");
    }

    #[test]
    fn errors() {
        assert_eq!(Template::parse("a {b", None).unwrap_err().offset, 2);
        assert_eq!(Template::parse("a {} b", None).unwrap_err().offset, 2);
        assert_eq!(Template::parse("a } b", None).unwrap_err().offset, 2);
    }
}
