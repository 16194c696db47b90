//! Sigma conditions: a tokenizer and a precedence parser into a tree.
//!
//! ```text
//! or    := and ('or' and)*
//! and   := not ('and' not)*
//! not   := 'not' not | atom
//! atom  := '(' or ')' | quant 'of' (pattern | 'them') | name
//! quant := '1' | 'any' | 'all'
//! ```
//!
//! `not` binds tighter than `and`, which binds tighter than `or`. Keywords
//! are case-insensitive. Patterns may use `*` (`1 of selection_*`); `them`
//! means every selection except those whose name starts with `_` (as in
//! pySigma). Aggregations (`| count() > 5`) are not Sigma conditions any
//! more (Sigma 2 moved them to correlation rules) and are rejected.
//!
//! Errors carry the byte offset inside the condition string, which the
//! loader turns into a column of the rule file.

/// How deeply parentheses and `not`s may nest: conditions come from files
/// we do not control, and the parser and evaluator recurse.
const MAX_DEPTH: usize = 64;

/// A parsed, unresolved condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A selection name, at its offset.
    Name(String, usize),
    /// `1 of pattern` (`all == false`) or `all of pattern`; `None` is `them`.
    Quant {
        all: bool,
        pattern: Option<String>,
        at: usize,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A condition error at a byte offset of the condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CondError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, CondError> {
    Err(CondError {
        offset,
        message: message.into(),
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok<'a> {
    Open,
    Close,
    Pipe,
    Word(&'a str),
}

fn tokenize(s: &str) -> Vec<(Tok<'_>, usize)> {
    let mut toks = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => toks.push((Tok::Open, i)),
            ')' => toks.push((Tok::Close, i)),
            '|' => toks.push((Tok::Pipe, i)),
            _ => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '|') {
                        break;
                    }
                    end = j + d.len_utf8();
                    chars.next();
                }
                toks.push((Tok::Word(s.get(i..end).unwrap_or_default()), i));
            }
        }
    }
    toks
}

fn is_kw(word: &str, kw: &str) -> bool {
    word.eq_ignore_ascii_case(kw)
}

