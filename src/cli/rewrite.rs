//! The rewrite mode: `pyrewrite [--pass NAME ...] IN OUT` over a file or a directory tree, in parallel.

use super::fsutil::{
    create_dirs, module_name, orphan_cache_file, parent_dir, read_input, same_file, sourceless_rel,
    walk, write_atomic, FileId, Input,
};
use super::{disdiff, report, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::passes::params::Glob;
use crate::passes::{config, PassStats, Pipeline};
use crate::pyc::{version_of_magic, Pyc};
use crate::{Error, ErrorKind, PyVersion};
use clap::Args;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// Print a unified diff of each changed file's disassembly (before -> after)
    #[arg(long)]
    diff: bool,
    /// Worker threads (default: one per CPU)
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// No summary line and no progress bar
    #[arg(short, long)]
    quiet: bool,
    /// Output tree layout: `mirror` keeps IN's paths; `sourceless` writes
    /// pkg/__pycache__/mod.TAG.pyc as pkg/mod.pyc, which Python imports without the .py
    #[arg(long, value_enum, default_value_t = Layout::Mirror)]
    layout: Layout,
    /// Only files whose IN-relative path matches GLOB (`*` any text, `/` included); repeatable
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Leave out files whose IN-relative path matches GLOB; repeatable
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Exit 1 when a pass changed nothing in the whole run
    #[arg(long)]
    strict: bool,
    /// Print one JSON document: per file the passes, their counts and the error
    #[arg(long, conflicts_with = "diff")]
    json: bool,
}

/// Where the rewrite mode writes each file of a directory tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Layout {
    /// The same relative path as in IN.
    Mirror,
    /// `pkg/mod.pyc` for `pkg/__pycache__/mod.TAG.pyc`, so the tree runs without sources.
    Sourceless,
}

/// One file to process.
struct Job {
    input: PathBuf,
    /// Where to write; `None` for `--check`.
    output: Option<PathBuf>,
    /// A module the rewritten code imports (the hook): written unchanged.
    runtime: bool,
}

impl AsRef<Path> for Job {
    fn as_ref(&self) -> &Path {
        &self.input
    }
}

/// What became of one file.
#[derive(Default)]
struct Outcome {
    diff: Option<String>,
    stats: Vec<PassStats>,
}

