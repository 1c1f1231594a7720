//! Benchmark: the whole rewrite pipeline on every `.pyc` of a directory,
//! single-threaded, whole corpus in memory: parse, then for every code
//! object lift to IR, build the CFG, recompute the stack depth and assemble,
//! then write the file.
//!
//! `cargo bench --bench lift -- DIR [--iters N] [--warmup N] [--phase P]... [--json]`
//!
//! Phases: `roundtrip` (all of the above: what tools/bench/lift.sh compares
//! with the `bytecode` library's `Bytecode.from_code(c).to_code()`), and
//! for the breakdown (not run unless asked for with `--phase`):
//! `parse+write` (no lifting), `parse+lift` (parse and lift every code
//! object, nothing else), `parse+lift+cfg`, `parse+lift+depth` and
//! `parse+lift+asm` (lift, then only that one step), and `inject-hook`
//! (parse, the inject-hook pass through the pass manager, which verifies
//! what it changed, then write: what tools/bench/engine.py compares with
//! CPython's `marshal.loads`+`dumps`). Env `PYREWRITE_BENCH_FILES` names
//! a file listing the relative paths to keep (one a line): the files the
//! Python side could round-trip.

mod harness;

// NB: the allocator of the `pyrewrite` binary (src/main.rs), so the
// figures are the CLI's; `--no-default-features` measures the system
// allocator instead.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use harness::{measure, Args, Corpus};
use pyrewrite::marshal::Marshal;
use pyrewrite::pyc::Pyc;
use pyrewrite::{asm, cfg, lift, stackdepth, Result};

const USAGE: &str =
    "cargo bench --bench lift -- DIR [--iters N] [--warmup N] [--phase roundtrip|parse+write|parse+lift|parse+lift+cfg|parse+lift+depth|parse+lift+asm|inject-hook]... [--json]";

/// Lift, CFG, stack depth and assemble every code object of `m`, in place.
/// Returns the number of code objects and how many had a recomputed
/// `co_stacksize` different from the stored one.
fn rewrite_all(m: &mut Marshal) -> Result<(usize, usize)> {
    let codes = m.code_objects();
    let mut changed = 0;
    for &(id, _) in &codes {
        let mut f = lift::lift(m, id)?;
        let graph = cfg::Cfg::new(&f)?;
        std::hint::black_box(graph.len());
        let depth = stackdepth::compute(&f)?.max;
        changed += usize::from(depth != f.stacksize);
        f.stacksize = depth;
        asm::assemble(&f, m, id)?;
    }
    Ok((codes.len(), changed))
}

/// The timed work of `roundtrip` for one file: the output size.
fn roundtrip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut pyc = Pyc::parse(bytes)?;
    rewrite_all(&mut pyc.marshal)?;
    pyc.to_bytes()
}

/// One step after lifting, for the breakdown phases.
#[derive(Clone, Copy)]
enum Step {
    Nothing,
    Cfg,
    Depth,
    Assemble,
}

/// Parse, lift every code object, then run `step` on each (no write).
fn parse_lift(bytes: &[u8], step: Step) -> Result<usize> {
    let mut pyc = Pyc::parse(bytes)?;
    let mut n = 0;
    for (id, _) in pyc.marshal.code_objects() {
        let f = lift::lift(&pyc.marshal, id)?;
        n += match step {
            Step::Nothing => f.blocks.len(),
            Step::Cfg => cfg::Cfg::new(&f)?.len(),
            Step::Depth => stackdepth::compute(&f)?.max as usize,
            Step::Assemble => {
                asm::assemble(&f, &mut pyc.marshal, id)?;
                1
            }
        };
    }
    Ok(n)
}

