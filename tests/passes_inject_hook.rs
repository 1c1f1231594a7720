//! `inject-hook` on the whole corpus, checked by running it on each real
//! CPython 3.8..3.14: the instrumented files print exactly the recorded
//! output plus one `hook: QUALNAME` line per entry (tools/hook/
//! pyrewrite_hook_print.py), corpus/passes/hooks_order.py shows each hook
//! line right after the profiler's `enter: QUALNAME` line for the same
//! frame (and no other), and tools/hook/check_entry.py finds every original
//! instruction with its line, position and handler unchanged.

mod support;

use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const HOOK_MODULE: &str = "pyrewrite_hook_print";
const GLOBAL: &str = "__pyrewrite_hook__";

fn pipeline(
    params: &[(&str, &str)],
) -> std::result::Result<Pipeline, pyrewrite::passes::ConfigError> {
    let raw = params
        .iter()
        .map(|(k, v)| (k.to_string(), RawValue::Text(v.to_string())))
        .collect();
    Pipeline::from_specs(&[("inject-hook".to_string(), raw)])
}

/// Instruments every corpus file of `v` into `out` (same relative paths),
/// with the print hook copied into every directory; returns the new paths.
fn instrument_corpus(v: PyVersion, out: &Path) -> Vec<(PathBuf, PathBuf)> {
    let pl = pipeline(&[("hook", "pyrewrite_hook_print:hook")]).unwrap();
    let base = support::corpus_dir().join("pyc").join(v.to_string());
    let hook_src = support::repo_root()
        .join("tools/hook")
        .join(format!("{HOOK_MODULE}.py"));
    let mut dirs = BTreeSet::new();
    let mut pairs = Vec::new();
    for pyc in support::corpus_pyc_files(v) {
        let rel = pyc.strip_prefix(&base).unwrap().to_path_buf();
        let data = std::fs::read(&pyc).unwrap();
        let mut p = Pyc::parse(&data).unwrap();
        pl.run(&mut p, &pyc)
            .unwrap_or_else(|e| panic!("{v} {}: {e}", rel.display()));
        let dest = out.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, p.to_bytes().unwrap()).unwrap();
        dirs.insert(dest.parent().unwrap().to_path_buf());
        pairs.push((pyc, dest));
    }
    for d in dirs {
        std::fs::copy(&hook_src, d.join(format!("{HOOK_MODULE}.py"))).unwrap();
    }
    pairs
}

/// The output without the hook's `hook: ...\n` records (which may start
/// in the middle of a line the program is printing with `end=''`), and
/// how many there were.
fn strip_hooks(out: &str) -> (String, usize) {
    let (mut rest, mut kept, mut n) = (out, String::new(), 0);
    while let Some(i) = rest.find("hook: ") {
        kept.push_str(&rest[..i]);
        let end = rest[i..].find('\n').map_or(rest.len(), |j| i + j + 1);
        rest = &rest[end..];
        n += 1;
    }
    kept.push_str(rest);
    (kept, n)
}

/// `hook:` lines must each follow the `enter:` line of the same name, and
/// every `enter:` line must be followed by its `hook:` line.
fn check_order(out: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let mut problems = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(q) = l.strip_prefix("hook: ") {
            if i == 0 || lines[i - 1] != format!("enter: {q}") {
                problems.push(format!(
                    "line {}: {l:?} does not follow `enter: {q}`",
                    i + 1
                ));
            }
        }
        if let Some(q) = l.strip_prefix("enter: ") {
            if lines.get(i + 1) != Some(&format!("hook: {q}").as_str()) {
                problems.push(format!(
                    "line {}: {l:?} is not followed by `hook: {q}`",
                    i + 1
                ));
            }
        }
    }
    problems
}

