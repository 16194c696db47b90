//! Durations written as `500ms`, `60s`, `5m`, `1h`, `7d`.

use serde::{Deserialize, Deserializer};
use std::fmt;

/// A length of time with a human-friendly text form.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    /// Whole seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(std::time::Duration::from_secs(s))
    }

    /// In nanoseconds, saturating at `i64::MAX` (event-time arithmetic).
    pub fn as_nanos_i64(self) -> i64 {
        i64::try_from(self.0.as_nanos()).unwrap_or(i64::MAX)
    }
}

impl std::str::FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: u64 = num.parse().map_err(|_| {
            format!("invalid duration `{s}` (expected e.g. 500ms, 60s, 5m, 1h, 7d)")
        })?;
        let mult_ms: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => {
                return Err(format!(
                    "invalid duration unit in `{s}` (use ms, s, m, h or d)"
                ));
            }
        };
        Ok(Duration(std::time::Duration::from_millis(
            n.saturating_mul(mult_ms),
        )))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0.as_millis())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_rejects_garbage() {
        assert_eq!("500ms".parse::<Duration>().unwrap().0.as_millis(), 500);
        assert_eq!("7d".parse::<Duration>().unwrap().0.as_secs(), 7 * 86_400);
        for bad in ["", "s", "5", "5 parsecs", "-1s", "1.5h"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }
}
