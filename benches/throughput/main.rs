//! The issue 8 throughput harness: one run, the same bytes, every tool.
//!
//! ```sh
//! cargo bench --bench throughput                  # ~1 GiB, all rows
//! PICKET_BENCH_SIZE=200MiB cargo bench --bench throughput
//! PICKET_BENCH_ROWS=replay,rg PICKET_BENCH_RUNS=3 cargo bench --bench throughput
//! scripts/bench-throughput.sh                     # the same, plus machine notes
//! ```
//!
//! A combined access log is generated with `picket::generate` (seed 42)
//! under `target/bench-data/`, gzipped once beside it, and reused by later
//! runs. Each input (the plain file, then its `.gz`) gets a memchr line
//! count (the practical limit), the real `picket` binary
//! (`CARGO_BIN_EXE_picket`, built by this `cargo bench` from this tree) in
//! four configurations, `rg -c` with a PI regex union, and GoAccess, each
//! timed from outside with its peak RSS and CPU time ([`child`]); plus
//! in-process rows of the library's stages for "where time goes"
//! ([`inproc`]). It prints a table per input, the issue 8 acceptance
//! ratios, and the same tables in markdown for `docs/PERFORMANCE.md`.
//! Nothing is asserted: timings do not belong in pass/fail tests.
//!
//! Environment:
//! - `PICKET_BENCH_SIZE`: input size, e.g. `100MiB`, `1GiB` (default).
//! - `PICKET_BENCH_ROWS`: comma-separated groups, default `all`:
//!   `replay` (picket binary), `rg`, `goaccess`, `inproc` (library stages),
//!   `gz` (repeat the subprocess rows on the `.gz`). The memchr count always
//!   runs: every ratio needs it.
//! - `PICKET_BENCH_RUNS`: rounds (default 1). Rows run interleaved, round
//!   after round, and the run with the median wall time is reported, so
//!   drifting load hits every row alike; peak RSS is the highest of all
//!   runs. Each round's figures also go to stderr.

mod child;
mod inproc;
mod report;

use child::{Plan, Spec};
use picket::generate::{GeneratorConfig, generate_to_path, parse_size};
use report::{Row, Section};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Which groups of rows run (`PICKET_BENCH_ROWS`).
struct Groups {
    replay: bool,
    rg: bool,
    goaccess: bool,
    inproc: bool,
    gz: bool,
}

impl Groups {
    fn from_env() -> Groups {
        let v = std::env::var("PICKET_BENCH_ROWS").unwrap_or_else(|_| "all".into());
        let on = |g: &str| v.split(',').any(|x| x.trim() == g || x.trim() == "all");
        Groups {
            replay: on("replay"),
            rg: on("rg"),
            goaccess: on("goaccess"),
            inproc: on("inproc"),
            gz: on("gz"),
        }
    }
}

/// One row to run, possibly several times.
enum Task {
    Memchr { gz: bool },
    Parse,
    Detect { pi_on: bool },
    Pipeline { threads: usize },
    Child(Spec),
}

