//! The command line (SPEC §1), as clap derive structs.

use clap::{Args, Parser, Subcommand};
use picket::parse::FormatChoice;
use std::path::PathBuf;

/// picket: a streaming audit-log analyzer with SIEM-style detection.
#[derive(Debug, Parser)]
#[command(name = "picket", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Batch: read files, directories and `-`, write alerts as JSON lines.
    Replay(ReplayArgs),
    /// Daemon: tail the configured sources, serve /metrics, deliver alerts.
    Run(RunArgs),
    /// Print normalized events, one JSON object per line.
    Parse(ParseArgs),
    /// Check, test or list rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a synthetic combined access log (fixed seed) for samples and benchmarks.
    Generate(GenerateArgs),
}

/// Options shared by `replay` and `run`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Rule file or directory (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub no_default_rules: bool,
    /// Configuration file (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Input format, or `auto` to detect it per file.
    #[arg(long, default_value = "auto", value_name = "F")]
    pub format: FormatChoice,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// `picket replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Write alerts to this file instead of standard output (replaced if it
    /// exists).
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// Write the final Prometheus text exposition to this file.
    #[arg(long, value_name = "FILE")]
    pub metrics_out: Option<PathBuf>,
    /// Load learned baselines from DIR at start and save them at the end.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Write an HTML report of the run.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Files, directories (recursively) and `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `picket run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Shared options (`--config` is required).
    #[command(flatten)]
    pub common: CommonArgs,
    /// Append every input acknowledgement to FILE (positions only; for
    /// debugging and tests).
    #[arg(long, value_name = "FILE", hide = true)]
    pub ack_log: Option<PathBuf>,
}

/// `picket parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Input format, or `auto` to detect it per file.
    #[arg(long, default_value = "auto", value_name = "F")]
    pub format: FormatChoice,
    /// Configuration file (for `tenant`, `staff` and PI settings).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Files, directories (recursively) and `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// `picket rules …`.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Compile rule files; print each error as FILE:LINE:COL: message.
    Check {
        /// Rule files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Config file (TOML): `[rules.placeholders]` for `expand`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run the examples embedded in rule files.
    Test {
        /// Rule files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Config file (TOML): `[rules.placeholders]` for `expand`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// List id, level, kind and title of every loaded rule (built-in ones without PATH).
    List {
        /// Rule files or directories.
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Config file (TOML): `[rules.placeholders]` for `expand`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `picket generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// PRNG seed: the same seed and size give the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Approximate size, e.g. `200MiB`, `1GiB`, `5000000` (bytes).
    #[arg(long, default_value = "10MiB")]
    pub size: String,
    /// Output file (`-` for stdout).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
    /// Also write the planted ground truth as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Plant incidents (bulk reads, off-hours staff access, …).
    #[arg(long)]
    pub incidents: bool,
}

/// Parses the process arguments (exits 2 on usage errors).
pub fn parse() -> Cli {
    Cli::parse()
}
