//! Property tests: no input panics, and the events do not depend on where
//! chunk boundaries fall.

use super::tests::assemble;
use super::*;
use proptest::prelude::*;

/// One generated record line.
fn record() -> impl Strategy<Value = String> {
    let rtype = prop::sample::select(vec![
        "SYSCALL",
        "EXECVE",
        "PATH",
        "CWD",
        "PROCTITLE",
        "EOE",
        "USER_LOGIN",
        "SERVICE_START",
        "UNKNOWN[1336]",
    ]);
    let body = prop::sample::select(vec![
        " arch=c000003e syscall=59 success=yes exit=0 pid=1 auid=4294967295 comm=\"x\" exe=2F62696E key=(null)",
        " argc=2 a0=\"sh\" a1_len=4 a1[0]=2D63 a1[1]=2078",
        " item=0 name=2F746D702F61 nametype=NORMAL",
        " proctitle=736800",
        " pid=1 uid=0 msg='op=login acct=\"r\" res=failed'",
        "",
        " key=(null)\u{1d}ARCH=x86_64 SYSCALL=execve UID=\"root\"",
        " a0=\"unterminated",
    ]);
    (
        prop::option::of(prop::sample::select(vec!["a", "b"])),
        rtype,
        0u64..4,
        0u32..3,
        1u64..6,
        body,
    )
        .prop_map(|(node, rtype, secs, millis, serial, body)| {
            let node = node.map(|n| format!("node={n} ")).unwrap_or_default();
            format!("{node}type={rtype} msg=audit(17000000{secs:02}.{millis:03}:{serial}):{body}\n")
        })
}

/// A log: records, sometimes a line that is not one.
fn log() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            8 => record(),
            1 => "[ -~]{0,40}".prop_map(|s| format!("{s}\n")),
        ],
        0..40,
    )
    .prop_map(|lines| lines.concat())
}

fn small() -> AssemblerConfig {
    AssemblerConfig {
        timeout_ms: 1500,
        max_open: 3,
        max_line: usize::MAX,
        max_records: 5,
        max_held_bytes: 600,
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..400), cut in 0usize..400) {
        let mut asm = Assembler::new(small());
        let (a, b) = data.split_at(cut.min(data.len()));
        for (part, off) in [(a, 0u64), (b, a.len() as u64)] {
            let plan = asm.read_chunk(part, 1, off, crate::source::FileId(0));
            for i in 0..plan.events.len() {
                let mut ev = Event::new(Format::Auditd, Origin::default());
                let _ = build_event(plan.event(part, i), &mut ev);
            }
        }
        let plan = asm.finish();
        for i in 0..plan.events.len() {
            let mut ev = Event::new(Format::Auditd, Origin::default());
            let _ = build_event(plan.event(&[], i), &mut ev);
        }
        let mut ev = Event::new(Format::Auditd, Origin::default());
        let _ = AuditdParser.parse(&data, &mut ev);
    }

    #[test]
    fn events_do_not_depend_on_chunk_boundaries(data in log(), cuts in prop::collection::vec(0usize..2000, 0..8)) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let whole = assemble(&data, &[], small());
        let split = assemble(&data, &cuts, small());
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn every_record_lands_in_exactly_one_event(data in log()) {
        let evs = assemble(&data, &[], small());
        let records: u64 = evs.iter().map(|e| e["auditd.records"].as_u64().unwrap()).sum();
        let expected = data
            .lines()
            .filter_map(|l| record::header(l.as_bytes()).ok())
            .filter(|h| h.rtype != "EOE")
            .count() as u64;
        prop_assert_eq!(records, expected);
    }
}