fn main() {
    let args = Args::parse(USAGE);
    args.check_phases(&[
        "roundtrip",
        "parse+write",
        "parse+lift",
        "parse+lift+cfg",
        "parse+lift+depth",
        "parse+lift+asm",
        "inject-hook",
    ]);
    let mut corpus = Corpus::load(&args.dir, ".pyc").unwrap_or_else(|e| {
        eprintln!("{}: {e}", args.dir.display());
        std::process::exit(2)
    });
    if let Some(list) = std::env::var_os("PYREWRITE_BENCH_FILES") {
        let text = std::fs::read_to_string(&list).unwrap_or_else(|e| {
            eprintln!("PYREWRITE_BENCH_FILES {}: {e}", list.to_string_lossy());
            std::process::exit(2)
        });
        let keep: std::collections::HashSet<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        corpus.files.retain(|f| keep.contains(f.rel.as_str()));
    }
    if corpus.files.is_empty() {
        eprintln!("no .pyc files under {}", args.dir.display());
        std::process::exit(2);
    }

    // Untimed check that the timed work succeeds and is the real thing: the
    // identity rewrite with a recomputed co_stacksize gives back every file.
    let (mut exact, mut code_objects, mut depth_changed, mut failed) =
        (0usize, 0usize, 0usize, Vec::new());
    let mut versions = std::collections::BTreeSet::new();
    for f in &corpus.files {
        let r = Pyc::parse(&f.bytes).and_then(|mut p| {
            versions.insert(p.version().to_string());
            let (n, c) = rewrite_all(&mut p.marshal)?;
            code_objects += n;
            depth_changed += c;
            p.to_bytes()
        });
        match r {
            Ok(out) if out == f.bytes => exact += 1,
            Ok(_) => eprintln!("warning: {} is not written back byte for byte", f.rel),
            Err(e) => {
                eprintln!("warning: {}: {e}", f.rel);
                failed.push(f.rel.clone());
            }
        }
    }

    let s = args.settings;
    let mut results = Vec::new();
    if args.wants("roundtrip") {
        results.push(measure(
            "roundtrip",
            &corpus,
            s,
            |f| &f.bytes[..],
            |b| roundtrip(b).map(|v| v.len()).unwrap_or(0),
        ));
    }
    // NB: the breakdown phases run only when named (`--phase`).
    let named = |p: &str| !args.phases.is_empty() && args.wants(p);
    if named("parse+write") {
        results.push(measure(
            "parse+write",
            &corpus,
            s,
            |f| &f.bytes[..],
            |b| {
                Pyc::parse(b)
                    .and_then(|p| p.to_bytes())
                    .map(|v| v.len())
                    .unwrap_or(0)
            },
        ));
    }
    let steps = [
        ("parse+lift", Step::Nothing),
        ("parse+lift+cfg", Step::Cfg),
        ("parse+lift+depth", Step::Depth),
        ("parse+lift+asm", Step::Assemble),
    ];
    for (name, step) in steps {
        if named(name) {
            results.push(measure(
                name,
                &corpus,
                s,
                |f| &f.bytes[..],
                move |b| parse_lift(b, step).unwrap_or(0),
            ));
        }
    }

    if named("inject-hook") {
        let pipeline = pyrewrite::passes::config::pipeline(
            None,
            &["inject-hook".to_string()],
            &["hook=hooks:on_entry".to_string()],
        )
        .expect("a valid pipeline");
        let path = std::path::Path::new("bench.pyc");
        let run = |b: &&[u8]| -> usize {
            let mut pyc = match Pyc::parse(b) {
                Ok(p) => p,
                Err(_) => return 0,
            };
            match pipeline.run_counted(&mut pyc, path) {
                Ok(_) => pyc.to_bytes().map(|v| v.len()).unwrap_or(0),
                Err(_) => 0,
            }
        };
        // Untimed: every file goes through (a failure would time less work).
        let failed = corpus
            .files
            .iter()
            .filter(|f| run(&&f.bytes[..]) == 0)
            .count();
        if failed > 0 {
            eprintln!("warning: inject-hook failed on {failed} file(s)");
        }
        results.push(measure("inject-hook", &corpus, s, |f| &f.bytes[..], run));
    }

    let meta = serde_json::json!({
        "pyc_versions": versions.into_iter().collect::<Vec<_>>(),
        "code_objects": code_objects,
        "roundtrip_exact": exact,
        "stacksize_recomputed_differs": depth_changed,
        "failed_files": failed,
    });
    harness::report(&args, &corpus, meta, &results);
}
