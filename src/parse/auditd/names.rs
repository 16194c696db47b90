//! Static `auditd.*` field names for the keys audit records use most, so
//! that naming a field does not allocate (`pid` → `auditd.pid`).

use std::borrow::Cow;

macro_rules! names {
    ($($key:literal => $name:literal,)*) => {
        /// The static `auditd.<key>` name of a common key.
        fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
            match key { $($key => Some(($key, $name)),)* _ => None }
        }
    };
}

names! {
    "a0" => "auditd.a0",
    "a1" => "auditd.a1",
    "a2" => "auditd.a2",
    "a3" => "auditd.a3",
    "a4" => "auditd.a4",
    "a5" => "auditd.a5",
    "a6" => "auditd.a6",
    "a7" => "auditd.a7",
    "a8" => "auditd.a8",
    "a9" => "auditd.a9",
    "acct" => "auditd.acct",
    "addr" => "auditd.addr",
    "arch" => "auditd.arch",
    "argc" => "auditd.argc",
    "auid" => "auditd.auid",
    "comm" => "auditd.comm",
    "cwd" => "auditd.cwd",
    "data" => "auditd.data",
    "dev" => "auditd.dev",
    "egid" => "auditd.egid",
    "euid" => "auditd.euid",
    "exe" => "auditd.exe",
    "exit" => "auditd.exit",
    "fsgid" => "auditd.fsgid",
    "fsuid" => "auditd.fsuid",
    "gid" => "auditd.gid",
    "grantors" => "auditd.grantors",
    "hostname" => "auditd.hostname",
    "id" => "auditd.id",
    "inode" => "auditd.inode",
    "item" => "auditd.item",
    "items" => "auditd.items",
    "key" => "auditd.key",
    "mode" => "auditd.mode",
    "name" => "auditd.name",
    "nametype" => "auditd.nametype",
    "obj" => "auditd.obj",
    "objtype" => "auditd.objtype",
    "ogid" => "auditd.ogid",
    "op" => "auditd.op",
    "ouid" => "auditd.ouid",
    "pid" => "auditd.pid",
    "ppid" => "auditd.ppid",
    "proctitle" => "auditd.proctitle",
    "rdev" => "auditd.rdev",
    "res" => "auditd.res",
    "saddr" => "auditd.saddr",
    "ses" => "auditd.ses",
    "sgid" => "auditd.sgid",
    "subj" => "auditd.subj",
    "success" => "auditd.success",
    "suid" => "auditd.suid",
    "syscall" => "auditd.syscall",
    "terminal" => "auditd.terminal",
    "tty" => "auditd.tty",
    "uid" => "auditd.uid",
    "cap_fe" => "auditd.cap_fe",
    "cap_fi" => "auditd.cap_fi",
    "cap_fp" => "auditd.cap_fp",
    "cap_frootid" => "auditd.cap_frootid",
    "cap_fver" => "auditd.cap_fver",
    "cap_pa" => "auditd.cap_pa",
    "cap_pe" => "auditd.cap_pe",
    "cap_pi" => "auditd.cap_pi",
    "cap_pp" => "auditd.cap_pp",
    "family" => "auditd.family",
    "fd" => "auditd.fd",
    "list" => "auditd.list",
    "old-auid" => "auditd.old-auid",
    "old-ses" => "auditd.old-ses",
    "unit" => "auditd.unit",
    "cmd" => "auditd.cmd",
    "path" => "auditd.path",
    "dir" => "auditd.dir",
    "perm" => "auditd.perm",
    "prot" => "auditd.prot",
    "flags" => "auditd.flags",
    "fver" => "auditd.fver",
    "fp" => "auditd.fp",
    "fi" => "auditd.fi",
    "fe" => "auditd.fe",
    "old_pp" => "auditd.old_pp",
    "old_pi" => "auditd.old_pi",
    "old_pe" => "auditd.old_pe",
    "new_pp" => "auditd.new_pp",
    "new_pi" => "auditd.new_pi",
    "new_pe" => "auditd.new_pe",
    "kind" => "auditd.kind",
    "direction" => "auditd.direction",
    "spid" => "auditd.spid",
    "laddr" => "auditd.laddr",
    "lport" => "auditd.lport",
    "rport" => "auditd.rport",
    "cipher" => "auditd.cipher",
    "ksize" => "auditd.ksize",
    "mac" => "auditd.mac",
    "pfs" => "auditd.pfs",
    "ver" => "auditd.ver",
    "format" => "auditd.format",
    "kernel" => "auditd.kernel",
    "table" => "auditd.table",
    "entries" => "auditd.entries",
    "seperms" => "auditd.seperms",
    "seresult" => "auditd.seresult",
    "scontext" => "auditd.scontext",
    "tcontext" => "auditd.tcontext",
    "tclass" => "auditd.tclass",
    "permissive" => "auditd.permissive",
    "apparmor" => "auditd.apparmor",
    "operation" => "auditd.operation",
    "profile" => "auditd.profile",
    "denied_mask" => "auditd.denied_mask",
    "requested_mask" => "auditd.requested_mask",
    "peer" => "auditd.peer",
    "info" => "auditd.info",
    "srcname" => "auditd.srcname",
    "sig" => "auditd.sig",
    "code" => "auditd.code",
    "compat" => "auditd.compat",
    "ip" => "auditd.ip",
    "new-level" => "auditd.new-level",
    "old-level" => "auditd.old-level",
    "audit_enabled" => "auditd.audit_enabled",
    "old" => "auditd.old",
    "audit_backlog_limit" => "auditd.audit_backlog_limit",
    "audit_failure" => "auditd.audit_failure",
    "backlog" => "auditd.backlog",
    "ARCH" => "auditd.ARCH",
    "SYSCALL" => "auditd.SYSCALL",
    "AUID" => "auditd.AUID",
    "UID" => "auditd.UID",
    "GID" => "auditd.GID",
    "EUID" => "auditd.EUID",
    "SUID" => "auditd.SUID",
    "FSUID" => "auditd.FSUID",
    "EGID" => "auditd.EGID",
    "SGID" => "auditd.SGID",
    "FSGID" => "auditd.FSGID",
    "OUID" => "auditd.OUID",
    "OGID" => "auditd.OGID",
    "EXIT" => "auditd.EXIT",
    "SADDR" => "auditd.SADDR",
    "OAUID" => "auditd.OAUID",
    "SAUID" => "auditd.SAUID",
}

/// `auditd.<key>`: static for common keys, allocated for the rest.
pub(crate) fn prefixed(key: &str) -> Cow<'static, str> {
    match lookup(key) {
        Some((_, name)) => Cow::Borrowed(name),
        None => Cow::Owned(format!("auditd.{key}")),
    }
}

/// The key itself with a static lifetime, for common keys.
pub(crate) fn static_key(key: &str) -> Option<&'static str> {
    lookup(key).map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    #[test]
    fn static_and_allocated() {
        assert!(matches!(
            super::prefixed("pid"),
            std::borrow::Cow::Borrowed("auditd.pid")
        ));
        assert_eq!(super::prefixed("zz"), "auditd.zz");
        assert_eq!(super::static_key("SYSCALL"), Some("SYSCALL"));
    }
}
