//! Whole-corpus timing harness shared by pyrewrite's benchmarks (no criterion).
//!
//! A benchmark loads every file of a corpus into memory, then runs one or
//! more *phases*. A phase prepares a per-file input outside the clock (the
//! raw bytes, a parsed `Pyc`, ...) and times `iters` passes over all files,
//! one `Instant` pair per pass. Results are reported as min and median pass
//! time, MB/s of input file bytes, and µs per file.
//!
//! NB: the Python counterpart (tools/bench/marshal_bench.py) uses the same
//! scheme (same file order, warm-up passes, one clock pair per pass) and the
//! same JSON shape, so tools/bench/report.py can compare them phase by phase.

// NB: each bench that includes this module uses only part of it.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One input file, held in memory.
pub struct File {
    /// Path relative to the corpus root, `/`-separated.
    pub rel: String,
    /// The whole file.
    pub bytes: Vec<u8>,
}

/// Every file of a corpus, in sorted order of relative path.
pub struct Corpus {
    /// The directory the files were read from.
    pub root: PathBuf,
    /// The files.
    pub files: Vec<File>,
}

impl Corpus {
    /// Reads every file under `root` whose name ends with `suffix`.
    pub fn load(root: &Path, suffix: &str) -> std::io::Result<Corpus> {
        let mut rels = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)? {
                let p = e?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.to_string_lossy().ends_with(suffix) {
                    let rel = p.strip_prefix(root).expect("under root");
                    rels.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        // NB: byte order of the relative path, as Python's sorted() on str
        // for the ASCII names of a stdlib tree.
        rels.sort();
        let mut files = Vec::with_capacity(rels.len());
        for rel in rels {
            let bytes = std::fs::read(root.join(&rel))?;
            files.push(File { rel, bytes });
        }
        Ok(Corpus {
            root: root.to_path_buf(),
            files,
        })
    }

    /// Sum of file sizes.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes.len() as u64).sum()
    }
}

/// How many passes to run.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Untimed passes before measuring.
    pub warmup: usize,
    /// Timed passes.
    pub iters: usize,
}

/// CPU time of the calling thread in ns (Linux; 0 elsewhere).
///
/// NB: on a loaded machine wall time includes time spent preempted; thread
/// CPU time does not, so both are reported (Python: `time.thread_time_ns`).
#[cfg(target_os = "linux")]
pub fn thread_cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.sec as u64 * 1_000_000_000 + ts.nsec as u64
}

/// CPU time of the calling thread in ns (Linux; 0 elsewhere).
#[cfg(not(target_os = "linux"))]
pub fn thread_cpu_ns() -> u64 {
    0
}

/// The timings of one phase.
pub struct PhaseResult {
    /// Phase name (`read`, `write`, `read+write`, ...).
    pub name: String,
    /// Files per pass.
    pub files: usize,
    /// Input bytes per pass (file sizes, for MB/s).
    pub bytes: u64,
    /// Wall-clock nanoseconds of each timed pass, in run order.
    pub pass_ns: Vec<u64>,
    /// Thread CPU nanoseconds of each timed pass.
    pub cpu_ns: Vec<u64>,
}

impl PhaseResult {
    /// Fastest pass.
    pub fn min_ns(&self) -> u64 {
        *self.pass_ns.iter().min().expect("at least one pass")
    }

    /// Median pass (lower median for even counts).
    pub fn median_ns(&self) -> u64 {
        median(&self.pass_ns)
    }

    /// Throughput at a given pass time, in MB/s (10^6 bytes).
    pub fn mb_per_s(&self, ns: u64) -> f64 {
        self.bytes as f64 / 1e6 / (ns as f64 / 1e9)
    }

    /// Mean time per file at a given pass time, in µs.
    pub fn us_per_file(&self, ns: u64) -> f64 {
        ns as f64 / 1e3 / self.files as f64
    }
}

/// Times one phase: `prepare` turns each file into the phase input outside
/// the clock, `run` is the timed work for one file and returns a number
/// (kept alive with `black_box` so the work is not optimised away).
/// Everything `run` builds is dropped inside the clock, as Python frees the
/// objects `marshal.loads` returns.
pub fn measure<'c, S>(
    name: &str,
    corpus: &'c Corpus,
    settings: Settings,
    prepare: impl Fn(&'c File) -> S,
    run: impl Fn(&S) -> usize,
) -> PhaseResult {
    let inputs: Vec<S> = corpus.files.iter().map(&prepare).collect();
    let pass = || {
        let c = thread_cpu_ns();
        let t = Instant::now();
        for s in &inputs {
            black_box(run(black_box(s)));
        }
        let wall = t.elapsed().as_nanos() as u64;
        (wall, thread_cpu_ns() - c)
    };
    for _ in 0..settings.warmup {
        pass();
    }
    let (pass_ns, cpu_ns) = (0..settings.iters).map(|_| pass()).unzip();
    PhaseResult {
        name: name.to_string(),
        files: corpus.files.len(),
        bytes: corpus.total_bytes(),
        pass_ns,
        cpu_ns,
    }
}

