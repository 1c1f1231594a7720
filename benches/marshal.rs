//! Benchmark: read and write every `.pyc` of a directory (`.pyc` parse and
//! byte-exact write), single-threaded, whole corpus in memory.
//!
//! `cargo bench --bench marshal -- DIR [--iters N] [--warmup N] [--phase P]... [--json]`
//!
//! Phases: `read` (`Pyc::parse`), `write` (`Pyc::to_bytes` of files parsed
//! outside the clock), `read+write` (both). tools/bench/marshal.sh runs this
//! next to CPython's `marshal.loads`/`marshal.dumps` on the same files.
//!
//! NB: a later pipeline stage (lift + CFG + assemble + write) is one more
//! `harness::measure` call below with its own `prepare` (e.g. parsed files)
//! and `run`; the harness, JSON and report need no change.

mod harness;

use harness::{measure, Args, Corpus};
use pyrewrite::pyc::Pyc;

const USAGE: &str =
    "cargo bench --bench marshal -- DIR [--iters N] [--warmup N] [--phase read|write|read+write]... [--json]";

fn parse(bytes: &[u8], rel: &str) -> Pyc {
    Pyc::parse(bytes).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn main() {
    let args = Args::parse(USAGE);
    args.check_phases(&["read", "write", "read+write"]);
    let corpus = Corpus::load(&args.dir, ".pyc").unwrap_or_else(|e| {
        eprintln!("{}: {e}", args.dir.display());
        std::process::exit(2)
    });
    if corpus.files.is_empty() {
        eprintln!("no .pyc files under {}", args.dir.display());
        std::process::exit(2);
    }

    // Untimed check that what is timed is the real thing: every file parses
    // and comes back byte for byte.
    let (mut exact, mut nodes) = (0usize, 0usize);
    let mut versions = std::collections::BTreeSet::new();
    for f in &corpus.files {
        let pyc = parse(&f.bytes, &f.rel);
        versions.insert(pyc.version().to_string());
        nodes += pyc.marshal.nodes.len();
        match pyc.to_bytes() {
            Ok(out) if out == f.bytes => exact += 1,
            Ok(_) => eprintln!("warning: {} is not written back byte for byte", f.rel),
            Err(e) => eprintln!("warning: {}: write failed: {e}", f.rel),
        }
    }

    let s = args.settings;
    let mut results = Vec::new();
    if args.wants("read") {
        results.push(measure(
            "read",
            &corpus,
            s,
            |f| &f.bytes[..],
            |b| Pyc::parse(b).map(|p| p.marshal.nodes.len()).unwrap_or(0),
        ));
    }
    if args.wants("write") {
        results.push(measure(
            "write",
            &corpus,
            s,
            |f| parse(&f.bytes, &f.rel),
            |p| p.to_bytes().map(|v| v.len()).unwrap_or(0),
        ));
    }
    if args.wants("read+write") {
        results.push(measure(
            "read+write",
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

    let meta = serde_json::json!({
        "pyc_versions": versions.into_iter().collect::<Vec<_>>(),
        "roundtrip_exact": exact,
        "arena_nodes": nodes,
    });
    harness::report(&args, &corpus, meta, &results);
}
