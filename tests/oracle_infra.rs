//! Checks the oracle infrastructure itself: the committed corpus matches what each interpreter compiles and runs.
mod support;

use std::path::PathBuf;

/// Recompiling corpus/ with each interpreter gives the committed .pyc bytes
/// (unchecked-hash mode is deterministic), so tests read current inputs.
#[test]
fn committed_corpus_matches_fresh_compile() {
    for interp in support::oracle_interpreters() {
        let committed = support::corpus_pyc_files(interp.version);
        if committed.is_empty() {
            continue;
        }
        let tmp = tempfile::tempdir().unwrap();
        let out = interp
            .run_script(
                &support::oracle_script("compile_tree.py"),
                &[
                    support::corpus_dir().into_os_string(),
                    tmp.path().as_os_str().to_owned(),
                ],
            )
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            interp.describe(),
            String::from_utf8_lossy(&out.stderr)
        );
        let base = support::corpus_dir()
            .join("pyc")
            .join(interp.version.to_string());
        for pyc in &committed {
            let rel = pyc.strip_prefix(&base).unwrap();
            let fresh = std::fs::read(tmp.path().join(rel)).unwrap_or_default();
            assert!(
                fresh == std::fs::read(pyc).unwrap(),
                "{} differs from a fresh compile on {}",
                pyc.display(),
                interp.describe()
            );
        }
        assert_eq!(
            support::pyc_files_under(tmp.path(), &[]).len(),
            committed.len(),
            "{}",
            interp.describe()
        );
    }
}

/// Running the committed .pyc files prints the recorded expected output.
#[test]
fn committed_pycs_print_expected_output() {
    for interp in support::oracle_interpreters() {
        let v = interp.version;
        let base = support::corpus_dir().join("pyc").join(v.to_string());
        let files = support::corpus_pyc_files(v);
        if files.is_empty() {
            continue;
        }
        let outputs = support::run_many(&interp, &base, &files).unwrap();
        assert_eq!(outputs.len(), files.len());
        for (rel, got) in outputs {
            let want = support::expected_output(&rel, v)
                .unwrap_or_else(|| panic!("no expected output for {} on {v}", rel.display()));
            assert_eq!(got, want, "{} on {}", rel.display(), interp.describe());
        }
    }
}

/// canon_dump and dis_dump answer for every file of a batch; a file that
/// is not a .pyc is reported as an error, not skipped.
#[test]
fn dump_scripts_cover_every_file() {
    let Some(interp) = support::oracle_interpreters()
        .into_iter()
        .find(|i| !i.is_pyodide())
    else {
        return;
    };
    let mut files = support::corpus_pyc_files(interp.version);
    files.truncate(5);
    let bogus = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bogus.path(), b"not a pyc file at all").unwrap();
    files.push(PathBuf::from(bogus.path()));
    let canon = support::canon_dump(&interp, &files).unwrap();
    let dis = support::dis_dump(&interp, &files).unwrap();
    for f in &files[..files.len() - 1] {
        assert!(canon[f].starts_with("code{co_argcount=0;"), "{}", canon[f]);
        assert!(!dis[f].is_empty() && !dis[f].starts_with("!error"));
    }
    assert!(canon[bogus.path()].starts_with("!error"));
    assert!(dis[bogus.path()].starts_with("!error"));
}

/// The stdlib cache compiles once (marker written last) and is reused; its
/// files carry the same magic number as the corpus of that version.
#[test]
fn stdlib_cache_is_built_once_and_reused() {
    let interps = support::oracle_interpreters();
    // NB: pyodide's stdlib is the smallest (no Lib/test), so it is the cheapest to build
    let Some(interp) = interps.iter().find(|i| i.is_pyodide()).or(interps.last()) else {
        return;
    };
    let first = support::stdlib_pycs(interp).unwrap();
    assert!(
        first.len() > 300,
        "{} stdlib files for {}",
        first.len(),
        interp.describe()
    );
    assert!(first.iter().any(|p| p.ends_with("os.pyc")));
    let marker = support::oracle_cache_dir()
        .join(interp.version.to_string())
        .join("stdlib/.complete");
    let stamp = std::fs::metadata(&marker).unwrap().modified().unwrap();
    let second = support::stdlib_pycs(interp).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        std::fs::metadata(&marker).unwrap().modified().unwrap(),
        stamp,
        "cache was rebuilt"
    );
    if let Some(corpus_file) = support::corpus_pyc_files(interp.version).first() {
        let magic = |p: &std::path::Path| std::fs::read(p).unwrap()[..4].to_vec();
        assert_eq!(magic(&first[0]), magic(corpus_file));
    }
}
