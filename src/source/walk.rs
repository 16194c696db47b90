//! Expanding command-line paths into input files.

use std::io;
use std::path::{Path, PathBuf};

/// Expands files, directories (recursively) and `-` into a list of inputs.
/// Directory entries are sorted by name so runs are reproducible. Inside
/// directories, hidden entries (starting with `.`) and documentation that
/// sits next to logs (`README*`, `*.md`) are skipped; a file named
/// explicitly is always read.
pub fn expand_paths(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(p.clone());
            continue;
        }
        let meta = std::fs::metadata(p)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            walk_dir(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk_dir(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with("README") || name.ends_with(".md") {
            continue;
        }
        let path = e.path();
        let ty = std::fs::metadata(&path)?.file_type();
        if ty.is_dir() {
            walk_dir(&path, out)?;
        } else if ty.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_sorted_and_skips_hidden() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        for f in [
            "b.log",
            "a.log",
            ".hidden",
            "sub/c.log.gz",
            "README.md",
            "sub/notes.md",
        ] {
            std::fs::write(d.path().join(f), "x\n").unwrap();
        }
        let got = expand_paths(&[d.path().to_path_buf(), "-".into()]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|p| p.strip_prefix(d.path()).unwrap_or(p).display().to_string())
            .collect();
        assert_eq!(names, ["a.log", "b.log", "sub/c.log.gz", "-"]);
        assert!(expand_paths(&["/nonexistent/x".into()]).is_err());
    }
}
