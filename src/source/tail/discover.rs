//! Finding the files of a `[[sources]]` glob.
//!
//! A glob is split into its literal base directory and the pattern below
//! it; the base is walked (only as deep as the pattern reaches, unless it
//! has `**`) and each regular file is matched against the whole glob.
//! Directory listing, not `glob(3)`, so files created after startup are
//! found by the next rescan, and the base directory is what inotify watches.

use crate::config::{ReadFrom, SourceConfig};
use crate::parse::FormatChoice;
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use std::fs::Metadata;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// How deep `**` may reach below the base directory.
const MAX_DEPTH: usize = 16;

/// A problem with a source's settings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// `path` or an `exclude` entry is not a valid glob.
    #[error("source `{source_name}`: invalid glob `{glob}`: {message}")]
    Glob {
        /// The source.
        source_name: String,
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// `format` names no format.
    #[error("source `{source_name}`: {message}")]
    Format {
        /// The source.
        source_name: String,
        /// Why.
        message: String,
    },
}

/// One `[[sources]]` entry, compiled.
#[derive(Debug, Clone)]
pub struct SourceSpec {
    /// The `source` label.
    pub name: Arc<str>,
    /// The glob as configured.
    pub glob: String,
    /// Literal directory the glob starts in.
    pub base: PathBuf,
    /// Directory levels below `base` the glob can match.
    pub depth: usize,
    matcher: GlobMatcher,
    exclude: GlobSet,
    /// Format of its files.
    pub format: FormatChoice,
    /// Where to start in files present when the source is first tailed.
    pub read_from: ReadFrom,
}

fn is_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

fn compile(name: &str, glob: &str) -> Result<GlobMatcher, SourceError> {
    GlobBuilder::new(glob)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| SourceError::Glob {
            source_name: name.to_string(),
            glob: glob.to_string(),
            message: e.kind().to_string(),
        })
}

impl SourceSpec {
    /// Compiles the `index`-th (0-based) `[[sources]]` entry.
    pub fn new(index: usize, cfg: &SourceConfig) -> Result<SourceSpec, SourceError> {
        let name = cfg.name_or_default(index);
        let matcher = compile(&name, &cfg.path)?;
        let mut ex = GlobSetBuilder::new();
        for e in &cfg.exclude {
            let g = GlobBuilder::new(e)
                .literal_separator(true)
                .build()
                .map_err(|err| SourceError::Glob {
                    source_name: name.clone(),
                    glob: e.clone(),
                    message: err.kind().to_string(),
                })?;
            ex.add(g);
        }
        let exclude = ex.build().map_err(|e| SourceError::Glob {
            source_name: name.clone(),
            glob: cfg.exclude.join(", "),
            message: e.to_string(),
        })?;
        let format = cfg
            .format
            .parse::<FormatChoice>()
            .map_err(|message| SourceError::Format {
                source_name: name.clone(),
                message,
            })?;
        let (base, depth) = split_glob(Path::new(&cfg.path));
        Ok(SourceSpec {
            name: name.into(),
            glob: cfg.path.clone(),
            base,
            depth,
            matcher,
            exclude,
            format,
            read_from: cfg.read_from,
        })
    }

    /// Whether `path` belongs to this source. `exclude` globs match the
    /// whole path or just the file name (`*.gz`).
    pub fn matches(&self, path: &Path) -> bool {
        self.matcher.is_match(path)
            && !self.exclude.is_match(path)
            && !path.file_name().is_some_and(|n| self.exclude.is_match(n))
    }

