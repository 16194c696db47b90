//! `picket rules check|test|list`.

use super::args::RulesCommand;
use super::setup;
use anyhow::Result;
use picket::detect::rule::{RuleSet, check};
use picket::detect::run_rule_examples;
use std::process::ExitCode;

/// Runs a rules command.
pub fn run(c: RulesCommand) -> Result<ExitCode> {
    match c {
        RulesCommand::Check { paths } => {
            let errors = check(&paths);
            for e in &errors {
                println!("{e}");
            }
            if errors.is_empty() {
                let n = RuleSet::load(&paths, false).map_or(0, |s| s.rules().len());
                eprintln!("picket: {n} rule(s) OK");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("picket: {} error(s)", errors.len());
                Ok(ExitCode::from(1))
            }
        }
        RulesCommand::Test { paths } => {
            let report = run_rule_examples(&paths, false);
            print!("{report}");
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
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