/// Runs the rewrite mode and returns the exit code.
pub fn run(args: RewriteArgs) -> i32 {
    // NB: pass registry, parameters and the TOML config live in crate::passes.
    let mut pipeline = match config::pipeline(args.config.as_deref(), &args.passes, &args.params) {
        Ok(p) => p,
        Err(msg) => {
            report::usage(&msg.to_string());
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
    let runtime = pipeline.runtime_modules();
    let (jobs, ignored, mut failures) = match plan(&args, &input, &runtime) {
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
    if let Err(msgs) = check_versions(&pipeline, &jobs) {
        for m in msgs {
            report::usage(&m);
        }
        return EXIT_USAGE;
    }
    for job in jobs.iter().filter(|j| j.runtime) {
        report::note(&format!(
            "{}: not instrumented: it is the module the rewritten code imports at run time (instrumenting it would make it import itself); {}",
            job.input.display(),
            if job.output.is_some() && !args.in_place { "copied unchanged" } else { "left unchanged" }
        ));
    }
    if args.layout == Layout::Sourceless && input.is_dir() && is_package_dir(&input) {
        let name = input
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        report::warning(&format!(
            "IN is the package {name:?} itself (it has an __init__): its modules are written at the top of OUT, \
             so `import {name}` will not find them there; give the directory that holds the package (a sys.path entry) as IN"
        ));
    }
    if input.is_dir() && !jobs.iter().any(|j| j.runtime) {
        for m in &runtime {
            report::note(&format!("module {m} (imported by the rewritten code) is not in IN: it must be importable when the code runs"));
        }
    }
    // Once per output directory, before writing: create it, check it is
    // not the input's directory, sweep temporary files of an earlier run
    // that was killed mid-write. Files bound for a failed one fail alone.
    let dirs = OutputDirs::prepare(&jobs, args.in_place);
    let mut swept = 0;
    let out_dirs: std::collections::BTreeSet<&Path> = jobs
        .iter()
        .filter_map(|j| j.output.as_deref().and_then(Path::parent))
        .collect();
    for d in out_dirs {
        swept += super::fsutil::sweep_stale_temps(d);
    }
    if swept > 0 && !args.quiet {
        report::note(&format!(
            "removed {swept} temporary file(s) left by an interrupted run"
        ));
    }
    let bar = progress_bar(jobs.len(), args.quiet || args.json);
    let mut ok = 0usize;
    let mut files_json = Vec::new();
    let check_orphans = !args.in_place && args.layout == Layout::Mirror;
    let mut orphans = 0usize;
    let work = |job: &Job| match dirs.refuse(job) {
        Some(e) => Err(e),
        None => report::guard(&job.input, || {
            process(job, &pipeline, args.in_place, args.diff, args.check)
        }),
    };
    // NB: results arrive in input order (tree::in_order), so diffs and
    // errors do not depend on scheduling, and only a window of them waits
    // in memory.
    let run = super::tree::in_order(&jobs, args.jobs, work, |job, r| {
        if let Some(b) = &bar {
            b.inc(1);
        }
        match r {
            Ok(outcome) => {
                ok += 1;
                if let Some(d) = &outcome.diff {
                    // NB: the progress bar (stderr) steps aside while the diff prints.
                    match &bar {
                        Some(b) => b.suspend(|| print!("{d}")),
                        None => print!("{d}"),
                    }
                }
                // NB: only what the run's end needs is kept per file (a
                // site-packages tree has 10^5 files).
                if let (Some(o), true) = (&job.output, check_orphans) {
                    orphans += usize::from(orphan_cache_file(o));
                }
                if args.json {
                    files_json.push(FileJson::new(job, Some(&outcome), None));
                }
            }
            Err(e) => {
                if args.json {
                    files_json.push(FileJson::new(job, None, Some(&e)));
                }
                failures.push((job.input.clone(), e));
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Err(msg) = run {
        report::usage(&msg);
        return EXIT_FAILED;
    }
    for (path, e) in &failures {
        report::error(path, e);
    }
    if orphans > 0 {
        report::warning(&format!(
            "wrote {orphans} file(s) into __pycache__ directories without their .py sources: Python loads \
             __pycache__/*.pyc only for a source file next to it (and recompiles it when that source's \
             mtime or size differs from the .pyc header), so it will not run this code; use --layout \
             sourceless to write pkg/mod.pyc files that `PYTHONPATH=OUT python` imports directly"
        ));
    }
    let totals = pipeline.stats();
    let processed = jobs.iter().filter(|j| !j.runtime).count();
    let mut noop = false;
    if processed > 0 && ok > 0 {
        for (k, s) in totals.iter().enumerate() {
            if s.sites.changed == 0 {
                noop = true;
                report::warning(&format!(
                    "pass {} ({}) changed nothing in {} file(s) ({} matching site(s)): check its parameters{}",
                    k + 1,
                    s.name,
                    s.files,
                    s.sites.matched,
                    if args.strict { "" } else { " (--strict makes this an error)" }
                ));
            }
        }
    }
    if args.json {
        let passes: Vec<PassJson> = totals.iter().map(PassJson::from).collect();
        let doc = RunJson {
            files: files_json,
            passes,
            failed: failures.len(),
            ok,
        };
        let mut text = serde_json::to_string_pretty(&doc).expect("plain structs serialise");
        text.push('\n');
        report::emit(&text);
    } else if !args.quiet {
        let verb = if args.check { "checked" } else { "rewrote" };
        let ignored = if ignored > 0 {
            format!(", ignored {ignored} non-.pyc or excluded file(s)")
        } else {
            String::new()
        };
        report::emit(&format!(
            "{verb} {ok} file(s), {} failed{ignored}\n",
            failures.len()
        ));
        for (k, s) in totals.iter().enumerate() {
            report::emit(&format!(
                "pass {} {}: changed {} site(s) in {} code object(s), {} site(s) matched\n",
                k + 1,
                s.name,
                s.sites.changed,
                s.changed,
                s.sites.matched
            ));
        }
    }
    if args.verbose {
        report::emit(&pipeline.summary());
    }
    if !failures.is_empty() || (args.strict && noop) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `--json`: the whole run.
#[derive(Serialize)]
struct RunJson {
    files: Vec<FileJson>,
    /// Totals per pass, in pipeline order.
    passes: Vec<PassJson>,
    ok: usize,
    failed: usize,
}

/// `--json`: one file.
#[derive(Serialize)]
struct FileJson {
    file: String,
    output: Option<String>,
    /// `rewritten`, `copied` (a runtime module) or `failed`.
    status: &'static str,
    passes: Vec<PassJson>,
    error: Option<String>,
    /// When the verifier rejected a pass's output: each problem found.
    problems: Vec<ProblemJson>,
}

/// `--json`: one verifier problem in a pass's output.
#[derive(Serialize)]
struct ProblemJson {
    pass: &'static str,
    code_object: String,
    /// The rule's kebab-case name (`stack-kind`), as `pyrewrite verify` prints it.
    invariant: &'static str,
    /// The block's label number (`L3` is 3) and the instruction's index in it.
    block: Option<u32>,
    instr: Option<usize>,
    /// Byte offset of the instruction in the code as the pass left it.
    offset: Option<u32>,
    message: String,
}

impl ProblemJson {
    fn all(e: &Error) -> Vec<ProblemJson> {
        let Some(site) = e.pass_site() else {
            return Vec::new();
        };
        site.problems
            .iter()
            .map(|p| ProblemJson {
                pass: site.pass,
                code_object: site.code_object.clone(),
                invariant: p.invariant.name(),
                block: p.location.label.map(|l| l.0),
                instr: p.location.instr,
                offset: p.location.offset,
                message: p.message.clone(),
            })
            .collect()
    }
}

impl FileJson {
    fn new(job: &Job, outcome: Option<&Outcome>, error: Option<&Error>) -> Self {
        let status = match (outcome, job.runtime) {
            (None, _) => "failed",
            (Some(_), true) => "copied",
            (Some(_), false) => "rewritten",
        };
        FileJson {
            file: job.input.display().to_string(),
            output: job.output.as_ref().map(|o| o.display().to_string()),
            status,
            passes: outcome
                .map(|o| o.stats.iter().map(PassJson::from).collect())
                .unwrap_or_default(),
            error: error.map(|e| report::line(&job.input, e)),
            problems: error.map(ProblemJson::all).unwrap_or_default(),
        }
    }
}

/// `--json`: one pass's counts.
#[derive(Serialize)]
struct PassJson {
    name: &'static str,
    sites_changed: usize,
    sites_matched: usize,
    code_objects_changed: usize,
    code_objects: usize,
}

impl From<&PassStats> for PassJson {
    fn from(s: &PassStats) -> Self {
        PassJson {
            name: s.name,
            sites_changed: s.sites.changed,
            sites_matched: s.sites.matched,
            code_objects_changed: s.changed,
            code_objects: s.code_objects,
        }
    }
}

/// Checks every pass against every version among the inputs, before any
/// file is rewritten: one message per pass and version.
fn check_versions(pipeline: &Pipeline, jobs: &[Job]) -> Result<(), Vec<String>> {
    if pipeline.is_empty() {
        return Ok(());
    }
    let mut versions: BTreeMap<PyVersion, usize> = BTreeMap::new();
    for job in jobs.iter().filter(|j| !j.runtime) {
        let mut magic = [0u8; 2];
        // NB: unreadable files fail later, located, with the rest of the run.
        let ok = std::fs::File::open(&job.input)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic));
        if let (Ok(()), Some((v, _))) = (ok, version_of_magic(u16::from_le_bytes(magic))) {
            *versions.entry(v).or_default() += 1;
        }
    }
    let msgs: Vec<String> = versions
        .iter()
        .flat_map(|(v, n)| {
            pipeline
                .check_version(*v)
                .into_iter()
                .map(move |m| format!("{m} (Python {v}: {n} input file(s); nothing was written)"))
        })
        .collect();
    if msgs.is_empty() {
        Ok(())
    } else {
        Err(msgs)
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
fn plan(args: &RewriteArgs, input: &Path, runtime: &[String]) -> Result<Plan, Planned> {
    let usage = |s: String| Planned::Usage(s);
    if (args.check || args.in_place) && args.output.is_some() {
        let flag = if args.check { "--check" } else { "--in-place" };
        return Err(usage(format!("{flag} takes no OUT")));
    }
    if !args.check && !args.in_place && args.output.is_none() {
        return Err(usage(
            "missing OUT (or use --check, or --in-place to replace the input)".into(),
        ));
    }
    let meta =
        std::fs::metadata(input).map_err(|e| Planned::Failed(Error::from(e).in_file(input)))?;
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
        // NB: like cp, a file into an existing directory keeps its name
        // (sourceless: without the cache tag, `m.cpython-312.pyc` -> `m.pyc`).
        if let (Some(o), false) = (&out, args.in_place) {
            if o.is_dir() {
                let name = Path::new(input.file_name().unwrap_or_default());
                let in_cache = input
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "__pycache__");
                let name = match args.layout {
                    Layout::Sourceless if in_cache => {
                        sourceless_rel(&Path::new("__pycache__").join(name))
                    }
                    _ => name.to_path_buf(),
                };
                out = Some(o.join(name));
            }
        }
        let name = Path::new(input.file_name().unwrap_or_default());
        let runtime = runtime.contains(&module_name(name));
        return Ok((
            vec![Job {
                input: input.to_path_buf(),
                output: out,
                runtime,
            }],
            0,
            Vec::new(),
        ));
    }
    if let Some(out) = output {
        if out.exists() && !out.is_dir() {
            return Err(usage(format!(
                "{}: IN is a directory but OUT is not",
                out.display()
            )));
        }
    }
    let skip = output.and_then(FileId::of_path);
    let w = walk(input, skip);
    let include: Vec<Glob> = args.include.iter().map(|g| Glob::new(g)).collect();
    let exclude: Vec<Glob> = args.exclude.iter().map(|g| Glob::new(g)).collect();
    let mut ignored = w.ignored;
    let mut jobs = Vec::new();
    let mut taken: HashMap<PathBuf, PathBuf> = HashMap::new();
    for rel in &w.pyc {
        let text = rel.to_string_lossy().replace('\\', "/");
        let wanted = (include.is_empty() || include.iter().any(|g| g.matches(&text)))
            && !exclude.iter().any(|g| g.matches(&text));
        if !wanted {
            ignored += 1;
            continue;
        }
        let path = input.join(rel);
        let out_rel = match args.layout {
            Layout::Mirror => rel.clone(),
            Layout::Sourceless => sourceless_rel(rel),
        };
        if !args.check && !args.in_place {
            if let Some(first) = taken.insert(out_rel.clone(), rel.clone()) {
                return Err(usage(format!(
                    "--layout sourceless: {} and {} would both be written as {}; keep one with --include or --exclude (e.g. --exclude '*.opt-*' or --include '*.cpython-312.pyc')",
                    first.display(),
                    rel.display(),
                    out_rel.display()
                )));
            }
        }
        let runtime = runtime.contains(&module_name(rel));
        jobs.push(Job {
            output: target(Some(&out_rel), &path),
            input: path,
            runtime,
        });
    }
    Ok((jobs, ignored, w.errors))
}

/// Reads, rewrites and (unless checking) writes one file. Nothing is
/// written unless every step succeeded.
/// `check`: every code object of the input is verified first, changed or not.
fn process(
    job: &Job,
    pipeline: &Pipeline,
    in_place: bool,
    diff: bool,
    check: bool,
) -> Result<Outcome, Error> {
    let path = &job.input;
    let Input { data, permissions } = read_input(path)?;
    if job.runtime {
        if let (Some(out), false) = (&job.output, in_place) {
            write_atomic(out, &data, Some(permissions))?;
        }
        return Ok(Outcome::default());
    }
    let mut pyc = Pyc::parse(&data).map_err(|e| e.in_file(path))?;
    if check {
        verify_input(&pyc).map_err(|e| e.in_file(path))?;
    }
    let before = diff.then(|| dis_text(&pyc.marshal));
    let stats = pipeline
        .run_counted(&mut pyc, path)
        .map_err(|e| e.in_file(path))?;
    let diff_text = before.map(|b| {
        let name = path.display().to_string();
        disdiff::unified(
            &b,
            &dis_text(&pyc.marshal),
            &format!("{name}\tbefore"),
            &format!("{name}\tafter"),
        )
    });
    let bytes = pyc.to_bytes().map_err(|e| e.in_file(path))?;
    if pipeline.is_empty() && bytes != data {
        // NB: with no pass the rewrite must reproduce the input exactly; a
        // difference is a pyrewrite bug, and writing it would corrupt the file.
        let at = bytes
            .iter()
            .zip(&data)
            .position(|(x, y)| x != y)
            .unwrap_or(bytes.len().min(data.len()));
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
    let outcome = Outcome {
        diff: diff_text,
        stats,
    };
    let Some(out) = &job.output else {
        return Ok(outcome);
    };
    // NB: that `out` is not the input was checked before the run
    // (`OutputDirs::refuse`).
    write_atomic(out, &bytes, Some(permissions))?;
    Ok(outcome)
}

/// The output directories of a run, prepared once each before any file is
/// written (so writes never probe or create directories, and no path is
/// canonicalised per file).
struct OutputDirs {
    /// Directories that could not be created, with the reason.
    failed: HashMap<PathBuf, std::io::Error>,
    /// (output directory, input directory) pairs that are one directory.
    same: BTreeSet<(PathBuf, PathBuf)>,
}

impl OutputDirs {
    /// Creates the output directories of `jobs` and, unless `in_place`,
    /// finds those that are their inputs' directory: one `stat` per
    /// directory.
    fn prepare(jobs: &[Job], in_place: bool) -> OutputDirs {
        let mut pairs: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
        for j in jobs {
            if let Some(o) = &j.output {
                pairs
                    .entry(parent_dir(o).to_path_buf())
                    .or_default()
                    .insert(parent_dir(&j.input).to_path_buf());
            }
        }
        let failed = create_dirs(pairs.keys().map(PathBuf::as_path))
            .into_iter()
            .collect();
        let mut same = BTreeSet::new();
        if !in_place {
            for (out_dir, in_dirs) in &pairs {
                let id = FileId::of_path(out_dir);
                for d in in_dirs {
                    if id.is_some() && FileId::of_path(d) == id {
                        same.insert((out_dir.clone(), d.clone()));
                    }
                }
            }
        }
        OutputDirs { failed, same }
    }

    /// Why `job` must not be processed, if it must not: its directory
    /// could not be created, or its output would replace its input (the
    /// same name in the same directory; the rename replaces a directory
    /// entry, so no other output can reach an input).
    fn refuse(&self, job: &Job) -> Option<Error> {
        let out = job.output.as_deref()?;
        let dir = parent_dir(out).to_path_buf();
        if let Some(e) = self.failed.get(&dir) {
            let msg = format!("cannot create the directory {}: {e}", dir.display());
            return Some(Error::new(ErrorKind::Io(msg)).in_file(&job.input));
        }
        let same_dir = self
            .same
            .contains(&(dir, parent_dir(&job.input).to_path_buf()));
        if same_dir && out.file_name() == job.input.file_name() {
            return Some(
                Error::new(ErrorKind::Invalid(format!(
                    "output {} is the input file; use --in-place to overwrite it",
                    out.display()
                )))
                .in_file(&job.input),
            );
        }
        None
    }
}

/// Every problem [`crate::verify::verify_module`] finds in the input, as
/// one error, each problem on its own line with its code object and
/// `co_code` offset (not a file offset, so the error carries none).
fn verify_input(pyc: &Pyc) -> Result<(), Error> {
    let problems = crate::verify::verify_module(&pyc.marshal);
    if problems.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = problems.iter().map(|p| format!("\n  {p}")).collect();
    Err(Error::new(ErrorKind::Invalid(format!(
        "the verifier rejects the input ({} problem(s)):{}",
        problems.len(),
        lines.concat()
    ))))
}

/// True when `dir` holds `__init__.py` or a compiled `__init__` (it is a package, not a sys.path entry).
fn is_package_dir(dir: &Path) -> bool {
    if dir.join("__init__.py").exists() || dir.join("__init__.pyc").exists() {
        return true;
    }
    std::fs::read_dir(dir.join("__pycache__"))
        .map(|rd| {
            rd.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("__init__."))
        })
        .unwrap_or(false)
}

/// The `dis` text of a whole file, or the reason there is none.
fn dis_text(m: &crate::marshal::Marshal) -> String {
    crate::dis::dis_module(m).unwrap_or_else(|e| format!("(cannot disassemble: {e})\n"))
}

pub(super) fn progress_bar(n: usize, quiet: bool) -> Option<ProgressBar> {
    if quiet || n < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} files  {elapsed}") {
        bar.set_style(style);
    }
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::ProblemJson;
    use crate::error::PassSite;
    use crate::ir::Label;
    use crate::verify::{Invariant, Location, VerifierError};
    use crate::{Error, ErrorKind};

    #[test]
    fn json_problems_keep_rule_and_place() {
        let problem = VerifierError {
            invariant: Invariant::StackKind,
            location: Location {
                block: Some(1),
                label: Some(Label(4)),
                instr: Some(2),
                offset: Some(18),
            },
            message: "NULL used as an object".into(),
        };
        let e = Error::new(ErrorKind::Invalid(
            "after pass p: f is invalid: 1 problem(s)".into(),
        ))
        .in_pass(PassSite {
            pass: "p",
            code_object: "f".into(),
            problems: vec![problem],
        });
        let v = serde_json::to_value(ProblemJson::all(&e)).unwrap();
        assert_eq!(
            v,
            serde_json::json!([{
                "pass": "p", "code_object": "f", "invariant": "stack-kind",
                "block": 4, "instr": 2, "offset": 18, "message": "NULL used as an object",
            }])
        );
        // A pass that refused (no problems) gives an empty list.
        let refused = Error::new(ErrorKind::Invalid("no".into())).in_pass(PassSite {
            pass: "p",
            code_object: "f".into(),
            problems: Vec::new(),
        });
        assert!(ProblemJson::all(&refused).is_empty());
    }
}