/// Lower median.
pub fn median(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

/// Command-line options common to all benchmarks:
/// `DIR [--iters N] [--warmup N] [--phase NAME]... [--json]`.
/// `--bench` (added by `cargo bench`) is ignored.
pub struct Args {
    /// The corpus directory.
    pub dir: PathBuf,
    /// Pass counts.
    pub settings: Settings,
    /// Phases to run; empty means all.
    pub phases: Vec<String>,
    /// Print JSON instead of a table.
    pub json: bool,
}

impl Args {
    /// Parses `std::env::args`, exiting with `usage` on error.
    pub fn parse(usage: &str) -> Args {
        let mut dir = None;
        let mut settings = Settings {
            warmup: 2,
            iters: 10,
        };
        let mut phases = Vec::new();
        let mut json = false;
        let mut it = std::env::args().skip(1);
        let die = |msg: &str| -> ! {
            eprintln!("{msg}\nusage: {usage}");
            std::process::exit(2)
        };
        let num = |v: Option<String>, what: &str| -> usize {
            v.and_then(|s| s.parse().ok())
                .unwrap_or_else(|| die(&format!("{what} needs a number")))
        };
        while let Some(a) = it.next() {
            match a.as_str() {
                "--bench" => {}
                "--iters" => settings.iters = num(it.next(), "--iters").max(1),
                "--warmup" => settings.warmup = num(it.next(), "--warmup"),
                "--phase" => phases.push(it.next().unwrap_or_else(|| die("--phase needs a name"))),
                "--json" => json = true,
                s if s.starts_with("--") => die(&format!("unknown option {s}")),
                _ if dir.is_none() => dir = Some(PathBuf::from(a)),
                _ => die("more than one directory"),
            }
        }
        let dir = dir.unwrap_or_else(|| die("no corpus directory"));
        Args {
            dir,
            settings,
            phases,
            json,
        }
    }

    /// Exits with an error if `--phase` named something not in `known`.
    pub fn check_phases(&self, known: &[&str]) {
        if let Some(p) = self.phases.iter().find(|p| !known.contains(&p.as_str())) {
            eprintln!("unknown phase {p}; known: {}", known.join(", "));
            std::process::exit(2);
        }
    }

    /// Whether phase `name` was asked for.
    pub fn wants(&self, name: &str) -> bool {
        self.phases.is_empty() || self.phases.iter().any(|p| p == name)
    }
}

/// Prints results as a table (human) or as JSON (for tools/bench/report.py).
/// `meta` is extra top-level JSON fields (the Rust side's identity, checks).
pub fn report(args: &Args, corpus: &Corpus, meta: serde_json::Value, results: &[PhaseResult]) {
    if args.json {
        // NB: a list, so the phase order survives any JSON library
        let phases: Vec<_> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "min_ns": r.min_ns(),
                    "median_ns": r.median_ns(),
                    "pass_ns": r.pass_ns,
                    "cpu_ns": r.cpu_ns,
                })
            })
            .collect();
        let mut doc = serde_json::json!({
            "impl": "pyrewrite",
            "dir": corpus.root.to_string_lossy(),
            "files": corpus.files.len(),
            "bytes": corpus.total_bytes(),
            "warmup": args.settings.warmup,
            "iters": args.settings.iters,
            "phases": phases,
        });
        if let (Some(d), serde_json::Value::Object(m)) = (doc.as_object_mut(), meta) {
            d.extend(m);
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("serialisable")
        );
        return;
    }
    println!(
        "{} files, {:.1} MB, {} timed passes after {} warm-up",
        corpus.files.len(),
        corpus.total_bytes() as f64 / 1e6,
        args.settings.iters,
        args.settings.warmup
    );
    println!(
        "{:<12} {:>10} {:>10} {:>9} {:>9} {:>11}",
        "phase", "min ms", "median ms", "MB/s", "µs/file", "cpu min ms"
    );
    for r in results {
        let (lo, med) = (r.min_ns(), r.median_ns());
        println!(
            "{:<12} {:>10.2} {:>10.2} {:>9.1} {:>9.2} {:>11.2}",
            r.name,
            lo as f64 / 1e6,
            med as f64 / 1e6,
            r.mb_per_s(lo),
            r.us_per_file(lo),
            *r.cpu_ns.iter().min().expect("a pass") as f64 / 1e6
        );
    }
}
