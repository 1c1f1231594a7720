//! Each native CPython's own standard library (tests/support's compiled
//! cache, without Lib/test), instrumented with `inject-hook` and the
//! counting hook (tools/hook/pyrewrite_hook_count.py), shadows the real one
//! through PYTHONPATH while `python -m test test_json test_textwrap
//! test_heapq` runs; the tests must pass, `json` must come from the
//! instrumented copy, and the hook counts written at exit must show the
//! instrumented json code ran. tools/hook/stdlib_regression.sh is the
//! same check for any list of tests. The same runs with the `wrap` pass
//! and counting hooks (tools/hook/pyrewrite_wrap_count.py) must also end
//! with as many enter events as exit plus error events for every function
//! that is not a generator or coroutine (those may be suspended at exit).
//! And with the `coverage` pass (`branch = true`) and its pure-Python
//! runtime beside the stdlib: the tests pass, and the arcs written at exit
//! cover json's decoder and textwrap.

mod support;

use pyrewrite::oracle::Interpreter;
use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::collections::BTreeMap;
use std::path::Path;

const TESTS: &[&str] = &["test_json", "test_textwrap", "test_heapq"];

/// What the stdlib is instrumented with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Hook,
    Wrap,
    Coverage,
}

/// Instruments the cached stdlib of `interp` into `out`; returns the number
/// of files written.
fn instrument_stdlib(interp: &Interpreter, out: &Path, mode: Mode) -> usize {
    let files = support::stdlib_pycs(interp).expect("stdlib cache");
    let base = support::oracle_cache_dir()
        .join(interp.version.to_string())
        .join("stdlib");
    let (pass, module, params): (&str, &str, &[&str]) = match mode {
        Mode::Wrap => ("wrap", "pyrewrite_wrap_count", &["enter", "exit", "error"]),
        Mode::Hook => ("inject-hook", "pyrewrite_hook_count", &["hook"]),
        Mode::Coverage => ("coverage", "", &[]),
    };
    let mut raw: Vec<(String, RawValue)> = params
        .iter()
        .map(|k| (k.to_string(), RawValue::Text(format!("{module}:{k}"))))
        .collect();
    if mode == Mode::Coverage {
        raw.push(("branch".to_string(), RawValue::Text("true".to_string())));
    }
    let pl = Pipeline::from_specs(&[(pass.to_string(), raw)]).unwrap();
    let mut n = 0;
    for pyc in files {
        let rel = pyc.strip_prefix(&base).unwrap();
        // NB: the tests themselves run from the real Lib/test (data files, sources).
        if rel.starts_with("test") {
            continue;
        }
        let mut p = Pyc::parse(&std::fs::read(&pyc).unwrap()).unwrap();
        pl.run(&mut p, &pyc)
            .unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
        let dest = out.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, p.to_bytes().unwrap()).unwrap();
        n += 1;
    }
    if mode == Mode::Coverage {
        // NB: the runtime alone (no compiled extension), as a package.
        let pkg = out.join("pyrewrite");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("__init__.py"), "").unwrap();
        std::fs::copy(
            support::repo_root().join("python/pyrewrite/coverage.py"),
            pkg.join("coverage.py"),
        )
        .unwrap();
        return n;
    }
    let hook = support::repo_root().join(format!("tools/hook/{module}.py"));
    std::fs::copy(hook, out.join(format!("{module}.py"))).unwrap();
    n
}

fn python(interp: &Interpreter, hooked: &Path, counts: &Path) -> std::process::Command {
    let mut c = interp.command();
    if interp.version.at_least(11) {
        // NB: else os, site, codecs... come from the frozen copies, not ours.
        c.args(["-X", "frozen_modules=off"]);
    }
    c.env("PYTHONPATH", hooked)
        .env("PYREWRITE_HOOK_DIR", counts)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    c
}

/// Sum of the per-process files: `count<TAB>qualname` lines (inject-hook)
/// or `enter<TAB>exit<TAB>error<TAB>generator<TAB>qualname` (wrap), as
/// [enter, exit, error, generator] per qualname.
fn read_counts(dir: &Path) -> BTreeMap<String, [u64; 4]> {
    let mut totals: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        for line in std::fs::read_to_string(e.path()).unwrap().lines() {
            let fields: Vec<&str> = line.split('\t').collect();
            let (nums, q) = fields.split_at(fields.len() - 1);
            let t = totals.entry(q[0].to_string()).or_default();
            for (i, n) in nums.iter().enumerate() {
                if i == 3 {
                    t[3] = n.parse().unwrap();
                } else {
                    t[i] += n.parse::<u64>().unwrap();
                }
            }
        }
    }
    totals
}

