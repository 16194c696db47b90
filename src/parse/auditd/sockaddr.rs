//! `SOCKADDR` records: `saddr` is the raw `struct sockaddr`, in hex.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A decoded socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SockAddr {
    /// AF_INET / AF_INET6.
    Ip(IpAddr, u16),
    /// AF_UNIX, with its path (abstract names start with `@`).
    Unix(String),
}

impl SockAddr {
    /// The family name, as go-libaudit and auditd's interpretation write it.
    pub(crate) fn family(&self) -> &'static str {
        match self {
            SockAddr::Ip(IpAddr::V4(_), _) => "ipv4",
            SockAddr::Ip(IpAddr::V6(_), _) => "ipv6",
            SockAddr::Unix(_) => "unix",
        }
    }
}

/// Decodes `saddr=` hex; `None` for other families or short input.
pub(crate) fn decode(hex: &str) -> Option<SockAddr> {
    let bytes = hex::decode(hex.get(..hex.len().min(256))?).ok()?;
    let family = u16::from_le_bytes([*bytes.first()?, *bytes.get(1)?]);
    let port = || Some(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]));
    match family {
        2 => {
            let a: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Some(SockAddr::Ip(IpAddr::V4(Ipv4Addr::from(a)), port()?))
        }
        10 => {
            let a: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            Some(SockAddr::Ip(IpAddr::V6(Ipv6Addr::from(a)), port()?))
        }
        1 => {
            let path = bytes.get(2..)?;
            let text = match path.split_first() {
                // Abstract socket: a leading NUL, shown as `@`.
                Some((0, rest)) => {
                    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                    format!("@{}", String::from_utf8_lossy(&rest[..end]))
                }
                _ => {
                    let end = path.iter().position(|b| *b == 0).unwrap_or(path.len());
                    String::from_utf8_lossy(&path[..end]).into_owned()
                }
            };
            Some(SockAddr::Unix(text))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(
            decode("02000050A9FEA9FE0000000000000000"),
            Some(SockAddr::Ip("169.254.169.254".parse().unwrap(), 80))
        );
        assert_eq!(
            decode("0A0001BB000000002001067C2E8C00000000000000000001000000"),
            Some(SockAddr::Ip("2001:67c:2e8c::1".parse().unwrap(), 443))
        );
        assert_eq!(
            decode("01007075626C69632F7069636B757000"),
            Some(SockAddr::Unix("public/pickup".into()))
        );
        assert_eq!(decode("100000000000"), None); // netlink
        assert_eq!(decode("02"), None);
        assert_eq!(decode("zz"), None);
    }
}
