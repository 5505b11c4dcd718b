//! Runs the vendored openCypher TCK against an engine and prints passed /
//! failed / total per feature directory, ending with the line
//! `overall: P passed, F failed, T total (X.Y%)`.
//!
//! Until the Cypher engine exists this runs the placeholder `NullEngine`;
//! swapping in the real adapter is the one line marked `ENGINE` below.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tests::tck::{default_tck_dir, install_panic_hook, ErrorMatching, RunConfig, Runner, Suite};

const USAGE: &str = "\
usage: tck-report [options]

Runs the openCypher TCK (tests/tck) and prints passed/failed/total per
feature directory, then `overall: P passed, F failed, T total (X.Y%)`.

options:
  --filter SUBSTRING   run only scenarios whose id contains SUBSTRING
                       (ids look like `clauses/match/Match1.feature: [1] ...`)
  --failures           print every failure with its reason
  --json FILE          also write the full report as JSON to FILE
  --timeout SECONDS    per-scenario timeout (default 10)
  --skip-tag TAG       report scenarios tagged TAG as skipped (repeatable)
  --lenient-errors     match expected errors by type only (not phase/detail)
  --tck-dir DIR        TCK directory (default: the vendored tests/tck)
  --progress           print a dot per scenario to stderr
  -h, --help           this help";

struct Options {
    config: RunConfig,
    failures: bool,
    json: Option<PathBuf>,
    tck_dir: PathBuf,
    progress: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        config: RunConfig::default(),
        failures: false,
        json: None,
        tck_dir: default_tck_dir(),
        progress: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--filter" => options.config.filter = Some(value("--filter")?),
            "--failures" => options.failures = true,
            "--json" => options.json = Some(PathBuf::from(value("--json")?)),
            "--timeout" => {
                let text = value("--timeout")?;
                let secs: f64 = text
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| format!("--timeout: `{text}` is not a positive number"))?;
                options.config.timeout = Duration::from_secs_f64(secs);
            }
            "--skip-tag" => options.config.skip_tags.push(value("--skip-tag")?),
            "--lenient-errors" => {
                options.config.error_matching = ErrorMatching {
                    check_phase: false,
                    check_detail: false,
                };
            }
            "--tck-dir" => options.tck_dir = PathBuf::from(value("--tck-dir")?),
            "--progress" => options.progress = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("tck-report: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let engine = tests::tck::caregraph::CareGraphEngine;

    let runner_engine_name = tests::tck::TckEngine::name(&engine);
    println!("engine: {runner_engine_name}");

    let suite = match Suite::load(&options.tck_dir) {
        Ok(suite) => suite,
        Err(errors) => {
            for error in &errors {
                eprintln!("tck-report: {error}");
            }
            eprintln!(
                "tck-report: {} feature file(s) failed to parse",
                errors.len()
            );
            return ExitCode::from(2);
        }
    };
    let selected = suite
        .scenarios
        .iter()
        .filter(|s| options.config.selects(s))
        .count();
    println!(
        "tck: {} ({} features, {} scenarios after expanding outlines, {} selected)",
        suite.root.display(),
        suite.features.len(),
        suite.scenarios.len(),
        selected
    );

    install_panic_hook();
    let runner = Runner::new(engine, suite.graphs.clone(), options.config.clone());
    let started = Instant::now();
    let mut done = 0usize;
    let report = runner.run_with(&suite.scenarios, |_| {
        done += 1;
        if options.progress {
            eprint!(".");
            if done.is_multiple_of(100) || done == selected {
                eprintln!(" {done}/{selected}");
            }
        }
    });

    if options.failures {
        for line in report.failure_lines() {
            println!("{line}");
        }
        println!();
    }
    if let Some(path) = &options.json {
        let text = match serde_json::to_string_pretty(&report.to_json()) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("tck-report: cannot render JSON: {e}");
                return ExitCode::from(2);
            }
        };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("tck-report: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
        println!("json: {}", path.display());
    }
    for line in report.group_lines() {
        println!("{line}");
    }
    let kinds = report.failure_kinds();
    if !kinds.is_empty() {
        let parts: Vec<String> = kinds
            .iter()
            .map(|(k, n)| format!("{n} {}", k.as_str()))
            .collect();
        println!("failures by kind: {}", parts.join(", "));
    }
    let skipped = report.overall().skipped;
    if skipped > 0 {
        println!("skipped: {skipped}");
    }
    println!("time: {:.1} s", started.elapsed().as_secs_f64());
    println!("{}", report.overall_line());
    ExitCode::SUCCESS
}
