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
        RulesCommand::Check { paths, config } => {
            let options = setup::rule_options(&setup::load_config(config.as_deref())?)?;
            let errors = check(&paths, &options);
            for e in &errors {
                println!("{e}");
            }
            if errors.is_empty() {
                let n = RuleSet::load_with(&paths, false, &options)
                    .map_or(0, |s| s.rules().len() + s.correlations().rules().len());
                eprintln!("picket: {n} rule(s) OK");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("picket: {} error(s)", errors.len());
                Ok(ExitCode::from(1))
            }
        }
        RulesCommand::Test { paths, config } => {
            let options = setup::rule_options(&setup::load_config(config.as_deref())?)?;
            let report = run_rule_examples(&paths, false, &options);
            print!("{report}");
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RulesCommand::List { paths, config } => {
            let options = setup::rule_options(&setup::load_config(config.as_deref())?)?;
            let set = setup::load_rules(&paths, paths.is_empty(), &options)?;
            let plan = set.correlations();
            for (i, r) in set.rules().iter().enumerate() {
                // Rules that only feed correlations are marked: they raise no alerts of their own.
                let kind = if plan.is_silent(i) {
                    "match (correlated only)"
                } else {
                    "match"
                };
                println!("{}\t{}\t{kind}\t{}", r.info.id, r.info.level, r.info.title);
            }
            for c in plan.rules() {
                println!(
                    "{}\t{}\tcorrelation {}\t{}",
                    c.info.id,
                    c.info.level,
                    c.kind.name(),
                    c.info.title
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