fn check(minor: u8, mode: Mode) {
    let wrap = mode == Mode::Wrap;
    let v = PyVersion::new(3, minor);
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let hooked = work.path().join("hooked");
    let counts = work.path().join("counts");
    std::fs::create_dir_all(&counts).unwrap();
    let n = instrument_stdlib(&interp, &hooked, mode);

    let out = python(&interp, &hooked, &counts)
        .args([
            "-c",
            "import json, os; print(json.__file__); print(os.__file__)",
        ])
        .output()
        .unwrap();
    let loaded = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{v}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (module, want) in [
        ("json", hooked.join("json/__init__.pyc")),
        ("os", hooked.join("os.pyc")),
    ] {
        assert!(
            loaded.lines().any(|l| Path::new(l) == want),
            "{v}: {module} not loaded from the instrumented copy: {loaded}"
        );
    }
    let _ = std::fs::remove_dir_all(&counts);
    std::fs::create_dir_all(&counts).unwrap();

    let data = work.path().join("coverage-data");
    let out = python(&interp, &hooked, &counts)
        .env("COVERAGE_FILE", &data)
        .args(["-m", "test"])
        .args(TESTS)
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && log.contains("SUCCESS"),
        "{v}: regression tests failed on the instrumented stdlib:\n{log}"
    );
    if mode == Mode::Coverage {
        // NB: no coverage.py in the bare interpreter: the runtime writes
        // its JSON (the last process to exit, the test runner, wins).
        let json = std::fs::read_to_string(data.with_extension("json"))
            .unwrap_or_else(|e| panic!("{v}: no coverage data written: {e}\n{log}"));
        let data: serde_json::Value = serde_json::from_str(&json).unwrap();
        // NB: co_filename is where the interpreter's own Lib has the file.
        let arcs_of = |file: &str| -> usize {
            data["arcs"]
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with(file)))
                .and_then(|(_, a)| a.as_array())
                .map_or(0, |a| a.len())
        };
        for file in ["json/decoder.py", "textwrap.py"] {
            assert!(
                arcs_of(file) > 10,
                "{v}: no arcs recorded for {file}: {}",
                arcs_of(file)
            );
        }
        eprintln!(
            "{v}: {n} files with coverage probes; {} passed",
            TESTS.join(" ")
        );
        return;
    }
    let totals = read_counts(&counts);
    let entries: u64 = totals.values().map(|t| t[0]).sum();
    eprintln!(
        "{v}: {n} instrumented files; {} passed; {entries} hook entries, {} qualnames",
        TESTS.join(" "),
        totals.len()
    );
    // NB: every JSON decode enters JSONDecoder.decode, every dedent textwrap.dedent.
    for q in [
        "JSONDecoder.decode",
        "JSONEncoder.encode",
        "dedent",
        "TextWrapper.wrap",
    ] {
        assert!(
            totals.get(q).map_or(0, |t| t[0]) > 0,
            "{v}: no hook entry for {q}"
        );
    }
    if wrap {
        // NB: every call that ended was seen to end; only a generator or
        // coroutine may still be suspended when the process exits.
        let mut open = 0;
        for (q, [enter, exit, error, generator]) in &totals {
            let ended = exit + error;
            assert!(ended <= *enter, "{v}: {q}: {ended} ends of {enter} calls");
            if *generator == 0 {
                assert_eq!(
                    *enter, ended,
                    "{v}: {q}: {enter} enter events, {exit} exit + {error} error"
                );
            } else {
                open += enter - ended;
            }
        }
        let ends: u64 = totals.values().map(|t| t[1] + t[2]).sum();
        eprintln!("{v}: wrap: {entries} enter, {ends} exit + error events; {open} generator calls open at exit");
    }
}

#[test]
fn stdlib_hooked_3_8() {
    check(8, Mode::Hook);
}
#[test]
fn stdlib_hooked_3_9() {
    check(9, Mode::Hook);
}
#[test]
fn stdlib_hooked_3_10() {
    check(10, Mode::Hook);
}
#[test]
fn stdlib_hooked_3_11() {
    check(11, Mode::Hook);
}
#[test]
fn stdlib_hooked_3_12() {
    check(12, Mode::Hook);
}
#[test]
fn stdlib_hooked_3_13() {
    check(13, Mode::Hook);
}
#[test]
fn stdlib_wrapped_3_8() {
    check(8, Mode::Wrap);
}
#[test]
fn stdlib_wrapped_3_9() {
    check(9, Mode::Wrap);
}
#[test]
fn stdlib_wrapped_3_10() {
    check(10, Mode::Wrap);
}
#[test]
fn stdlib_wrapped_3_11() {
    check(11, Mode::Wrap);
}
#[test]
fn stdlib_wrapped_3_12() {
    check(12, Mode::Wrap);
}
#[test]
fn stdlib_wrapped_3_13() {
    check(13, Mode::Wrap);
}
#[test]
fn stdlib_covered_3_8() {
    check(8, Mode::Coverage);
}
#[test]
fn stdlib_covered_3_9() {
    check(9, Mode::Coverage);
}
#[test]
fn stdlib_covered_3_10() {
    check(10, Mode::Coverage);
}
#[test]
fn stdlib_covered_3_11() {
    check(11, Mode::Coverage);
}
#[test]
fn stdlib_covered_3_12() {
    check(12, Mode::Coverage);
}
#[test]
fn stdlib_covered_3_13() {
    check(13, Mode::Coverage);
}
