//! The closed set of well-known event fields (SPEC §3), each with a fixed slot.
//!
//! Rules, `picket parse` output and alert evidence address fields by these
//! names. Giving each well-known field a slot lets compiled rules resolve a
//! field name once, at load time, to an array index instead of hashing a
//! string per event.

use std::fmt;

macro_rules! fields {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, )*) => {
        /// A well-known normalized field (SPEC §3). Format-specific fields
        /// (`auditd.*`, `cloudtrail.*`, …) live in [`Event`](super::Event)'s
        /// extra list instead.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Field {
            $( $(#[$doc])* $variant, )*
        }

        impl Field {
            /// Every field, in slot order.
            pub const ALL: &'static [Field] = &[ $( Field::$variant, )* ];
            /// Number of slots.
            pub const COUNT: usize = Self::ALL.len();

            /// The field's ECS (or picket) name, e.g. `url.path`.
            pub const fn name(self) -> &'static str {
                match self { $( Field::$variant => $name, )* }
            }

            /// Looks a field up by its exact name.
            pub fn from_name(name: &str) -> Option<Field> {
                match name { $( $name => Some(Field::$variant), )* _ => None }
            }
        }
    };
}

fields! {
    /// `event.action`: what happened (CADF action, CloudTrail eventName, …).
    EventAction => "event.action",
    /// `event.outcome`: `success`, `failure` or `unknown`.
    EventOutcome => "event.outcome",
    /// `event.duration`: nanoseconds.
    EventDuration => "event.duration",
    /// `source.ip`: the client address as written by the server.
    SourceIp => "source.ip",
    /// `source.port`.
    SourcePort => "source.port",
    /// `source.domain`: the client field when it is a host name, not an IP.
    SourceDomain => "source.domain",
    /// `network.forwarded_ip`: first valid address of an X-Forwarded-For list.
    NetworkForwardedIp => "network.forwarded_ip",
    /// `user.name`.
    UserName => "user.name",
    /// `user.id`.
    UserId => "user.id",
    /// `http.request.method`.
    HttpRequestMethod => "http.request.method",
    /// `http.version`, e.g. `1.1`.
    HttpVersion => "http.version",
    /// `url.original`: the request target exactly as logged (path and query).
    UrlOriginal => "url.original",
    /// `url.path`: the request target up to `?`.
    UrlPath => "url.path",
    /// `url.query`: the request target after `?`, without the `?`.
    UrlQuery => "url.query",
    /// `http.response.status_code`.
    HttpResponseStatusCode => "http.response.status_code",
    /// `http.response.body.bytes`.
    HttpResponseBodyBytes => "http.response.body.bytes",
    /// `http.request.body.bytes`.
    HttpRequestBodyBytes => "http.request.body.bytes",
    /// `http.request.referrer`.
    HttpRequestReferrer => "http.request.referrer",
    /// `user_agent.original`.
    UserAgentOriginal => "user_agent.original",
    /// `host.name`: virtual host or node that wrote the line.
    HostName => "host.name",
    /// `server.port`: port of the server that answered (Apache `%p` in
    /// `vhost_combined`).
    ServerPort => "server.port",
    /// `process.executable`.
    ProcessExecutable => "process.executable",
    /// `process.command_line`.
    ProcessCommandLine => "process.command_line",
    /// `file.path`.
    FilePath => "file.path",
    /// `user.audit.id`: auditd's login uid (auid).
    UserAuditId => "user.audit.id",
    /// `tags`: auditd key and other labels.
    Tags => "tags",
    /// `cloud.account.id`.
    CloudAccountId => "cloud.account.id",
    /// `db.name`: document database addressed by the request (picket's own).
    DbName => "db.name",
    /// `db.doc_id`: document id addressed by the request (picket's own).
    DbDocId => "db.doc_id",
    /// `tenant`: derived from config (SPEC §5) (picket's own).
    Tenant => "tenant",
    /// `staff`: whether `user.name` matches a staff pattern (picket's own).
    Staff => "staff",
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_slots_are_dense() {
        for (i, f) in Field::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "slot order");
            assert_eq!(Field::from_name(f.name()), Some(*f));
        }
        assert_eq!(Field::from_name("url.nope"), None);
    }
}
