//! Unit tests of the auditd event builder and assembler.

use super::*;
use crate::event::event_to_json;
use crate::source::FileId;
use serde_json::{Map, Value as Json};

/// Runs an assembler over `data` cut into chunks at the given byte
/// positions (snapped forward to line ends), then flushes; returns each
/// event rendered, in order.
pub(super) fn assemble(data: &str, cuts: &[usize], cfg: AssemblerConfig) -> Vec<Map<String, Json>> {
    let data = data.as_bytes();
    let mut bounds = vec![0];
    for &c in cuts {
        let c = c.min(data.len());
        let end = memchr::memchr(b'\n', &data[c..]).map_or(data.len(), |i| c + i + 1);
        if end > *bounds.last().unwrap() {
            bounds.push(end);
        }
    }
    if *bounds.last().unwrap() < data.len() {
        bounds.push(data.len());
    }
    let mut asm = Assembler::new(cfg);
    let mut out = Vec::new();
    let mut line = 1u64;
    for w in bounds.windows(2) {
        let chunk = &data[w[0]..w[1]];
        let plan = asm.read_chunk(chunk, line, w[0] as u64, FileId(0));
        render(&plan, chunk, &mut out);
        line += memchr::memchr_iter(b'\n', chunk).count() as u64;
    }
    render(&asm.finish(), &[], &mut out);
    out
}

fn render(plan: &AuditPlan, data: &[u8], out: &mut Vec<Map<String, Json>>) {
    for i in 0..plan.events.len() {
        let mut recs = plan.event(data, i).peekable();
        let origin = recs.peek().unwrap().1;
        let mut ev = Event::new(Format::Auditd, origin);
        build_event(recs, &mut ev).unwrap();
        out.push(event_to_json(&ev, "t"));
    }
}

