//! The rewrite mode: `pyrewrite [--pass NAME ...] IN OUT` over a file or a directory tree, in parallel.

use super::fsutil::{same_file, walk, write_atomic};
use super::{report, textdiff, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use pyrewrite::passes::{config, Pipeline};
use pyrewrite::pyc::Pyc;
use pyrewrite::{Error, ErrorKind};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Options of the rewrite mode (used when no subcommand is given).
#[derive(Args, Debug)]
pub struct RewriteArgs {
    /// Input: a .pyc file, or a directory whose .pyc files are all rewritten
    #[arg(value_name = "IN")]
    input: Option<PathBuf>,
    /// Output: a file, or a directory mirroring IN (not with --check/--in-place)
    #[arg(value_name = "OUT")]
    output: Option<PathBuf>,
    /// Apply the pass NAME; repeat for several, applied in the order given
    #[arg(long = "pass", value_name = "NAME")]
    passes: Vec<String>,
    /// Parameter of the --pass pass (PASS.KEY=VALUE when several); see `pyrewrite passes`
    #[arg(long = "param", visible_alias = "set", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// TOML pipeline file ([[pass]] tables, docs/config.md); its passes run before --pass ones
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Write the IR before and after each pass under DIR (IN-relative names)
    #[arg(long, value_name = "DIR")]
    dump: Option<PathBuf>,
    /// Also print per-pass times and counts
    #[arg(short, long, conflicts_with = "quiet")]
    verbose: bool,
    /// Replace each input file with its rewrite (no OUT)
    #[arg(long, conflicts_with = "check")]
    in_place: bool,
    /// Read, rewrite and re-encode every file, write nothing (no OUT)
    #[arg(long)]
    check: bool,
    /// Print the before/after disassembly of every code object a pass changed
    #[arg(long)]
    diff: bool,
    /// Worker threads (default: one per CPU)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// No summary line and no progress bar
    #[arg(short, long)]
    quiet: bool,
}

/// One file to process.
struct Job {
    input: PathBuf,
    /// Where to write; `None` for `--check`.
    output: Option<PathBuf>,
}

/// Runs the rewrite mode and returns the exit code.
pub fn run(args: RewriteArgs) -> i32 {
    // NB: pass registry, parameters and the TOML config live in pyrewrite::passes.
    let mut pipeline = match config::pipeline(args.config.as_deref(), &args.passes, &args.params) {
        Ok(p) => p,
        Err(msg) => {
            report::usage(&msg);
            return EXIT_USAGE;
        }
    };
    let Some(input) = args.input.clone() else {
        report::usage("missing IN (try `pyrewrite --help`)");
        return EXIT_USAGE;
    };
    if let Some(dir) = &args.dump {
        pipeline.set_dump(dir, &input);
    }
    let (jobs, ignored, mut failures) = match plan(&args, &input) {
        Ok(p) => p,
        Err(Planned::Usage(msg)) => {
            report::usage(&msg);
            return EXIT_USAGE;
        }
        Err(Planned::Failed(e)) => {
            report::error(&input, &e);
            return EXIT_FAILED;
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(p) => p,
        Err(e) => {
            report::usage(&format!("cannot start worker threads: {e}"));
            return EXIT_USAGE;
        }
    };
    let bar = progress_bar(jobs.len(), args.quiet);
    let results: Vec<Result<Option<String>, Error>> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let r = report::guard(&job.input, || process(job, &pipeline, args.in_place, args.diff));
                if let Some(b) = &bar {
                    b.inc(1);
                }
                r
            })
            .collect()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut ok = 0usize;
    for (job, r) in jobs.iter().zip(results) {
        match r {
            Ok(diff) => {
                ok += 1;
                // NB: printed in input order after the parallel run, so the
                // output does not depend on scheduling.
                if let Some(d) = diff {
                    print!("{d}");
                }
            }
            Err(e) => failures.push((job.input.clone(), e)),
        }
    }
    for (path, e) in &failures {
        report::error(path, e);
    }
    if !args.quiet {
        let verb = if args.check { "checked" } else { "rewrote" };
        let ignored = if ignored > 0 { format!(", ignored {ignored} non-.pyc file(s)") } else { String::new() };
        report::emit(&format!("{verb} {ok} file(s), {} failed{ignored}\n", failures.len()));
    }
    if args.verbose {
        report::emit(&pipeline.summary());
    }
    if failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The files to process, how many others were ignored, and the
/// directories that could not be read.
type Plan = (Vec<Job>, usize, Vec<(PathBuf, Error)>);

enum Planned {
    Usage(String),
    Failed(Error),
}

/// Resolves IN/OUT and the flags into the list of files and their outputs.
fn plan(args: &RewriteArgs, input: &Path) -> Result<Plan, Planned> {
    let usage = |s: String| Planned::Usage(s);
    if (args.check || args.in_place) && args.output.is_some() {
        let flag = if args.check { "--check" } else { "--in-place" };
        return Err(usage(format!("{flag} takes no OUT")));
    }
    if !args.check && !args.in_place && args.output.is_none() {
        return Err(usage("missing OUT (or use --check, or --in-place to replace the input)".into()));
    }
    let meta = std::fs::metadata(input).map_err(|e| Planned::Failed(Error::from(e).in_file(input)))?;
    let output = args.output.as_deref();
    if let Some(out) = output {
        if same_file(input, out) {
            return Err(usage(format!(
                "{}: OUT is the input; use --in-place to overwrite the input",
                out.display()
            )));
        }
    }
    let target = |rel: Option<&Path>, path: &Path| -> Option<PathBuf> {
        if args.check {
            None
        } else if args.in_place {
            Some(path.to_path_buf())
        } else {
            let out = output.expect("checked above");
            Some(match rel {
                Some(r) => out.join(r),
                None => out.to_path_buf(),
            })
        }
    };
    if !meta.is_dir() {
        let mut out = target(None, input);
        // NB: like cp, a file into an existing directory keeps its name.
        if let (Some(o), false) = (&out, args.in_place) {
            if o.is_dir() {
                out = Some(o.join(input.file_name().unwrap_or_default()));
            }
        }
        return Ok((vec![Job { input: input.to_path_buf(), output: out }], 0, Vec::new()));
    }
    if let Some(out) = output {
        if out.exists() && !out.is_dir() {
            return Err(usage(format!("{}: IN is a directory but OUT is not", out.display())));
        }
    }
    let skip = output.and_then(|o| std::fs::canonicalize(o).ok());
    let w = walk(input, skip.as_deref());
    let jobs = w
        .pyc
        .iter()
        .map(|rel| {
            let path = input.join(rel);
            Job { output: target(Some(rel), &path), input: path }
        })
        .collect();
    Ok((jobs, w.ignored, w.errors))
}

/// Reads, rewrites and (unless checking) writes one file. Nothing is
/// written unless every step succeeded.
fn process(job: &Job, pipeline: &Pipeline, in_place: bool, diff: bool) -> Result<Option<String>, Error> {
    let path = &job.input;
    let data = std::fs::read(path).map_err(|e| Error::from(e).in_file(path))?;
    let mut pyc = Pyc::parse(&data).map_err(|e| e.in_file(path))?;
    let before = diff.then(|| textdiff::snapshot(&pyc.marshal));
    pipeline.run(&mut pyc, path).map_err(|e| e.in_file(path))?;
    let diff_text = before.map(|b| textdiff::render(&path.display().to_string(), &b, &textdiff::snapshot(&pyc.marshal)));
    let bytes = pyc.to_bytes().map_err(|e| e.in_file(path))?;
    if pipeline.is_empty() && bytes != data {
        // NB: with no pass the rewrite must reproduce the input exactly; a
        // difference is a pyrewrite bug, and writing it would corrupt the file.
        let at = bytes.iter().zip(&data).position(|(x, y)| x != y).unwrap_or(bytes.len().min(data.len()));
        return Err(Error::at(
            at as u64,
            ErrorKind::Invalid(format!(
                "re-encoding does not reproduce the input ({} bytes written vs {} read; pyrewrite bug, please report)",
                bytes.len(),
                data.len()
            )),
        )
        .in_file(path));
    }
    let Some(out) = &job.output else { return Ok(diff_text) };
    if !in_place && same_file(path, out) {
        return Err(Error::new(ErrorKind::Invalid(format!(
            "output {} is the input file; use --in-place to overwrite it",
            out.display()
        )))
        .in_file(path));
    }
    write_atomic(out, &bytes, Some(path))?;
    Ok(diff_text)
}

fn progress_bar(n: usize, quiet: bool) -> Option<ProgressBar> {
    if quiet || n < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files  {elapsed}") {
        bar.set_style(style);
    }
    Some(bar)
}
