//! Fuzzes the `syslog` parser: no input may panic, through either entry
//! point, nor when its events are rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket::event::{Event, Origin, event_to_json};
use picket::parse::{Format, parser_for};

fuzz_target!(|data: &[u8]| {
    let Some(parser) = parser_for(Format::Syslog) else {
        return;
    };
    let mut ev = Event::new(Format::Syslog, Origin::default());
    if parser.parse(data, &mut ev).is_ok() {
        let _ = event_to_json(&ev, "fuzz");
    }
    let _ = parser.parse_multi(data, Origin::default(), &mut |ev| {
        let _ = event_to_json(&ev, "fuzz");
    });
});
