//! NCSA combined / common access logs. (Being written.)

use super::{Format, LineParser, ParseError, Reason};
use crate::event::Event;

/// Parser for `combined` and `common`.
#[derive(Debug, Clone)]
pub struct CombinedParser {
    format: Format,
}

impl CombinedParser {
    /// The `combined` parser.
    pub fn combined() -> Self {
        CombinedParser {
            format: Format::Combined,
        }
    }
    /// The `common` parser.
    pub fn common() -> Self {
        CombinedParser {
            format: Format::Common,
        }
    }
}

impl LineParser for CombinedParser {
    fn format(&self) -> Format {
        self.format
    }
    fn parse<'a>(&self, _line: &'a [u8], _event: &mut Event<'a>) -> Result<(), ParseError> {
        Err(ParseError::at(Reason::Unsupported, 0))
    }
}
