//! `picket generate`: synthetic logs for samples and benchmarks.

use super::args::GenerateArgs;
use anyhow::{Context, Result};
use picket::generate::{Generator, GeneratorConfig, generate_to_path_with_truth, parse_size};
use std::io::Write;
use std::process::ExitCode;

/// Runs the generator.
pub fn run(a: GenerateArgs) -> Result<ExitCode> {
    let bytes = parse_size(&a.size).with_context(|| {
        format!(
            "--size {}: expected e.g. 10MiB, 1GiB or a byte count",
            a.size
        )
    })?;
    let cfg = GeneratorConfig {
        seed: a.seed,
        incidents: a.incidents,
        ..GeneratorConfig::default()
    };
    let stats = if a.out.as_os_str() == "-" {
        let mut g = Generator::new(cfg);
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(128 * 1024, stdout.lock());
        let s = g.write_bytes(&mut out, bytes)?;
        out.flush()?;
        if let Some(t) = &a.truth {
            picket::generate::write_truth(g.planted(), t)
                .with_context(|| format!("writing {}", t.display()))?;
        }
        s
    } else {
        generate_to_path_with_truth(&cfg, &a.out, bytes, a.truth.as_deref())
            .with_context(|| format!("writing {}", a.out.display()))?
    };
    eprintln!(
        "picket: generated {} lines, {} bytes ({} with PI, {} look-alikes, {} incidents)",
        stats.lines, stats.bytes, stats.pi_lines, stats.decoy_lines, stats.incidents
    );
    Ok(ExitCode::SUCCESS)
}
