//! The `picket` binary: a thin shell over the library.
//!
//! Parses the command line, runs the command, and maps errors to the exit
//! codes of SPEC §1: 0 ok, 1 findings could not be produced, 2 usage error.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::args::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("picket: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// A closed stdout (`picket replay … | head`) is a normal way to stop.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<picket::pipeline::PipelineError>()
                .is_some_and(|p| p.is_broken_pipe())
    })
}