fn seq_records(evs: &[Map<String, Json>]) -> Vec<(u64, u64)> {
    evs.iter()
        .map(|e| {
            (
                e["auditd.sequence"].as_u64().unwrap(),
                e["auditd.records"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn one(line: &str) -> Map<String, Json> {
    let mut ev = Event::new(Format::Auditd, Origin::default());
    AuditdParser.parse(line.as_bytes(), &mut ev).unwrap();
    event_to_json(&ev, "t")
}

fn s<'a>(ev: &'a Map<String, Json>, k: &str) -> &'a str {
    ev.get(k)
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("{k} in {ev:?}"))
}

const EXEC: &str = r#"type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=59 success=yes exit=0 a0=55 a1=66 a2=77 a3=0 items=2 ppid=1 pid=42 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm="cat" exe="/usr/bin/cat" key="read-secrets"
type=EXECVE msg=audit(1700000000.100:10): argc=2 a0="cat" a1="/etc/shadow"
type=CWD msg=audit(1700000000.100:10): cwd="/root"
type=PATH msg=audit(1700000000.100:10): item=0 name="/usr/bin/cat" inode=1 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
type=PATH msg=audit(1700000000.100:10): item=1 name="/lib64/ld-linux-x86-64.so.2" inode=2 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL
type=PROCTITLE msg=audit(1700000000.100:10): proctitle=636174002F6574632F736861646F77
type=EOE msg=audit(1700000000.100:10):
"#;

#[test]
fn a_syscall_event_maps_to_ecs_and_auditd_fields() {
    let evs = assemble(EXEC, &[], AssemblerConfig::default());
    assert_eq!(evs.len(), 1);
    let e = &evs[0];
    assert_eq!(s(e, "@timestamp"), "2023-11-14T22:13:20.1Z");
    assert_eq!(s(e, "process.executable"), "/usr/bin/cat");
    assert_eq!(s(e, "process.command_line"), "cat /etc/shadow");
    assert_eq!(s(e, "process.name"), "cat");
    assert_eq!(e["process.pid"], 42);
    assert_eq!(e["process.parent.pid"], 1);
    assert_eq!(s(e, "user.audit.id"), "1000");
    assert_eq!(s(e, "user.id"), "0");
    assert_eq!(s(e, "file.path"), "/usr/bin/cat");
    assert_eq!(e["tags"], serde_json::json!(["read-secrets"]));
    assert_eq!(s(e, "event.outcome"), "success");
    assert_eq!(s(e, "event.action"), "execve");
    assert_eq!(s(e, "auditd.SYSCALL"), "execve");
    assert_eq!(s(e, "auditd.ARCH"), "x86_64");
    assert_eq!(
        e["auditd.type"],
        serde_json::json!(["SYSCALL", "EXECVE", "CWD", "PATH", "PROCTITLE"])
    );
    assert_eq!(e["auditd.records"], 6);
    assert_eq!(e["auditd.a1"], serde_json::json!(["66", "/etc/shadow"]));
    assert_eq!(s(e, "auditd.proctitle"), "cat /etc/shadow");
    assert_eq!(s(e, "auditd.syscall"), "59");
    assert_eq!(s(e, "auditd.key"), "read-secrets");
    assert_eq!(e["auditd.argc"], 2);
    assert_eq!(
        e["auditd.name"],
        serde_json::json!(["/usr/bin/cat", "/lib64/ld-linux-x86-64.so.2"])
    );
    assert_eq!(e["log.line"], 1);
}

#[test]
fn interleaved_and_out_of_order_records_group_by_serial_and_node() {
    let data = "\
node=a type=SYSCALL msg=audit(1700000000.100:10): syscall=2 exe=\"/x\"
node=b type=SYSCALL msg=audit(1700000000.100:10): syscall=3 exe=\"/y\"
node=a type=PATH msg=audit(1700000000.100:10): item=0 name=\"/a\"
type=SYSCALL msg=audit(1700000000.200:11): syscall=4
node=b type=PATH msg=audit(1700000000.100:10): item=0 name=\"/b\"
type=PATH msg=audit(1700000000.200:11): item=0 name=\"/c\"
node=b type=EOE msg=audit(1700000000.100:10):
type=EOE msg=audit(1700000000.200:11):
node=a type=EOE msg=audit(1700000000.100:10):
";
    let evs = assemble(data, &[], AssemblerConfig::default());
    let got: Vec<(String, String)> = evs
        .iter()
        .map(|e| {
            (
                e.get("host.name")
                    .and_then(Json::as_str)
                    .unwrap_or("-")
                    .to_owned(),
                s(e, "file.path").to_owned(),
            )
        })
        .collect();
    let want = [("b", "/b"), ("-", "/c"), ("a", "/a")];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(seq_records(&evs), [(10, 2), (11, 2), (10, 2)]);
}

#[test]
fn lost_eoe_is_flushed_by_event_time_by_count_and_at_the_end() {
    let rec = |t: u64, serial: u64| {
        format!("type=SYSCALL msg=audit(1700000{t:03}.000:{serial}): syscall=1\n")
    };
    // Timeout: 10 s of event time.
    let data = [rec(0, 1), rec(5, 2), rec(11, 3), rec(12, 4)].concat();
    let cfg = AssemblerConfig {
        timeout_ms: 10_000,
        ..AssemblerConfig::default()
    };
    let mut asm = Assembler::new(cfg);
    let plan = asm.read_chunk(data.as_bytes(), 1, 0, FileId(0));
    assert_eq!(plan.events.len(), 1, "serial 1 expired when 11 s arrived");
    assert_eq!(asm.open_events(), 3);
    assert_eq!(asm.finish().events.len(), 3);
    // Too many open events: the oldest goes first.
    let data: String = (0..6).map(|i| rec(0, i)).collect();
    let cfg = AssemblerConfig {
        max_open: 4,
        ..AssemblerConfig::default()
    };
    let evs = assemble(&data, &[], cfg);
    let seqs: Vec<u64> = seq_records(&evs).iter().map(|p| p.0).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);
    // Too many records in one event: it is cut.
    let data = rec(0, 7).repeat(5);
    let cfg = AssemblerConfig {
        max_records: 2,
        ..AssemblerConfig::default()
    };
    assert_eq!(
        seq_records(&assemble(&data, &[], cfg)),
        [(7, 2), (7, 2), (7, 1)]
    );
    // Too many bytes held: the oldest events go first.
    let data: String = (0..4).map(|i| rec(0, i)).collect();
    let cfg = AssemblerConfig {
        max_held_bytes: rec(0, 0).len() * 2,
        ..AssemblerConfig::default()
    };
    let mut asm = Assembler::new(cfg);
    let plan = asm.read_chunk(data.as_bytes(), 1, 0, FileId(0));
    assert_eq!(plan.events.len(), 2);
    assert_eq!(asm.open_events(), 2);
}

#[test]
fn user_messages_end_at_a_later_record_or_take_their_syscall_and_stray_eoe_is_ignored() {
    let data = "\
type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=179.38.151.221 terminal=sshd res=failed'
type=EOE msg=audit(1492896301.818:7):
";
    let mut asm = Assembler::new(AssemblerConfig::default());
    let plan = asm.read_chunk(data.as_bytes(), 1, 0, FileId(0));
    assert_eq!(plan.events.len(), 0, "may still get its syscall's records");
    let later = "type=EOE msg=audit(1492896301.819:8):\n";
    let plan = asm.read_chunk(later.as_bytes(), 3, data.len() as u64, FileId(0));
    assert_eq!(plan.events.len(), 1, "a later record ends it");
    assert_eq!(asm.open_events(), 0);
    // systemd's SERVICE_START, sent from an audited sendto().
    let service = "\
type=SERVICE_START msg=audit(1661853391.646:4486226): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=? msg='unit=apt-daily comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'
type=SYSCALL msg=audit(1661853391.646:4486226): arch=c000003e syscall=44 success=yes exit=120 pid=1
type=EOE msg=audit(1661853391.646:4486226):
";
    assert_eq!(
        seq_records(&assemble(service, &[], AssemblerConfig::default())),
        [(4486226, 2)]
    );
    let e = &assemble(data, &[], AssemblerConfig::default())[0];
    assert_eq!(s(e, "user.name"), "(invalid user)");
    assert_eq!(s(e, "source.ip"), "179.38.151.221");
    assert_eq!(s(e, "event.outcome"), "failure");
    assert_eq!(s(e, "event.action"), "user_login");
    assert!(!e.contains_key("user.audit.id"), "unset auid: {e:?}");
    assert!(!e.contains_key("auditd.auid") && !e.contains_key("auditd.ses"));
}

#[test]
fn enriched_records_keep_interpreted_fields() {
    let line = "type=SYSCALL msg=audit(1615150974.493:21028): arch=c000003e syscall=59 success=yes exit=0 a0=593d4c9f5f50 items=2 ppid=10881 pid=8832 auid=1000 uid=1000 gid=1000 tty=pts1 ses=1 comm=\"echo\" exe=\"/usr/bin/echo\" key=(null)\x1dARCH=x86_64 SYSCALL=execve AUID=\"user\" UID=\"root\" GID=\"user\"";
    let e = one(line);
    assert_eq!(s(&e, "auditd.SYSCALL"), "execve");
    assert_eq!(s(&e, "auditd.ARCH"), "x86_64");
    assert_eq!(s(&e, "auditd.UID"), "root");
    assert_eq!(s(&e, "user.name"), "root");
    assert_eq!(s(&e, "user.audit.name"), "user");
    assert_eq!(s(&e, "event.action"), "execve");
    assert!(!e.contains_key("tags") && !e.contains_key("auditd.key"));
}

#[test]
fn hex_values_are_decoded() {
    let e = one(
        "type=PATH msg=audit(1521758453.536:1428931): item=0 name=2F73686172652F67656E6572616C2F706174685F7265646163746564 inode=1442434 nametype=NORMAL",
    );
    assert_eq!(s(&e, "file.path"), "/share/general/path_redacted");
    let e = one(
        "type=SYSCALL msg=audit(1.0:2): syscall=1 comm=\"x\" key=6B657931016B657932 exe=2F7573722F6C6962657865632F737472",
    );
    assert_eq!(e["tags"], serde_json::json!(["key1", "key2"]));
    assert_eq!(s(&e, "process.executable"), "/usr/libexec/str");
    let e = one(
        "type=PROCTITLE msg=audit(1.0:2): proctitle=2F62696E2F7368002D63006563686F2068656C6C6F",
    );
    assert_eq!(s(&e, "process.command_line"), "/bin/sh -c echo hello");
}

#[test]
fn long_execve_arguments_are_joined() {
    let big = "61".repeat(3000);
    let data = format!(
        "type=SYSCALL msg=audit(1.5:9): syscall=59 exe=\"/bin/echo\"\n\
         type=EXECVE msg=audit(1.5:9): argc=3 a0=\"/bin/echo\" a1_len=6000 a1[0]={big}\n\
         type=EXECVE msg=audit(1.5:9): a1[1]={big} a2=\"end\"\n\
         type=EOE msg=audit(1.5:9):\n"
    );
    let evs = assemble(&data, &[], AssemblerConfig::default());
    assert_eq!(evs.len(), 1);
    let cl = s(&evs[0], "process.command_line");
    assert_eq!(cl.len(), "/bin/echo ".len() + 6000 + " end".len());
    assert!(cl.starts_with("/bin/echo aaa") && cl.ends_with("a end"));
    assert_eq!(evs[0]["auditd.argc"], 3);
    assert!(!evs[0].contains_key("auditd.a1[0]") && !evs[0].contains_key("auditd.a1_len"));
}

#[test]
fn grouping_does_not_depend_on_chunk_boundaries() {
    let data = [
        EXEC,
        "type=USER_CMD msg=audit(1700000000.150:12): pid=3 uid=0 auid=700 ses=1 msg='cwd=\"/\" cmd=6C73 terminal=? res=success'\n",
        &EXEC.replace(":10)", ":11)").replace("EOE", "CWD"),
        "garbage line\n",
        &EXEC.replace(":10)", ":13)"),
    ]
    .concat();
    let whole = assemble(&data, &[], AssemblerConfig::default());
    // 12 (a user message) waits for a record with a later time; none comes.
    assert_eq!(seq_records(&whole), [(10, 6), (13, 6), (12, 1), (11, 7)]);
    for step in [1, 7, 50, 333] {
        let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
        let split = assemble(&data, &cuts, AssemblerConfig::default());
        assert_eq!(split, whole, "cut every {step} bytes");
    }
}

#[test]
fn bad_headers_are_errors_with_reasons() {
    let data = "type=SYSCALL msg=audit(x:1): a=1\nhello\n";
    let mut asm = Assembler::new(AssemblerConfig::default());
    let plan = asm.read_chunk(data.as_bytes(), 5, 0, FileId(0));
    let got: Vec<(u64, &str)> = plan
        .errors
        .iter()
        .map(|(l, e)| (*l, e.reason.label()))
        .collect();
    assert_eq!(got, [(5, "bad_timestamp"), (6, "wrong_shape")]);
    assert!(plan.events.is_empty());
}

#[test]
fn record_fields_never_clash_with_the_names_picket_writes() {
    let data = "\
type=EXECVE msg=audit(1.0:4): argc=2 a0=\"sh\" a1=\"x\" type=odd sequence=9 records=1
type=PATH msg=audit(1.0:4): argc=3 name=\"/a\"
type=EOE msg=audit(1.0:4):
";
    let e = &assemble(data, &[], AssemblerConfig::default())[0];
    assert_eq!(e["auditd.sequence"], 4);
    assert_eq!(e["auditd.records"], 2);
    assert_eq!(e["auditd.type"], serde_json::json!(["EXECVE", "PATH"]));
    assert_eq!(s(e, "auditd.raw_type"), "odd");
    assert_eq!(s(e, "auditd.argc"), "3");
    assert_eq!(s(e, "process.command_line"), "sh x");
}

/// Fuzzer finds, replayed.
#[test]
fn fuzz_regressions() {
    // A record that is not UTF-8 with an enriched-looking `SYSCALL` field:
    // `auditd.SYSCALL` must not be written twice.
    let mut data = b"node=h type=SYSCALL msg=audit(1615150974.493:21028): arch=c000003e syscall=59 comm=\"e\" x=\xff SYSCALL=execv\xff\n".to_vec();
    data.extend_from_slice(b"node=h type=EOE msg=audit(1615150974.493:21028):\n");
    let mut asm = Assembler::new(AssemblerConfig::default());
    let plan = asm.read_chunk(&data, 1, 0, FileId(0));
    assert_eq!(plan.events.len(), 1);
    let mut ev = Event::new(Format::Auditd, Origin::default());
    build_event(plan.event(&data, 0), &mut ev).unwrap();
    let n = ev.extras().filter(|(k, _)| *k == "auditd.SYSCALL").count();
    assert_eq!(n, 1);
}
