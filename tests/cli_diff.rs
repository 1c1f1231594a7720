//! `pyrewrite --diff`: the before/after disassembly of changed code objects.

use std::path::PathBuf;
use std::process::Command;

fn corpus_consts(v: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("corpus/pyc/{v}/passes/consts.pyc"))
}

#[test]
fn diff_shows_the_swapped_constant_on_every_version() {
    for v in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"] {
        let f = corpus_consts(v);
        assert!(f.exists(), "{} missing", f.display());
        let o = Command::new(env!("CARGO_BIN_EXE_pyrewrite"))
            .args(["--check", "--diff", "-q", "--pass", "swap-const", "--param", "from=42", "--param", "to=99"])
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{v}: {}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(out.starts_with("--- "), "{v}: {out}");
        // NB: 3.14 loads small ints with LOAD_SMALL_INT, whose argument is
        // the value itself (shown bare, not as a constant's repr).
        let has = |l: &str, n: &str| l.contains(&format!("({n})")) || l.ends_with(&format!(" {n}"));
        let removed = out.lines().any(|l| l.starts_with('-') && has(l, "42"));
        let added = out.lines().any(|l| l.starts_with('+') && has(l, "99"));
        assert!(removed && added, "{v}: no -42/+99 pair in:\n{out}");
        // Unchanged lines are context, never marked.
        assert!(!out.lines().any(|l| l.starts_with('+') && l.contains("'hello'") && !l.contains("99")), "{v}");
        // Without a pass nothing changes, so nothing is printed.
        let o = Command::new(env!("CARGO_BIN_EXE_pyrewrite")).args(["--check", "--diff", "-q"]).arg(&f).output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        assert!(o.stdout.is_empty(), "{v}: identity rewrite printed a diff");
    }
}
