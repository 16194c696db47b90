//! Fuzzes the `auditd` format: the one-record parser, and the assembler
//! over the input cut in two (the first byte picks the cut), with every
//! event built and rendered. No input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use picket::event::{Event, Origin, event_to_json};
use picket::parse::auditd::{Assembler, AssemblerConfig, AuditPlan, build_event};
use picket::parse::{Format, parser_for};
use picket::source::FileId;

fn render(plan: &AuditPlan, data: &[u8]) {
    for i in 0..plan.events.len() {
        let mut ev = Event::new(Format::Auditd, Origin::default());
        if build_event(plan.event(data, i), &mut ev).is_ok() {
            let _ = event_to_json(&ev, "fuzz");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(parser) = parser_for(Format::Auditd) else {
        return;
    };
    let mut ev = Event::new(Format::Auditd, Origin::default());
    if parser.parse(data, &mut ev).is_ok() {
        let _ = event_to_json(&ev, "fuzz");
    }
    let cfg = AssemblerConfig {
        timeout_ms: 1000,
        max_open: 4,
        max_line: 4096,
        max_records: 8,
        max_held_bytes: 1024,
    };
    let mut asm = Assembler::new(cfg);
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (a, b) = data.split_at(cut);
    render(&asm.read_chunk(a, 1, 0, FileId(0)), a);
    render(&asm.read_chunk(b, 1, a.len() as u64, FileId(0)), b);
    render(&asm.finish(), &[]);
});
