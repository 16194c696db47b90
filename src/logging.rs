//! picket's own messages: plain lines on standard error.
//!
//! `picket: <level>: <message>`, one per line, so systemd's journal (which
//! adds time and unit) and a terminal both read them. Messages never carry
//! log-line content (it may hold personal information): only paths from
//! config and the file system, offsets, counts and error texts. Paths are
//! shown with control characters escaped, so a hostile file name cannot
//! drive the terminal either.
//!
//! `PICKET_LOG=debug` adds debug messages; `PICKET_LOG=warn` keeps only
//! warnings and errors.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

/// Message severity, least severe first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Details for troubleshooting.
    Debug,
    /// Normal operation (start, reload, rotation).
    Info,
    /// Something is wrong but picket goes on.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warning",
            Level::Error => "error",
        }
    }
}

fn threshold() -> Level {
    static T: OnceLock<Level> = OnceLock::new();
    *T.get_or_init(|| match std::env::var("PICKET_LOG").as_deref() {
        Ok("debug") => Level::Debug,
        Ok("warn") | Ok("warning") | Ok("error") => Level::Warn,
        _ => Level::Info,
    })
}

/// Writes one message at `level` (if enabled).
pub fn log(level: Level, msg: fmt::Arguments<'_>) {
    if level < threshold() {
        return;
    }
    // One write per line so lines from several threads do not interleave.
    let line = format!("picket: {}: {}\n", level.name(), msg);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Logs at debug level: `debug!("x {}", y)`.
#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => { $crate::logging::log($crate::logging::Level::Debug, format_args!($($t)*)) };
}

/// Logs at info level.
#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { $crate::logging::log($crate::logging::Level::Info, format_args!($($t)*)) };
}

/// Logs at warning level.
#[macro_export]
macro_rules! warn {
    ($($t:tt)*) => { $crate::logging::log($crate::logging::Level::Warn, format_args!($($t)*)) };
}

/// Logs at error level.
#[macro_export]
macro_rules! error {
    ($($t:tt)*) => { $crate::logging::log($crate::logging::Level::Error, format_args!($($t)*)) };
}

/// A path for messages: control characters escaped.
pub struct SafePath<'a>(pub &'a Path);

impl fmt::Display for SafePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.to_string_lossy();
        for c in s.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Shorthand for [`SafePath`].
pub fn path(p: &Path) -> SafePath<'_> {
    SafePath(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_without_control_characters() {
        let p = Path::new("/var/log/\x1b[31mred\n.log");
        assert_eq!(path(p).to_string(), "/var/log/\\u{1b}[31mred\\n.log");
    }
}
