//! Fuzzes the access-log parsers: both `combined` and `common` on the input
//! as one line (as the framer would hand it over: no `\n`), and `sniff` on
//! the input as a whole file. Any panic is a bug (SPEC §8: no input line
//! makes picket panic). Whatever parses must also render as JSON, which
//! walks every field.
//!
//! `cargo +nightly fuzz run parse_combined`
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket::event::{Event, Origin, event_to_json};
use picket::parse::combined::CombinedParser;
use picket::parse::{LineParser, sniff};

fuzz_target!(|data: &[u8]| {
    let line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    for parser in [CombinedParser::combined(), CombinedParser::common()] {
        let mut ev = Event::new(parser.format(), Origin::default());
        if parser.parse(line, &mut ev).is_ok() {
            let _ = event_to_json(&ev, "fuzz");
        }
    }
    let _ = sniff(data);
});
