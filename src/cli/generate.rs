//! `picket generate`: synthetic logs for samples and benchmarks.

use super::args::GenerateArgs;
use anyhow::Result;
use std::process::ExitCode;

/// Runs the generator.
pub fn run(_a: GenerateArgs) -> Result<ExitCode> {
    anyhow::bail!("`picket generate` is not available in this build yet")
}
