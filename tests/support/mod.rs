//! Shared helpers for integration tests (`mod support;`): corpus files, oracle interpreters, batch oracle scripts.
#![allow(dead_code)]

pub mod edit;

use pyrewrite::oracle::{self, Interpreter};
use pyrewrite::PyVersion;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The repository root (env `PYREWRITE_ROOT`, else the crate directory).
pub fn repo_root() -> PathBuf {
    oracle::repo_root()
}

/// `<repo>/corpus`.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("corpus")
}

/// `<repo>/tools/oracle/<name>`.
pub fn oracle_script(name: &str) -> PathBuf {
    repo_root().join("tools/oracle").join(name)
}

/// Every `.pyc` under `dir`, sorted, skipping directories named in `skip`.
pub fn pyc_files_under(dir: &Path, skip: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if !skip.iter().any(|s| name == **s) {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "pyc") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The committed corpus `.pyc` files of version `v` (unchecked-hash mode),
/// `corpus/pyc/3.X/**.pyc` without the `_headers` variants. Empty when that
/// version was not compiled.
pub fn corpus_pyc_files(v: PyVersion) -> Vec<PathBuf> {
    pyc_files_under(&corpus_dir().join("pyc").join(v.to_string()), &["_headers"])
}

/// The corpus files of `v` compiled in another header mode:
/// `mode` is `"timestamp"` or `"checked-hash"`.
pub fn corpus_header_variants(v: PyVersion, mode: &str) -> Vec<PathBuf> {
    pyc_files_under(
        &corpus_dir()
            .join("pyc")
            .join(v.to_string())
            .join("_headers")
            .join(mode),
        &[],
    )
}

/// Versions that have a compiled corpus (`corpus/pyc/3.X`), oldest first.
pub fn corpus_versions() -> Vec<PyVersion> {
    let mut vs: Vec<PyVersion> = std::fs::read_dir(corpus_dir().join("pyc"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| PyVersion::parse(&e.file_name().to_string_lossy()))
                .collect()
        })
        .unwrap_or_default();
    vs.sort();
    vs
}

/// The source-relative path of a corpus `.pyc` (`py311/except_star.py`).
pub fn corpus_rel_source(v: PyVersion, pyc: &Path) -> PathBuf {
    let base = corpus_dir().join("pyc").join(v.to_string());
    let rel = pyc.strip_prefix(&base).unwrap_or(pyc);
    rel.with_extension("py")
}

/// The recorded stdout of running corpus source `rel` (`closures.py`) on `v`.
pub fn expected_output(rel: &Path, v: PyVersion) -> Option<String> {
    let name = format!("{}.{}.out", rel.display(), v);
    std::fs::read_to_string(corpus_dir().join("expected").join(name)).ok()
}

/// The interpreters found on this machine (see `pyrewrite::oracle`),
/// listed once on stderr so a test log shows what it compared against.
pub fn oracle_interpreters() -> Vec<Interpreter> {
    let all = oracle::find_all();
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for i in &all {
            eprintln!("oracle: {}", i.describe());
        }
        if all.is_empty() {
            eprintln!("oracle: no CPython interpreter found (see docs/oracles.md)");
        }
    });
    all
}

/// The interpreter of version `v`, if found.
pub fn oracle_for(v: PyVersion) -> Option<Interpreter> {
    oracle_interpreters().into_iter().find(|i| i.version == v)
}

/// `<repo>/target/oracle-cache` (env `PYREWRITE_ORACLE_CACHE` overrides).
pub fn oracle_cache_dir() -> PathBuf {
    match std::env::var_os("PYREWRITE_ORACLE_CACHE") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join("target/oracle-cache"),
    }
}

const MARKER: &str = ".complete";

/// The interpreter's own standard library compiled to `.pyc`
/// (unchecked-hash, real paths as co_filename) in
/// `<cache>/<version>/stdlib`, compiled on first use and reused afterwards.
/// Returns the sorted `.pyc` paths.
///
/// The marker file `.complete` (holding the full version) is written last,
/// so an interrupted compile is redone; concurrent callers compile into
/// private directories and the first rename wins.
pub fn stdlib_pycs(interp: &Interpreter) -> io::Result<Vec<PathBuf>> {
    let vdir = oracle_cache_dir().join(interp.version.to_string());
    let dest = vdir.join("stdlib");
    let want = interp.micro.clone().unwrap_or_default();
    let is_complete = |d: &Path| {
        std::fs::read_to_string(d.join(MARKER))
            .map(|m| m.trim() == want)
            .unwrap_or(false)
    };
    if !is_complete(&dest) {
        std::fs::create_dir_all(&vdir)?;
        let tmp = vdir.join(format!("stdlib.tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let out = interp.run_script(
            &oracle_script("compile_tree.py"),
            &[std::ffi::OsStr::new("--stdlib"), tmp.as_os_str()],
        )?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "compile_tree.py --stdlib failed on {}: {}",
                interp.describe(),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim());
        std::fs::write(tmp.join(MARKER), &want)?;
        if is_complete(&dest) {
            // NB: another process finished first
            let _ = std::fs::remove_dir_all(&tmp);
        } else {
            let _ = std::fs::remove_dir_all(&dest);
            if std::fs::rename(&tmp, &dest).is_err() {
                let _ = std::fs::remove_dir_all(&tmp);
            }
        }
        if !is_complete(&dest) {
            return Err(io::Error::other(format!(
                "no complete stdlib cache at {}",
                dest.display()
            )));
        }
    }
    Ok(pyc_files_under(&dest, &[]))
}