fn check_version(minor: u8) {
    let v = PyVersion::new(3, minor);
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("new");
    let pairs = instrument_corpus(v, &root);
    assert!(!pairs.is_empty(), "{v}: no corpus files");
    let news: Vec<PathBuf> = pairs.iter().map(|(_, n)| n.clone()).collect();
    let outputs = support::run_many(&interp, &root, &news).unwrap();
    let mut failures = Vec::new();
    let (mut hooks, mut files_with_hooks) = (0usize, 0usize);
    for (rel, got) in &outputs {
        let want = support::expected_output(rel, v)
            .unwrap_or_else(|| panic!("{v}: no expected output for {}", rel.display()));
        let (stripped, n) = strip_hooks(got);
        hooks += n;
        files_with_hooks += usize::from(n > 0);
        if stripped != want {
            failures.push(format!(
                "{v} {}: output without hook lines differs\n--- got\n{got}--- want\n{want}",
                rel.display()
            ));
        }
        if rel == Path::new("passes/hooks_order.py") {
            let enters = want.lines().filter(|l| l.starts_with("enter: ")).count();
            assert!(
                enters >= 25,
                "{v}: hooks_order.py announced only {enters} entries"
            );
            assert_eq!(
                n, enters,
                "{v}: hooks_order.py: {n} hook calls for {enters} entries"
            );
            for p in check_order(got) {
                failures.push(format!("{v} hooks_order.py: {p}"));
            }
        }
    }
    eprintln!(
        "{v}: {} files run, {hooks} hook calls in {files_with_hooks} files",
        outputs.len()
    );
    assert!(
        files_with_hooks * 2 > outputs.len(),
        "{v}: most corpus files should call the hook"
    );

    // Instruction-level comparison by CPython's own dis.
    let list = work.path().join("pairs.txt");
    let text: String = pairs
        .iter()
        .map(|(o, n)| format!("{}\n{}\n", o.display(), n.display()))
        .collect();
    std::fs::write(&list, text).unwrap();
    let script = support::repo_root().join("tools/hook/check_entry.py");
    let args = [
        GLOBAL.to_string(),
        HOOK_MODULE.to_string(),
        format!("@{}", list.display()),
    ];
    let out = interp.run_script(&script, &args).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout.lines().last().unwrap_or("");
    eprintln!("{v}: check_entry: {summary}");
    if !out.status.success() {
        let fails: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("ok ")).collect();
        failures.push(format!(
            "{v}: check_entry.py failed:\n{}\n{}",
            fails.join("\n"),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn parameters_are_checked() {
    for (params, needle) in [
        (&[][..], "missing required parameter \"hook\""),
        (&[("hook", "nocolon")][..], "expected module:function"),
        (&[("hook", "a.b:c.d")][..], "dotted module name"),
        (&[("hook", "1x:f")][..], "dotted module name"),
        (
            &[("hook", "m:f"), ("args", "qualname,line")][..],
            "unknown argument \"line\"",
        ),
        (
            &[("hook", "m:f"), ("global", "not a name")][..],
            "not an identifier",
        ),
    ] {
        let e = pipeline(params)
            .err()
            .unwrap_or_else(|| panic!("{params:?} accepted"));
        assert!(e.to_string().contains(needle), "{params:?}: {e}");
    }
    assert!(pipeline(&[
        ("hook", "pkg.mod:fn"),
        ("args", "qualname, filename,firstlineno,name")
    ])
    .is_ok());
}

#[test]
fn inject_hook_corpus_3_8() {
    check_version(8);
}
#[test]
fn inject_hook_corpus_3_9() {
    check_version(9);
}
#[test]
fn inject_hook_corpus_3_10() {
    check_version(10);
}
#[test]
fn inject_hook_corpus_3_11() {
    check_version(11);
}
#[test]
fn inject_hook_corpus_3_12() {
    check_version(12);
}
#[test]
fn inject_hook_corpus_3_13() {
    check_version(13);
}
#[test]
fn inject_hook_corpus_3_14() {
    check_version(14);
}

/// `classes = true`, `args` and `builtins = true`: class bodies are hooked
/// once per class statement, the extra arguments are the code object's name
/// and first line (found in the source text, not taken from the
/// implementation), and the hook stored in the builtins module is found.
#[test]
fn class_bodies_and_extra_args() {
    let src = std::fs::read_to_string(support::corpus_dir().join("passes/hooks_order.py")).unwrap();
    let line_of = |prefix: &str| {
        src.lines()
            .position(|l| l.trim_start().starts_with(prefix))
            .unwrap()
            + 1
    };
    let want_lines = [
        format!("hook: Shape Shape {}", line_of("class Shape:")),
        format!("hook: Shape.Inner Inner {}", line_of("class Inner:")),
        format!("hook: plain plain {}", line_of("def plain(")),
        format!("hook: Shape.area area {}", line_of("def area(")),
        // NB: a decorated function's first line is its first decorator's.
        format!("hook: decorated decorated {}", line_of("@deco")),
    ];
    let pl = pipeline(&[
        ("hook", "pyrewrite_hook_print:hook"),
        ("classes", "true"),
        ("args", "qualname,name,firstlineno"),
        ("builtins", "true"),
    ])
    .unwrap();
    let hook_src = support::repo_root()
        .join("tools/hook")
        .join(format!("{HOOK_MODULE}.py"));
    let mut checked = 0;
    for minor in 8..=13 {
        let v = PyVersion::new(3, minor);
        let Some(interp) = support::oracle_for(v) else {
            continue;
        };
        let pyc = support::corpus_dir()
            .join("pyc")
            .join(v.to_string())
            .join("passes/hooks_order.pyc");
        let mut p = Pyc::parse(&std::fs::read(&pyc).unwrap()).unwrap();
        pl.run(&mut p, &pyc).unwrap();
        let work = tempfile::tempdir().unwrap();
        let dest = work.path().join("hooks_order.pyc");
        std::fs::write(&dest, p.to_bytes().unwrap()).unwrap();
        std::fs::copy(&hook_src, work.path().join(format!("{HOOK_MODULE}.py"))).unwrap();
        let got = support::run_many(&interp, work.path(), &[dest])
            .unwrap()
            .into_values()
            .next()
            .unwrap();
        let want = support::expected_output(Path::new("passes/hooks_order.py"), v).unwrap();
        assert_eq!(strip_hooks(&got).0, want, "{v}");
        let lines: Vec<&str> = got.lines().collect();
        for w in &want_lines {
            let n = lines.iter().filter(|l| *l == w).count();
            assert!(n >= 1, "{v}: no line {w:?} in\n{got}");
            if w.starts_with("hook: Shape ") || w.starts_with("hook: Shape.Inner ") {
                assert_eq!(n, 1, "{v}: class body {w:?} hooked {n} times");
            }
        }
        checked += 1;
    }
    eprintln!("classes/args checked on {checked} versions");
}