fn describe(tok: Option<&(Tok<'_>, usize)>) -> String {
    match tok {
        None => "the end".into(),
        Some((Tok::Open, _)) => "`(`".into(),
        Some((Tok::Close, _)) => "`)`".into(),
        Some((Tok::Pipe, _)) => "`|`".into(),
        Some((Tok::Word(w), _)) => format!("`{w}`"),
    }
}

struct Parser<'a> {
    toks: Vec<(Tok<'a>, usize)>,
    pos: usize,
    len: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&(Tok<'a>, usize)> {
        self.toks.get(self.pos)
    }

    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some((Tok::Word(w), _)) if is_kw(w, kw))
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.len, |t| t.1)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, CondError> {
        let mut parts = vec![self.and(depth)?];
        while self.peek_kw("or") {
            self.pos += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, CondError> {
        let mut parts = vec![self.not(depth)?];
        while self.peek_kw("and") {
            self.pos += 1;
            parts.push(self.not(depth)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Expr, CondError> {
        if depth > MAX_DEPTH {
            return err(
                self.offset(),
                format!("condition nests deeper than {MAX_DEPTH} levels"),
            );
        }
        if self.peek_kw("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not(depth + 1)?)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr, CondError> {
        let at = self.offset();
        let expected = "expected a selection name, `not`, `(`, `1 of` or `all of`";
        match self.toks.get(self.pos).cloned() {
            Some((Tok::Open, _)) => {
                self.pos += 1;
                let inner = self.or(depth + 1)?;
                match self.peek() {
                    Some((Tok::Close, _)) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    other => err(
                        at,
                        format!("unclosed `(`: expected `)`, found {}", describe(other)),
                    ),
                }
            }
            Some((Tok::Word(w), _)) if self.is_quantifier(w) => self.quant(w, at),
            Some((Tok::Word(w), _)) if ["and", "or", "of", "them"].iter().any(|k| is_kw(w, k)) => {
                err(at, format!("{expected}, found `{w}`"))
            }
            Some((Tok::Word(w), _)) => {
                self.pos += 1;
                if w.contains('*') {
                    return err(
                        at,
                        format!("`{w}` is a pattern: write `1 of {w}` or `all of {w}`"),
                    );
                }
                Ok(Expr::Name(w.to_owned(), at))
            }
            Some((Tok::Pipe, _)) => err(at, AGGREGATION),
            other => err(
                at,
                format!("{expected}, found {}", describe(other.as_ref())),
            ),
        }
    }

    /// `N of`, `any of`, `all of`: a word followed by `of`.
    fn is_quantifier(&self, w: &str) -> bool {
        let next_is_of =
            matches!(self.toks.get(self.pos + 1), Some((Tok::Word(o), _)) if is_kw(o, "of"));
        next_is_of && (w.bytes().all(|b| b.is_ascii_digit()) || is_kw(w, "all") || is_kw(w, "any"))
    }

    fn quant(&mut self, w: &str, at: usize) -> Result<Expr, CondError> {
        let all = is_kw(w, "all");
        if !all && !is_kw(w, "any") && w != "1" {
            return err(
                at,
                format!("`{w} of` is not supported: use `1 of` or `all of`"),
            );
        }
        self.pos += 2; // quantifier and `of`
        let pattern = match self.toks.get(self.pos).cloned() {
            Some((Tok::Word(t), _)) if is_kw(t, "them") => None,
            Some((Tok::Word(t), _)) if !["and", "or", "not", "of"].iter().any(|k| is_kw(t, k)) => {
                Some(t.to_owned())
            }
            other => {
                let found = describe(other.as_ref());
                return err(
                    self.offset(),
                    format!("expected a selection pattern or `them` after `of`, found {found}"),
                );
            }
        };
        self.pos += 1;
        Ok(Expr::Quant { all, pattern, at })
    }
}

const AGGREGATION: &str =
    "aggregations (`| count() …`) are not supported: Sigma 2 expresses them as correlation rules";

/// Parses a condition string.
pub(crate) fn parse(s: &str) -> Result<Expr, CondError> {
    let mut p = Parser {
        toks: tokenize(s),
        pos: 0,
        len: s.len(),
    };
    if p.toks.is_empty() {
        return err(0, "empty condition");
    }
    let expr = p.or(0)?;
    match p.peek() {
        None => Ok(expr),
        Some((Tok::Pipe, at)) => err(*at, AGGREGATION),
        Some(t @ (_, at)) => err(
            *at,
            format!(
                "unexpected {} after a complete condition (missing `and`/`or`?)",
                describe(Some(t))
            ),
        ),
    }
}

/// A condition over selection indices, ready to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Sel(u32),
    Not(Box<Cond>),
    And(Box<[Cond]>),
    Or(Box<[Cond]>),
}

/// Matches a selection name against a `*` pattern.
fn name_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let mut tail: Vec<&str> = parts.collect();
    let Some(last) = tail.pop() else {
        return rest.is_empty();
    };
    for mid in tail {
        match rest.find(mid) {
            Some(i) => rest = rest.get(i + mid.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Resolves names and patterns against the rule's selection names.
pub(crate) fn resolve(expr: &Expr, names: &[&str]) -> Result<Cond, CondError> {
    Ok(match expr {
        Expr::Name(n, at) => match names.iter().position(|s| s == n) {
            Some(i) => Cond::Sel(i as u32),
            None => return err(*at, format!("unknown selection `{n}`")),
        },
        Expr::Quant { all, pattern, at } => {
            let picked: Box<[Cond]> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| match pattern {
                    Some(p) => name_matches(p, n),
                    None => !n.starts_with('_'),
                })
                .map(|(i, _)| Cond::Sel(i as u32))
                .collect();
            if picked.is_empty() {
                let what = pattern.as_deref().unwrap_or("them");
                return err(*at, format!("`{what}` matches no selection"));
            }
            if *all {
                Cond::And(picked)
            } else {
                Cond::Or(picked)
            }
        }
        Expr::Not(e) => Cond::Not(Box::new(resolve(e, names)?)),
        Expr::And(es) => Cond::And(
            es.iter()
                .map(|e| resolve(e, names))
                .collect::<Result<_, _>>()?,
        ),
        Expr::Or(es) => Cond::Or(
            es.iter()
                .map(|e| resolve(e, names))
                .collect::<Result<_, _>>()?,
        ),
    })
}

impl Cond {
    /// Evaluates the condition, asking `sel` for each selection it needs.
    pub fn eval(&self, sel: &mut impl FnMut(u32) -> bool) -> bool {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => !c.eval(sel),
            Cond::And(cs) => cs.iter().all(|c| c.eval(sel)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(sel)),
        }
    }

    /// Three-valued (Kleene) evaluation: `None` is unknown. A `Some(false)`
    /// result holds whatever the unknown selections turn out to be.
    pub fn eval3(&self, sel: &impl Fn(u32) -> Option<bool>) -> Option<bool> {
        match self {
            Cond::Sel(i) => sel(*i),
            Cond::Not(c) => c.eval3(sel).map(|b| !b),
            Cond::And(cs) => and3(cs.iter().map(|c| c.eval3(sel))),
            Cond::Or(cs) => or3(cs.iter().map(|c| c.eval3(sel))),
        }
    }
}

/// Kleene AND: false wins, then unknown.
pub(crate) fn and3(vals: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(true);
    for v in vals {
        match v {
            Some(false) => return Some(false),
            None => out = None,
            Some(true) => {}
        }
    }
    out
}

/// Kleene OR: true wins, then unknown.
pub(crate) fn or3(vals: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    and3(vals.into_iter().map(|v| v.map(|b| !b))).map(|b| !b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(e: &Expr) -> String {
        match e {
            Expr::Name(n, _) => n.clone(),
            Expr::Quant { all, pattern, .. } => {
                format!(
                    "{}({})",
                    if *all { "all" } else { "any" },
                    pattern.as_deref().unwrap_or("them")
                )
            }
            Expr::Not(e) => format!("!{}", show(e)),
            Expr::And(es) => format!("({})", es.iter().map(show).collect::<Vec<_>>().join(" & ")),
            Expr::Or(es) => format!("({})", es.iter().map(show).collect::<Vec<_>>().join(" | ")),
        }
    }

    #[test]
    fn precedence_and_forms() {
        let cases = [
            ("selection", "selection"),
            ("a or b and c", "(a | (b & c))"),
            ("not a and b", "(!a & b)"),
            ("not (a or b)", "!(a | b)"),
            ("a AND NOT b OR c", "((a & !b) | c)"),
            (
                "1 of sel_* and not all of filter*",
                "(any(sel_*) & !all(filter*))",
            ),
            ("all of them", "all(them)"),
            ("any of them", "any(them)"),
            ("((a))", "a"),
            ("a and (b or c) and not d", "(a & (b | c) & !d)"),
        ];
        for (src, want) in cases {
            assert_eq!(show(&parse(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn errors_have_offsets() {
        let cases = [
            ("", 0, "empty condition"),
            ("a and", 5, "expected a selection name"),
            ("a b", 2, "unexpected `b`"),
            ("(a or b", 0, "unclosed `(`"),
            ("a or )", 5, "found `)`"),
            ("sel | count() > 5", 4, "aggregations"),
            ("2 of sel*", 0, "`2 of` is not supported"),
            ("sel*", 0, "is a pattern"),
            ("1 of", 4, "after `of`"),
            ("a and or b", 6, "found `or`"),
        ];
        for (src, offset, msg) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.offset, offset, "{src}: {}", e.message);
            assert!(e.message.contains(msg), "{src}: {}", e.message);
        }
        let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).unwrap_err().message.contains("nests deeper"));
        let nots = format!("{}a", "not ".repeat(200));
        assert!(parse(&nots).unwrap_err().message.contains("nests deeper"));
    }

    #[test]
    fn resolution() {
        let names = ["selection_a", "selection_b", "filter", "_hidden"];
        let r = |s: &str| resolve(&parse(s).unwrap(), &names);
        assert_eq!(
            r("1 of selection_*").unwrap(),
            Cond::Or(vec![Cond::Sel(0), Cond::Sel(1)].into())
        );
        assert_eq!(
            r("all of them").unwrap(),
            Cond::And(vec![Cond::Sel(0), Cond::Sel(1), Cond::Sel(2)].into())
        );
        assert_eq!(r("_hidden").unwrap(), Cond::Sel(3));
        let e = r("selection_a and nope").unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (16, "unknown selection `nope`")
        );
        assert!(
            r("1 of x*")
                .unwrap_err()
                .message
                .contains("matches no selection")
        );
        assert!(name_matches("*", "x"));
        assert!(name_matches("sel*_a", "sel_x_a"));
        assert!(!name_matches("sel*_a", "sel_x_b"));
        assert!(name_matches("a*b*a", "aba"));
        assert!(!name_matches("ab*ba", "aba"));
    }

    #[test]
    fn kleene() {
        let c = resolve(&parse("a and not b").unwrap(), &["a", "b"]).unwrap();
        assert_eq!(
            c.eval3(&|i| if i == 0 { Some(false) } else { None }),
            Some(false)
        );
        assert_eq!(c.eval3(&|i| if i == 0 { Some(true) } else { None }), None);
        let c = resolve(&parse("a or not b").unwrap(), &["a", "b"]).unwrap();
        assert_eq!(c.eval3(&|i| if i == 0 { Some(false) } else { None }), None);
    }
}