fn main() {
    if let Some(out) = std::env::var_os(child::WRAP_ENV) {
        child::wrapper_main(&out);
    }
    let size = std::env::var("PICKET_BENCH_SIZE").unwrap_or_else(|_| "1GiB".into());
    let bytes = parse_size(&size).expect("PICKET_BENCH_SIZE like 200MiB or 1GiB");
    let runs: usize = std::env::var("PICKET_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let groups = Groups::from_env();
    let work = child::work_dir();
    std::fs::create_dir_all(&work).expect("create target/bench-data");
    let plain = bench_file(&work, bytes);
    let gz = groups.gz.then(|| gz_file(&plain));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    let header = machine_header(&plain, gz.as_deref(), runs);
    println!("{header}");
    let mut sections = vec![run_section(
        "plain file",
        &plain,
        false,
        &groups,
        threads,
        runs,
        &work,
    )];
    if let Some(gz) = &gz {
        sections.push(run_section(
            ".gz of the same file (MB/s of uncompressed bytes)",
            gz,
            true,
            &groups,
            threads,
            runs,
            &work,
        ));
    }
    for s in &sections {
        println!("{}", s.table(false));
        println!("{}", s.verdict());
    }
    println!("---- markdown (paste into docs/PERFORMANCE.md) ----\n");
    println!("{header}");
    for s in &sections {
        println!("**{}**\n\n{}", s.title, s.table(true));
    }
    println!("load average at the end: {}", loadavg());
    let _ = std::io::stdout().flush();
}

/// Runs every row of one input `runs` times, interleaved, and keeps each
/// row's median run.
fn run_section(
    title: &str,
    input: &Path,
    gz: bool,
    groups: &Groups,
    threads: usize,
    runs: usize,
    work: &Path,
) -> Section {
    let mut skipped = Vec::new();
    let mut tasks = vec![Task::Memchr { gz }];
    if groups.inproc && !gz {
        tasks.extend([
            Task::Parse,
            Task::Detect { pi_on: false },
            Task::Detect { pi_on: true },
            Task::Pipeline { threads },
        ]);
    }
    let plan = Plan {
        picket: Path::new(env!("CARGO_BIN_EXE_picket")),
        input,
        work,
        threads,
        gz,
    };
    if groups.replay {
        tasks.extend(plan.picket_rows().into_iter().map(Task::Child));
    }
    if groups.rg {
        if child::have("rg") && (!gz || child::have("gzip")) {
            tasks.push(Task::Child(plan.ripgrep()));
        } else {
            skipped.push("rg -c PI regex union: `rg` (or `gzip` for -z) not found".into());
        }
    }
    if groups.goaccess {
        if child::have("goaccess") && (!gz || child::have("gzip")) {
            tasks.push(Task::Child(plan.goaccess()));
        } else {
            skipped.push(
                "GoAccess: `goaccess` (or `gzip`) not found (apt-get install goaccess)".into(),
            );
        }
    }

    // Warm the page cache so that no row pays for the first read.
    let _ = inproc::memchr_count(input, false);
    eprintln!("{title}: load average {}", loadavg());
    let mut results: Vec<Vec<Row>> = tasks.iter().map(|_| Vec::new()).collect();
    let mut failed = vec![false; tasks.len()];
    let (mut total_bytes, mut total_lines) = (0, 0);
    for round in 0..runs {
        for (i, task) in tasks.iter().enumerate() {
            if failed[i] {
                continue;
            }
            let row = match task {
                Task::Memchr { gz } => Ok(inproc::memchr_count(input, *gz)),
                Task::Parse => Ok(inproc::parse_only(input)),
                Task::Detect { pi_on } => Ok(inproc::single_thread_detect(input, *pi_on)),
                Task::Pipeline { threads } => Ok(inproc::pipeline(input, *threads)),
                Task::Child(spec) => spec.run(work, total_bytes, total_lines),
            };
            match row {
                Ok(r) => {
                    if matches!(task, Task::Memchr { .. }) {
                        (total_bytes, total_lines) = (r.bytes, r.lines);
                    }
                    eprintln!(
                        "  round {}: {:<70} {:>8.2} s wall {:>8.2} s CPU {:>6} MiB",
                        round + 1,
                        r.name,
                        r.wall,
                        r.cpu,
                        r.rss_kib.map_or("-".into(), |k| (k / 1024).to_string())
                    );
                    results[i].push(r);
                }
                Err(e) => {
                    eprintln!("  FAILED: {e}");
                    skipped.push(format!("FAILED: {e}"));
                    failed[i] = true;
                }
            }
        }
    }
    // Timings from the median run; peak RSS the highest of all runs, since
    // the RSS bound is a worst case (with several workers it moves with
    // scheduling: how far the workers run ahead of the collector).
    let rows = results
        .into_iter()
        .filter_map(|mut v| {
            let worst_rss = v.iter().filter_map(|r| r.rss_kib).max();
            v.sort_by(|a, b| a.wall.total_cmp(&b.wall));
            let mid = v.len() / 2;
            let mut row = v.into_iter().nth(mid)?;
            row.rss_kib = worst_rss;
            Some(row)
        })
        .collect();
    Section {
        title: format!("{title}, load average after: {}", loadavg()),
        rows,
        skipped,
    }
}

/// The generated input, `target/bench-data/combined-seed42-BYTES.log`,
/// made once (fixed seed, so every machine gets the same bytes).
fn bench_file(dir: &Path, bytes: u64) -> PathBuf {
    let path = dir.join(format!("combined-seed42-{bytes}.log"));
    if !path.exists() {
        eprintln!("generating {} …", path.display());
        let cfg = GeneratorConfig {
            seed: 42,
            ..GeneratorConfig::default()
        };
        let tmp = path.with_extension("tmp");
        generate_to_path(&cfg, &tmp, bytes).expect("generate bench file");
        std::fs::rename(&tmp, &path).expect("rename bench file");
    }
    path
}

/// The same file gzipped (flate2, default level), made once beside it.
fn gz_file(plain: &Path) -> PathBuf {
    let mut name = plain.as_os_str().to_owned();
    name.push(".gz");
    let path = PathBuf::from(name);
    if !path.exists() {
        eprintln!("compressing {} …", path.display());
        let tmp = path.with_extension("gz.tmp");
        let out = std::fs::File::create(&tmp).expect("create .gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(out),
            flate2::Compression::default(),
        );
        let mut src = std::fs::File::open(plain).expect("open bench file");
        std::io::copy(&mut src, &mut enc).expect("gzip bench file");
        enc.finish()
            .and_then(|mut w| w.flush())
            .expect("finish .gz");
        std::fs::rename(&tmp, &path).expect("rename .gz");
    }
    path
}

/// What a reader of the figures needs to weigh them: the machine, its load,
/// the input, the tool versions and which `picket` ran.
fn machine_header(plain: &Path, gz: Option<&Path>, runs: usize) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".into(), |(_, m)| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("?".into(), |kib| format!("{:.1}", kib / 1024.0 / 1024.0));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len()) as f64 / 1e6;
    let first_line = |cmd: &str| {
        std::process::Command::new(cmd)
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "not installed".into())
    };
    let git = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "describe",
            "--always",
            "--dirty",
        ])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut h = format!(
        "machine: {model}, {cores} cores, {mem_gib} GiB RAM; load average at start: {}\n",
        loadavg()
    );
    h += &format!("input: {} ({:.1} MB, seed 42)", plain.display(), len(plain));
    if let Some(gz) = gz {
        h += &format!("; .gz {:.1} MB", len(gz));
    }
    h += &format!(
        "\npicket: {} (built by cargo bench from this tree, git {git}); {}; {}\n",
        env!("CARGO_BIN_EXE_picket"),
        first_line("rg"),
        first_line("goaccess")
    );
    h += &format!(
        "runs: {runs} (median by wall time; peak RSS the highest of all runs); warm page cache; picket rows add \
         `-q --alerts /dev/null --metrics-out F`; PI off = `--config` with \
         `[privacy] categories = []`\nPI regex union: {}\n",
        child::PI_REGEX
    );
    h
}

/// `/proc/loadavg`'s three averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