/// Runs one of the batch scripts of `tools/oracle` (`canon_dump.py`,
/// `dis_dump.py`) over `files` with `--out-dir`, returning each file's output
/// text read back from `<out>/<absolute path>.<ext>`.
fn batch_dump(
    interp: &Interpreter,
    script: &str,
    ext: &str,
    files: &[PathBuf],
) -> io::Result<BTreeMap<PathBuf, String>> {
    let mut map = BTreeMap::new();
    if files.is_empty() {
        return Ok(map);
    }
    let work = tempfile::tempdir()?;
    let out_dir = work.path().join("out");
    let list = work.path().join("files.txt");
    let abs: Vec<PathBuf> = files
        .iter()
        .map(|f| std::path::absolute(f))
        .collect::<io::Result<_>>()?;
    let text: String = abs.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(&list, text)?;
    let out = interp.run_script(
        &oracle_script(script),
        &[
            std::ffi::OsString::from("--out-dir"),
            out_dir.clone().into(),
            format!("@{}", list.display()).into(),
        ],
    )?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{script} failed on {}: {}",
            interp.describe(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    for (orig, a) in files.iter().zip(&abs) {
        let rel = a.strip_prefix("/").unwrap_or(a);
        let mut name = out_dir.join(rel).into_os_string();
        name.push(ext);
        let text = std::fs::read_to_string(PathBuf::from(name))?;
        map.insert(orig.clone(), text);
    }
    Ok(map)
}

/// The canonical dump (docs/oracles.md) of each file as `interp` sees it:
/// one line per file, without the trailing newline.
pub fn canon_dump(
    interp: &Interpreter,
    files: &[PathBuf],
) -> io::Result<BTreeMap<PathBuf, String>> {
    let mut m = batch_dump(interp, "canon_dump.py", ".canon", files)?;
    for v in m.values_mut() {
        if v.ends_with('\n') {
            v.pop();
        }
    }
    Ok(m)
}

/// What `dis.dis` prints for each file's module code on `interp`
/// (addresses replaced by `0x?`).
pub fn dis_dump(interp: &Interpreter, files: &[PathBuf]) -> io::Result<BTreeMap<PathBuf, String>> {
    batch_dump(interp, "dis_dump.py", ".dis", files)
}

/// Runs each `.py`/`.pyc` file (all under `root`) in one interpreter start
/// (tools/oracle/run_many.py) and returns its stdout keyed by the source-relative
/// path (`x.pyc` is keyed as `x.py`); a failed run ends with `!exit ...`.
pub fn run_many(
    interp: &Interpreter,
    root: &Path,
    files: &[PathBuf],
) -> io::Result<BTreeMap<PathBuf, String>> {
    let mut map = BTreeMap::new();
    if files.is_empty() {
        return Ok(map);
    }
    let work = tempfile::tempdir()?;
    let out_dir = work.path().join("out");
    let list = work.path().join("files.txt");
    let text: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(&list, text)?;
    let out = interp.run_script(
        &oracle_script("run_many.py"),
        &[
            std::ffi::OsString::from("--root"),
            root.into(),
            "--out-dir".into(),
            out_dir.clone().into(),
            "--suffix".into(),
            ".out".into(),
            format!("@{}", list.display()).into(),
        ],
    )?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "run_many.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    for f in files {
        let rel = f.strip_prefix(root).unwrap_or(f);
        let rel = if rel.extension().is_some_and(|x| x == "pyc") {
            rel.with_extension("py")
        } else {
            rel.to_path_buf()
        };
        let mut name = out_dir.join(&rel).into_os_string();
        name.push(".out");
        map.insert(rel, std::fs::read_to_string(PathBuf::from(name))?);
    }
    Ok(map)
}

/// The compiled standard library of `v` for the whole-stdlib tests: none
/// with `PYREWRITE_STDLIB=0`; `PYREWRITE_STDLIB_3_X=<dir>`; else the newest
/// `/tmp/stdlib-3.X.*` tree; else the interpreter's own (see
/// [`stdlib_pycs`]); empty when there is no interpreter.
pub fn stdlib_files(v: PyVersion) -> Vec<PathBuf> {
    if std::env::var("PYREWRITE_STDLIB").is_ok_and(|x| x == "0") {
        return Vec::new();
    }
    if let Ok(d) = std::env::var(format!("PYREWRITE_STDLIB_{}_{}", v.major, v.minor)) {
        return pyc_files_under(Path::new(&d), &[]);
    }
    let prefix = format!("stdlib-{v}.");
    let mut tmp: Vec<PathBuf> = std::fs::read_dir("/tmp")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(&prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    tmp.sort();
    if let Some(d) = tmp.pop() {
        return pyc_files_under(&d, &[]);
    }
    match oracle_for(v) {
        Some(interp) => {
            stdlib_pycs(&interp).unwrap_or_else(|e| panic!("{v}: stdlib compile failed: {e}"))
        }
        None => Vec::new(),
    }
}

/// Every code object of the corpus files of `v`, lifted, each with its
/// file's marshal tree (for the verifier tests that break functions).
pub fn corpus_functions(
    v: PyVersion,
) -> Vec<(pyrewrite::marshal::Marshal, pyrewrite::ir::Function)> {
    let mut out = Vec::new();
    for path in corpus_pyc_files(v) {
        let m = pyrewrite::pyc::Pyc::parse(&std::fs::read(&path).unwrap())
            .unwrap()
            .marshal;
        for (id, _) in m.code_objects() {
            let f = pyrewrite::lift::lift(&m, id).expect("lift");
            out.push((m.clone(), f));
        }
    }
    out
}
