//! `picket rules check|test|list`.

use super::args::RulesCommand;
use super::setup;
use anyhow::Result;
use std::process::ExitCode;

/// Runs a rules command.
pub fn run(c: RulesCommand) -> Result<ExitCode> {
    match c {
        RulesCommand::Check { paths } => match picket::detect::rule::RuleSet::load(&paths, false) {
            Ok(set) => {
                println!("{} rule(s) OK", set.rules().len());
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in &errors {
                    println!("{e}");
                }
                Ok(ExitCode::from(1))
            }
        },
        RulesCommand::Test { .. } => {
            anyhow::bail!("`rules test` is not available in this build yet")
        }
        RulesCommand::List { paths } => {
            let set = setup::load_rules(&paths, paths.is_empty())?;
            for r in set.rules() {
                println!("{}\t{}\t{}", r.info.id, r.info.level, r.info.title);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