    /// Every regular file matching the glob now, with its metadata
    /// (symlinks followed). Unreadable subdirectories are skipped; an
    /// unreadable or missing base directory is the error.
    pub fn expand(&self) -> io::Result<Vec<(PathBuf, Metadata)>> {
        let mut out = Vec::new();
        if self.depth == 0 {
            // A literal path: no listing needed.
            match std::fs::metadata(&self.base) {
                Ok(m) if m.is_file() => out.push((self.base.clone(), m)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // The file may appear later; its directory must exist.
                    let dir = self.watch_dir();
                    std::fs::metadata(dir)?;
                }
                Err(e) => return Err(e),
            }
            return Ok(out);
        }
        self.walk(&self.base, 1, &mut out, true)?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn walk(
        &self,
        dir: &Path,
        level: usize,
        out: &mut Vec<(PathBuf, Metadata)>,
        top: bool,
    ) -> io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if top => return Err(e),
            Err(_) => return Ok(()),
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                continue; // vanished, or a dangling symlink
            };
            if meta.is_dir() {
                if level < self.depth {
                    self.walk(&path, level + 1, out, false)?;
                }
            } else if meta.is_file() && self.matches(&path) {
                out.push((path, meta));
            }
        }
        Ok(())
    }

    /// The directory to watch for changes.
    pub fn watch_dir(&self) -> &Path {
        if self.depth == 0 {
            self.base.parent().unwrap_or(Path::new("."))
        } else {
            &self.base
        }
    }
}

/// Splits a glob into its literal leading directory and how many levels
/// below it the pattern reaches (`MAX_DEPTH` with `**`; 0 for a literal
/// path, whose "base" is the path itself).
fn split_glob(glob: &Path) -> (PathBuf, usize) {
    let mut base = PathBuf::new();
    let comps: Vec<Component<'_>> = glob.components().collect();
    let mut i = 0;
    while i < comps.len() {
        let s = comps[i].as_os_str().to_string_lossy();
        if is_glob_meta(&s) {
            break;
        }
        base.push(comps[i]);
        i += 1;
    }
    let rest = &comps[i..];
    if rest.is_empty() {
        return (base, 0);
    }
    let deep = rest.iter().any(|c| c.as_os_str() == "**");
    if base.as_os_str().is_empty() {
        base.push(".");
    }
    (base, if deep { MAX_DEPTH } else { rest.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &str, exclude: &[&str]) -> SourceSpec {
        let cfg = SourceConfig {
            name: Some("web".into()),
            path: path.into(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            format: "combined".into(),
            read_from: ReadFrom::Beginning,
            kafka: None,
        };
        SourceSpec::new(0, &cfg).unwrap()
    }

    #[test]
    fn splits_globs_into_base_and_depth() {
        assert_eq!(
            split_glob(Path::new("/var/log/nginx/access.log*")),
            ("/var/log/nginx".into(), 1)
        );
        assert_eq!(
            split_glob(Path::new("/var/log/*/access.log")),
            ("/var/log".into(), 2)
        );
        assert_eq!(
            split_glob(Path::new("/var/log/**/*.log")),
            ("/var/log".into(), MAX_DEPTH)
        );
        assert_eq!(
            split_glob(Path::new("/var/log/a.log")),
            ("/var/log/a.log".into(), 0)
        );
        assert_eq!(split_glob(Path::new("*.log")), (".".into(), 1));
    }

    #[test]
    fn expands_matching_files_only() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for f in ["a.log", "a.log.1", "a.log.2.gz", "b.txt", "sub/a.log"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x\n").unwrap();
        }
        let s = spec(&format!("{}/a.log*", root.display()), &["*.gz"]);
        let names: Vec<String> = s
            .expand()
            .unwrap()
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.log", "a.log.1"]);
        let deep = spec(&format!("{}/**/a.log", root.display()), &[]);
        assert_eq!(deep.expand().unwrap().len(), 2);
        let literal = spec(&format!("{}/missing.log", root.display()), &[]);
        assert!(literal.expand().unwrap().is_empty(), "may appear later");
        let gone = spec(&format!("{}/nodir/*.log", root.display()), &[]);
        assert!(gone.expand().is_err());
        assert!(
            SourceSpec::new(
                0,
                &SourceConfig {
                    name: None,
                    path: "/x/[".into(),
                    exclude: vec![],
                    format: "auto".into(),
                    read_from: ReadFrom::End,
                    kafka: None,
                }
            )
            .is_err()
        );
    }
}
