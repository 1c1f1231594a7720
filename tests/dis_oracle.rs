//! `pyrewrite::dis` against each real CPython's `dis.dis`, file by file.
//!
//! For every version with an interpreter (`pyrewrite::oracle`), the .pyc
//! files are: everything under `corpus/pyc/3.X/` plus a sample of that
//! interpreter's own standard library, compiled once into
//! `$CARGO_TARGET_TMPDIR/dis-stdlib/3.X` with tools/oracle/compile_tree.py.
//! tools/oracle/dis_dump.py prints what `dis.dis` prints for each (addresses
//! masked as ` at 0x?`); our text gets the same masking and both get the
//! frozenset normalisation described in docs/dis.md (element order inside
//! `frozenset({...})` depends on the hash seed, so elements are sorted).
//!
//! Env: `PYREWRITE_DIS_SAMPLE=N` keeps every Nth stdlib file (default 4;
//! 1 = all, 0 = none); `PYREWRITE_DIS_FILES=a.pyc,b.pyc` checks only those
//! files; `PYREWRITE_DIS_DIFFS=DIR` writes `ours`/`cpython` texts of every
//! differing file there. Each version's test fails when any file differs.

use pyrewrite::oracle::{self, Interpreter};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn pyc_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            pyc_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "pyc") {
            out.push(p);
        }
    }
}

/// The stdlib of `py`, compiled once per target dir.
fn stdlib_dir(py: &Interpreter) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dis-stdlib").join(py.version.to_string());
    let done = dir.join(".complete");
    if !done.exists() {
        let script = oracle::repo_root().join("tools/oracle/compile_tree.py");
        let out = py.run_script(&script, &["--stdlib".as_ref(), dir.as_os_str()]).expect("run compile_tree.py");
        assert!(out.status.success(), "compile_tree.py failed: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(&done, b"").unwrap();
    }
    dir
}

/// ` at 0x1234` -> ` at 0x?`, as dis_dump.py does.
fn mask_addresses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let n = rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len());
        if n > 0 {
            out.push('?');
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// Sorts the top-level elements of every `frozenset({...})` in `s`
/// (recursively), so texts that differ only in set iteration order match.
fn normalise_frozensets(s: &str) -> String {
    const OPEN: &str = "frozenset({";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i + OPEN.len()]);
        rest = &rest[i + OPEN.len()..];
        let (elems, after) = split_elements(rest);
        let mut elems: Vec<String> = elems.iter().map(|e| normalise_frozensets(e)).collect();
        elems.sort();
        out.push_str(&elems.join(", "));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Splits `a, b, c})...` at top-level commas up to the closing `}`; returns
/// the elements and the text from that `}` on. Understands nesting and
/// repr string literals.
fn split_elements(s: &str) -> (Vec<&str>, &str) {
    let b = s.as_bytes();
    let (mut depth, mut i, mut start) = (0i32, 0usize, 0usize);
    let mut elems = Vec::new();
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth -= 1,
            b'}' if depth == 0 => {
                elems.push(&s[start..i]);
                return (elems, &s[i..]);
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                elems.push(&s[start..i]);
                start = i + 2;
                i += 1;
            }
            b'\n' => break,
            _ => {}
        }
        i += 1;
    }
    // Unbalanced (e.g. a str holding "frozenset({"): leave the text alone.
    (vec![], s)
}

fn normalise(s: &str) -> String {
    normalise_frozensets(&mask_addresses(s))
}

/// First differing line, for the summary.
fn first_diff(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n    cpython: {x:?}\n    ours:    {y:?}", i + 1);
        }
    }
    format!("lengths differ: cpython {} lines, ours {} lines", a.lines().count(), b.lines().count())
}

fn check(v: PyVersion) {
    let Some(py) = oracle::find(v) else {
        eprintln!("dis oracle {v}: no interpreter found, nothing compared");
        return;
    };
    let mut files = Vec::new();
    if let Ok(list) = std::env::var("PYREWRITE_DIS_FILES") {
        files.extend(list.split(',').filter(|s| !s.is_empty()).map(PathBuf::from));
    } else {
        pyc_files(&oracle::repo_root().join("corpus/pyc").join(v.to_string()), &mut files);
        let sample: usize = std::env::var("PYREWRITE_DIS_SAMPLE").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
        if sample > 0 {
            let mut std = Vec::new();
            pyc_files(&stdlib_dir(&py), &mut std);
            files.extend(std.into_iter().step_by(sample));
        }
    }
    assert!(!files.is_empty(), "no .pyc files to compare for {v}");

    // One interpreter run for all files (pyodide starts slowly).
    let list = tempfile::NamedTempFile::new().unwrap();
    let text: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(list.path(), text).unwrap();
    let script = oracle::repo_root().join("tools/oracle/dis_dump.py");
    let arg = format!("@{}", list.path().display());
    let out = py.run_script(&script, &[arg.as_str()]).expect("run dis_dump.py");
    assert!(out.status.success(), "dis_dump.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let dump = String::from_utf8(out.stdout).expect("utf-8 dis output");
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    for line in dump.split_inclusive('\n') {
        if let Some(p) = line.strip_prefix("== ") {
            if let Some((k, t)) = cur.take() {
                expected.insert(k, t);
            }
            cur = Some((p.trim_end_matches('\n').to_string(), String::new()));
        } else if let Some((_, t)) = cur.as_mut() {
            t.push_str(line);
        }
    }
    if let Some((k, t)) = cur.take() {
        expected.insert(k, t);
    }

    let diffs_dir = std::env::var_os("PYREWRITE_DIS_DIFFS").map(PathBuf::from);
    let (mut same, mut differ, mut oracle_errors) = (0usize, Vec::new(), 0usize);
    for p in &files {
        let key = p.display().to_string();
        let want = expected.get(&key).unwrap_or_else(|| panic!("dis_dump.py printed nothing for {key}"));
        if want.starts_with("!error") {
            oracle_errors += 1;
            continue;
        }
        let ours = match Pyc::read_file(p).and_then(|pyc| pyrewrite::dis::dis_module(&pyc.marshal)) {
            Ok(t) => t,
            Err(e) => format!("!error {e}\n"),
        };
        let (w, o) = (normalise(want), normalise(&ours));
        if w == o {
            same += 1;
        } else {
            if let Some(d) = &diffs_dir {
                let base = d.join(v.to_string()).join(key.trim_start_matches('/'));
                std::fs::create_dir_all(base.parent().unwrap()).unwrap();
                std::fs::write(base.with_extension("cpython"), &w).unwrap();
                std::fs::write(base.with_extension("ours"), &o).unwrap();
            }
            differ.push(format!("{key}: {}", first_diff(&w, &o)));
        }
    }
    let total = same + differ.len();
    eprintln!(
        "dis oracle {}: {same}/{total} files identical ({:.2}%), {oracle_errors} the interpreter could not load",
        py.describe(),
        100.0 * same as f64 / total.max(1) as f64
    );
    for d in differ.iter().take(15) {
        eprintln!("  {d}");
    }
    assert!(differ.is_empty(), "{v}: {} of {total} files differ from dis.dis", differ.len());
}

macro_rules! version_tests {
    ($($name:ident => $minor:expr),*) => {$(
        #[test]
        fn $name() {
            check(PyVersion::new(3, $minor));
        }
    )*};
}

version_tests!(dis_38 => 8, dis_39 => 9, dis_310 => 10, dis_311 => 11, dis_312 => 12,
               dis_313 => 13, dis_314 => 14);
