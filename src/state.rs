//! Persistent state kept in the state directory (SPEC §5 `state.dir`).
//!
//! For now: the per-install fingerprint key. Checkpoints and baselines will
//! live beside it.

use rand::TryRngCore;
use std::io;
use std::path::{Path, PathBuf};

/// File name of the generated fingerprint key inside the state directory.
pub const KEY_FILE: &str = "fingerprint.key";

/// The HMAC key for PI fingerprints (SPEC §4): the configured
/// `privacy.fingerprint_key` when set; else the key stored in `state_dir`
/// (created with 32 random bytes on first use); else the one in the user's
/// state directory (`$XDG_STATE_HOME/picket` or `~/.local/state/picket`), so
/// that fingerprints stay comparable across replays.
pub fn fingerprint_key(configured: Option<&str>, state_dir: Option<&Path>) -> io::Result<Vec<u8>> {
    if let Some(k) = configured {
        if k.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "privacy.fingerprint_key is empty",
            ));
        }
        return Ok(k.as_bytes().to_vec());
    }
    let dir = match state_dir {
        Some(d) => d.to_path_buf(),
        None => user_state_dir().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "no state directory: set privacy.fingerprint_key, --state or HOME",
            )
        })?,
    };
    load_or_create_key(&dir)
}

fn user_state_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("picket"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".local/state/picket"))
}

fn load_or_create_key(dir: &Path) -> io::Result<Vec<u8>> {
    let path = dir.join(KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            return hex::decode(text.trim()).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a hex key", path.display()),
                )
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    let mut key = vec![0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut key)
        .map_err(|e| io::Error::other(format!("random key: {e}")))?;
    write_private(&path, hex::encode(&key).as_bytes())?;
    Ok(key)
}

/// Writes a file readable only by its owner, atomically (temp + rename), so
/// a crash never leaves a half-written key.
fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_key_wins_and_generated_key_is_stable() {
        assert_eq!(fingerprint_key(Some("k"), None).unwrap(), b"k");
        assert!(fingerprint_key(Some(""), None).is_err());
        let d = tempfile::tempdir().unwrap();
        let a = fingerprint_key(None, Some(d.path())).unwrap();
        let b = fingerprint_key(None, Some(d.path())).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
        std::fs::write(d.path().join(KEY_FILE), "zz").unwrap();
        assert!(fingerprint_key(None, Some(d.path())).is_err());
    }
}
