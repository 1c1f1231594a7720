//! `pyrewrite --diff` and `pyrewrite diff`: unified hunks of the disassembly
//! that `patch` applies; `dis --qualname` and `dis DIR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");
const VERSIONS: [&str; 7] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"];

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/pyc")
        .join(rel)
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn os(s: &str) -> &std::ffi::OsStr {
    s.as_ref()
}

fn dis(f: &Path) -> String {
    let o = run(&[os("dis"), f.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Applies `diff` to `before` with patch(1); `None` (and a note) without patch.
fn patched(before: &str, diff: &str) -> Option<String> {
    if Command::new("patch").arg("--version").output().is_err() {
        eprintln!("note: patch(1) not found: applying the diff is skipped");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (b, d, out) = (
        tmp.path().join("before"),
        tmp.path().join("d.patch"),
        tmp.path().join("after"),
    );
    std::fs::write(&b, before).unwrap();
    std::fs::write(&d, diff).unwrap();
    let o = Command::new("patch")
        .arg("-s")
        .arg("-o")
        .arg(&out)
        .arg(&b)
        .arg(&d)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "patch refused:\n{diff}\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Some(std::fs::read_to_string(out).unwrap())
}

/// The disassembly with made-up code object addresses masked, as the diffs show it.
fn mask(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = rest[i + 6..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push_str("...");
    }
    out.push_str(rest);
    out
}

#[test]
fn rewrite_diff_is_unified_hunks_that_patch_applies() {
    for v in VERSIONS {
        let f = corpus(&format!("{v}/passes/consts.pyc"));
        assert!(f.exists(), "{} missing", f.display());
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out.pyc");
        let o = run(&[
            os("--diff"),
            os("-q"),
            os("--pass"),
            os("swap-const"),
            os("--param"),
            os("from=42"),
            os("--param"),
            os("to=99"),
            f.as_os_str(),
            out.as_os_str(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{v}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        let name = f.display().to_string();
        assert!(
            text.starts_with(&format!("--- {name}\tbefore\n+++ {name}\tafter\n@@ -")),
            "{v}: {text}"
        );
        // NB: 3.14 loads small ints with LOAD_SMALL_INT, whose argument is
        // the value itself (shown bare, not as a constant's repr).
        let has = |l: &str, n: &str| l.contains(&format!("({n})")) || l.ends_with(&format!(" {n}"));
        assert!(
            text.lines().any(|l| l.starts_with('-') && has(l, "42")),
            "{v}: no -42 in:\n{text}"
        );
        assert!(
            text.lines().any(|l| l.starts_with('+') && has(l, "99")),
            "{v}: no +99 in:\n{text}"
        );
        // Hunks, not whole disassemblies: fewer lines than the file's dis.
        let before = dis(&f);
        assert!(
            text.contains(" at 0x..., file "),
            "{v}: addresses are masked"
        );
        assert!(
            text.lines().count() < before.lines().count(),
            "{v}: the diff is as long as the disassembly"
        );
        if let Some(p) = patched(&mask(&before), &text) {
            assert_eq!(
                p,
                mask(&dis(&out)),
                "{v}: patch(before, diff) is not the rewritten file's dis"
            );
        }
        // Without a pass nothing changes, so nothing is printed.
        let o = run(&[os("--check"), os("--diff"), os("-q"), f.as_os_str()]);
        assert_eq!(o.status.code(), Some(0));
        assert!(o.stdout.is_empty(), "{v}: identity rewrite printed a diff");
    }
}

#[test]
fn diff_command_prints_dis_hunks_first() {
    for v in ["3.8", "3.12", "3.13"] {
        let a = corpus(&format!("{v}/passes/ops.pyc"));
        let tmp = tempfile::tempdir().unwrap();
        let b = tmp.path().join("b.pyc");
        let o = run(&[
            os("-q"),
            os("--pass"),
            os("replace-op"),
            os("--param"),
            os("from=+"),
            os("--param"),
            os("to=-"),
            a.as_os_str(),
            b.as_os_str(),
        ]);
        assert!(o.status.success());
        let o = run(&[os("diff"), a.as_os_str(), b.as_os_str()]);
        assert_eq!(o.status.code(), Some(1));
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            text.starts_with(&format!("--- {}\n+++ {}\n@@ ", a.display(), b.display())),
            "{v}: {text}"
        );
        let heads = text
            .lines()
            .filter(|l| l.starts_with("--- ") || l.starts_with("+++ "))
            .count();
        assert_eq!(heads, 2, "{v}: one file header only:\n{text}");
        assert!(
            text.contains("bytecode identical: no"),
            "{v}: the attribute report follows:\n{text}"
        );
        if let Some(p) = patched(&mask(&dis(&a)), &text) {
            assert_eq!(p, mask(&dis(&b)), "{v}");
        }
    }
}

#[test]
fn dis_qualname_prints_the_matching_code_objects_as_dis_does() {
    for v in VERSIONS {
        let f = corpus(&format!("{v}/closures.pyc"));
        let full = dis(&f);
        let o = run(&[
            os("dis"),
            os("--qualname"),
            os("make_counter*"),
            f.as_os_str(),
        ]);
        assert!(o.status.success());
        let sel = String::from_utf8(o.stdout).unwrap();
        let parts: Vec<&str> = sel.split("\nDisassembly of ").collect();
        assert!(
            parts.len() >= 2,
            "{v}: make_counter and its nested functions:\n{sel}"
        );
        assert!(
            sel.starts_with("Disassembly of <code object make_counter at "),
            "{v}: {sel}"
        );
        // Each printed block is the same block of the full disassembly.
        for (i, p) in parts.iter().enumerate() {
            let block = if i == 0 {
                p.to_string()
            } else {
                format!("Disassembly of {p}")
            };
            let block = block.trim_end_matches('\n');
            assert!(
                full.contains(&format!("{block}\n")),
                "{v}: block not in the full dis:\n{block}"
            );
        }
        assert!(!sel.contains("code object outer"), "{v}");
        let o = run(&[
            os("dis"),
            os("--qualname"),
            os("nothing-matches"),
            f.as_os_str(),
        ]);
        assert!(o.status.success() && o.stdout.is_empty());
    }
}

#[test]
fn dis_takes_a_directory() {
    let dir = corpus("3.12/passes");
    let o = run(&[os("dis"), dir.as_os_str()]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let heads: Vec<&str> = text.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(heads.len(), 4, "{heads:?}");
    for h in heads {
        let f = PathBuf::from(&h[2..]);
        assert!(text.contains(&format!("{h}\n{}", dis(&f))), "{h}");
    }
    let o = run(&[os("dis"), os("--json"), dir.as_os_str()]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j.as_array().unwrap().len(), 4);
    assert!(j[0]["code_objects"].as_array().unwrap().len() > 1);
}

/// `dis`, `info` and `verify` of a tree run in one process on several
/// threads; the output is the files' in path order whatever the number of
/// jobs, and a file that fails is reported without stopping the others.
#[test]
fn a_tree_is_shown_in_path_order_whatever_the_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("t");
    for v in VERSIONS {
        let to = tree.join(v);
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(corpus(v)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "pyc") {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    let good = std::fs::read(corpus("3.12/closures.pyc")).unwrap();
    std::fs::write(tree.join("3.12/m_broken.pyc"), &good[..good.len() / 2]).unwrap();
    for cmd in [
        &["dis"][..],
        &["dis", "--json"],
        &["info"],
        &["info", "--json"],
        &["verify"],
    ] {
        let mut outs = Vec::new();
        for jobs in ["1", "3"] {
            let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(|s| os(s)).collect();
            args.extend([os("-j"), os(jobs), tree.as_os_str()]);
            let o = run(&args);
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            assert_eq!(o.status.code(), Some(1), "{cmd:?} -j{jobs}: {err}");
            assert!(err.contains("m_broken.pyc"), "{cmd:?}: {err}");
            outs.push(String::from_utf8(o.stdout).unwrap());
        }
        assert_eq!(outs[0], outs[1], "{cmd:?}: -j1 and -j3 differ");
        let text = &outs[0];
        if cmd.contains(&"--json") {
            let j: serde_json::Value = serde_json::from_str(text).unwrap();
            let files: Vec<&str> = j
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["file"].as_str().unwrap())
                .collect();
            let mut sorted = files.clone();
            sorted.sort();
            assert_eq!(files, sorted, "{cmd:?}");
            assert!(files.len() > 200, "{}", files.len());
        } else if cmd[0] != "verify" {
            let head = if cmd[0] == "dis" {
                "# "
            } else {
                "file:         "
            };
            let files: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix(head)).collect();
            let mut sorted = files.clone();
            sorted.sort();
            assert_eq!(files, sorted, "{cmd:?}");
            assert!(files.len() > 200, "{}", files.len());
            // Each file's block is exactly what the command prints for that file alone.
            let one = tree.join("3.9/closures.pyc");
            let o = run(&[os(cmd[0]), one.as_os_str()]);
            let alone = String::from_utf8(o.stdout).unwrap();
            let block = if cmd[0] == "dis" {
                format!("# {}\n{alone}", one.display())
            } else {
                alone
            };
            assert!(text.contains(&block), "{cmd:?}");
        }
    }
}
