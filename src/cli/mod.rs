//! Command implementations: glue between the command line and the library.

pub mod args;
mod generate;
mod parse;
mod progress;
mod replay;
mod rules;
mod run;
mod setup;

use anyhow::Result;
use args::{Cli, Command};
use std::process::ExitCode;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Replay(a) => replay::run(a),
        Command::Parse(a) => parse::run(a),
        Command::Rules(c) => rules::run(c),
        Command::Generate(a) => generate::run(a),
        Command::Run(a) => run::run(a),
    }
}
