//! Rule errors: every problem in a rule file is reported at a location.

use std::path::{Path, PathBuf};

/// A rule that could not be loaded or compiled, with where the problem is.
///
/// Displays as `FILE:LINE:COL: message`, the shape editors and CI log
/// scanners understand (`picket rules check`, SPEC §1). Lines and columns are
/// 1-based and count characters, as serde-saphyr reports them; a problem
/// with the file as a whole (unreadable, empty) is reported at `1:1`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{col}: {message}", path.display())]
pub struct RuleError {
    /// The rule file, as given (or `detections/…` for built-in rules).
    pub path: PathBuf,
    /// 1-based line.
    pub line: u64,
    /// 1-based column (characters).
    pub col: u64,
    /// What is wrong, in one line.
    pub message: String,
}

impl RuleError {
    /// An error at a location of a file.
    pub fn new(path: &Path, line: u64, col: u64, message: impl Into<String>) -> Self {
        RuleError {
            path: path.to_path_buf(),
            line: line.max(1),
            col: col.max(1),
            message: one_line(message.into()),
        }
    }
}

/// Messages may quote rule text (a regex error, a YAML scalar); keep the
/// `FILE:LINE:COL: message` contract to one line whatever they contain.
fn one_line(message: String) -> String {
    if message.chars().any(char::is_control) {
        message
            .split(['\n', '\r'])
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_line_col_message() {
        let e = RuleError::new(Path::new("rules/a.yml"), 3, 7, "unknown modifier `foo`");
        assert_eq!(e.to_string(), "rules/a.yml:3:7: unknown modifier `foo`");
    }

    #[test]
    fn multi_line_messages_are_flattened() {
        let e = RuleError::new(
            Path::new("a.yml"),
            0,
            0,
            "regex parse error:\n    (\n    ^\nerror: unclosed group",
        );
        assert_eq!(
            e.to_string(),
            "a.yml:1:1: regex parse error:;     (;     ^; error: unclosed group"
        );
    }
}
