//! Our marshal reader against `marshal.loads`: for every corpus `.pyc` and
//! the whole standard library of each CPython found, `canon::dump` of what
//! we read must equal tools/oracle/canon_dump.py's text of what the real
//! interpreter loads (one batch run per version).
//!
//! Run with `-- --nocapture` to see the per-version counts. A version with
//! no interpreter is skipped with a `skip 3.X: no interpreter` line.
//! `PYREWRITE_STDLIB=0` leaves the standard library out (corpus only).

mod support;

use pyrewrite::marshal::canon;
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::path::PathBuf;

/// Where two texts first differ, with some context on each side.
fn first_difference(ours: &str, theirs: &str) -> String {
    let at = ours
        .bytes()
        .zip(theirs.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let from = at.saturating_sub(120);
    let clip = |s: &str| {
        let end = (at + 120).min(s.len());
        s.get(from..end)
            .unwrap_or("<non-char boundary>")
            .to_string()
    };
    format!(
        "first difference at char {at} (lengths ours {} / python {})\n    ours:   ...{}...\n    python: ...{}...",
        ours.len(),
        theirs.len(),
        clip(ours),
        clip(theirs)
    )
}

fn with_stdlib() -> bool {
    std::env::var("PYREWRITE_STDLIB")
        .map(|v| v != "0")
        .unwrap_or(true)
}

fn check_version(v: PyVersion) {
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let mut corpus = support::corpus_pyc_files(v);
    for mode in ["timestamp", "checked-hash"] {
        corpus.extend(support::corpus_header_variants(v, mode));
    }
    let stdlib: Vec<PathBuf> = if with_stdlib() {
        support::stdlib_pycs(&interp).unwrap_or_else(|e| panic!("{v}: stdlib compile failed: {e}"))
    } else {
        Vec::new()
    };
    let files: Vec<PathBuf> = corpus.iter().chain(&stdlib).cloned().collect();
    assert!(
        !files.is_empty(),
        "{v}: an interpreter but no files to check"
    );
    let theirs =
        support::canon_dump(&interp, &files).unwrap_or_else(|e| panic!("{v}: canon_dump.py: {e}"));

    let mut failures: Vec<String> = Vec::new();
    let mut counts = [(0usize, 0usize); 2]; // (identical, total) for corpus, stdlib
    let mut python_errors = 0;
    for (i, f) in files.iter().enumerate() {
        let which = usize::from(i >= corpus.len());
        counts[which].1 += 1;
        let py = &theirs[f];
        let data = std::fs::read(f).expect("read pyc");
        let ours = Pyc::parse(&data).map(|p| canon::dump(&p.marshal));
        let ok = match (&ours, py.starts_with("!error ")) {
            (Ok(text), false) => {
                if text == py {
                    true
                } else {
                    failures.push(format!("{}: {}", f.display(), first_difference(text, py)));
                    false
                }
            }
            // Both refuse the file: consistent.
            (Err(_), true) => {
                python_errors += 1;
                true
            }
            (Err(e), false) => {
                failures.push(format!(
                    "{}: we fail ({e}) but CPython loads it",
                    f.display()
                ));
                false
            }
            (Ok(_), true) => {
                failures.push(format!("{}: we load it but CPython says {py}", f.display()));
                false
            }
        };
        counts[which].0 += usize::from(ok);
    }
    eprintln!(
        "{v} ({}): corpus {}/{} identical, stdlib {}/{} identical{}",
        interp.describe(),
        counts[0].0,
        counts[0].1,
        counts[1].0,
        counts[1].1,
        if python_errors > 0 {
            format!(" ({python_errors} refused by both)")
        } else {
            String::new()
        }
    );
    if !failures.is_empty() {
        let n = failures.len();
        failures.truncate(5);
        panic!(
            "{v}: {n} file(s) differ from marshal.loads; first ones:\n{}",
            failures.join("\n")
        );
    }
}

macro_rules! versions {
    ($($name:ident => $minor:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            check_version(PyVersion::new(3, $minor));
        }
    )*};
}

versions! {
    canon_3_8 => 8,
    canon_3_9 => 9,
    canon_3_10 => 10,
    canon_3_11 => 11,
    canon_3_12 => 12,
    canon_3_13 => 13,
    canon_3_14 => 14,
}
