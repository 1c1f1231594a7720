//! The rewrite mode's selection and reporting: `--include`/`--exclude`,
//! per-pass site counts, the no-op warning and `--strict`, version
//! problems reported once per version, `line`/`occurrence` changing
//! exactly one site, and `--json`.

use pyrewrite::oracle;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(oracle::repo_root())
        .output()
        .expect("run pyrewrite")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(o: &Output) -> Json {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", text(&o.stdout), text(&o.stderr)))
}

/// `(offset, opname, argrepr)` of every instruction of every code object, from `dis --json`.
fn instructions(file: &Path) -> Vec<(String, String)> {
    let o = run(&["dis", "--json", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut out = Vec::new();
    for c in json(&o)["code_objects"].as_array().unwrap() {
        for i in c["instructions"].as_array().unwrap() {
            out.push((
                c["qualname"].to_string(),
                format!("{} {} {}", i["offset"], i["opname"], i["argrepr"]),
            ));
        }
    }
    out
}

fn corpus(rel: &str) -> PathBuf {
    oracle::repo_root().join("corpus/pyc").join(rel)
}

#[test]
fn include_and_exclude_select_files_relative_to_in() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = run(&[
        "--include",
        "passes/*",
        "--exclude",
        "*/fold.pyc",
        "--exclude",
        "*/hooks_*",
        corpus("3.12").to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut written: Vec<String> = walk(&out);
    written.sort();
    assert_eq!(written, ["passes/consts.pyc", "passes/ops.pyc"]);
    // Without --include, --exclude alone leaves the rest in.
    let out2 = tmp.path().join("out2");
    let o = run(&[
        "--exclude",
        "passes/*",
        corpus("3.12").to_str().unwrap(),
        out2.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let rest = walk(&out2);
    assert!(
        !rest.is_empty() && rest.iter().all(|p| !p.starts_with("passes/")),
        "{rest:?}"
    );
}

fn walk(dir: &Path) -> Vec<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn a_pass_that_changes_nothing_warns_and_strict_fails() {
    let f = corpus("3.12/passes/consts.pyc");
    let f = f.to_str().unwrap();
    let typo = [
        "--check",
        "--pass",
        "swap-const",
        "--param",
        "from=4242424",
        "--param",
        "to=1",
        f,
    ];
    let o = run(&typo);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("warning: pass 1 (swap-const) changed nothing in 1 file(s) (0 matching site(s)): check its parameters"), "{err}");
    assert!(
        text(&o.stdout).contains("pass 1 swap-const: changed 0 site(s)"),
        "{}",
        text(&o.stdout)
    );
    let mut strict = typo.to_vec();
    strict.insert(0, "--strict");
    assert_eq!(run(&strict).status.code(), Some(1));
    // A pass that does change something: no warning, --strict exits 0.
    let o = run(&[
        "--strict",
        "--check",
        "--pass",
        "swap-const",
        "--param",
        "from=42",
        "--param",
        "to=1",
        f,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("pass 1 swap-const: changed "),
        "{}",
        text(&o.stdout)
    );
}

#[test]
fn a_value_the_version_cannot_encode_is_one_usage_error_per_version() {
    // A tree with files of two versions: BINARY_ADD is an opcode on 3.8 only.
    let tmp = tempfile::tempdir().unwrap();
    for v in ["3.8", "3.12"] {
        let d = tmp.path().join(v);
        std::fs::create_dir_all(&d).unwrap();
        for name in ["ops.pyc", "consts.pyc", "fold.pyc"] {
            std::fs::copy(corpus(&format!("{v}/passes/{name}")), d.join(name)).unwrap();
        }
    }
    let out = tmp.path().join("out");
    let o = run(&[
        "--pass",
        "replace-op",
        "--param",
        "from=BINARY_ADD",
        "--param",
        "to=-",
        tmp.path().to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(
        err,
        "pyrewrite: pass 1 (replace-op): from: opcode BINARY_ADD does not exist in Python 3.12; write the operator + instead \
         (Python 3.12: 3 input file(s); nothing was written)\n"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn occurrence_and_line_change_exactly_one_site() {
    for v in ["3.8", "3.12", "3.13"] {
        let f = corpus(&format!("{v}/passes/ops.pyc"));
        if !f.exists() {
            continue;
        }
        let before = instructions(&f);
        let tmp = tempfile::tempdir().unwrap();
        let all = run(&[
            "--check",
            "--json",
            "--pass",
            "replace-op",
            "--param",
            "from=+",
            "--param",
            "to=-",
            f.to_str().unwrap(),
        ]);
        let n = json(&all)["passes"][0]["sites_matched"].as_u64().unwrap() as usize;
        assert!(n >= 2, "{v}: ops.pyc has several + ({n})");
        let mut changed_lines = Vec::new();
        for k in 1..=n {
            let out = tmp.path().join(format!("m{k}.pyc"));
            let o = run(&[
                "--json",
                "--pass",
                "replace-op",
                "--param",
                "from=+",
                "--param",
                "to=-",
                "--param",
                &format!("occurrence={k}"),
                f.to_str().unwrap(),
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            assert_eq!(
                json(&o)["passes"][0]["sites_changed"],
                1,
                "{v} occurrence {k}"
            );
            let after = instructions(&out);
            let diff: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
            assert_eq!(diff.len(), 1, "{v} occurrence {k}: {diff:?}");
            assert_eq!(before.len(), after.len());
            changed_lines.push(diff[0].1.clone());
        }
        changed_lines.dedup();
        assert_eq!(
            changed_lines.len(),
            n,
            "{v}: each occurrence is a different site"
        );
        // One past the last: nothing changes, so --strict fails.
        let o = run(&[
            "--strict",
            "--check",
            "--pass",
            "replace-op",
            "--param",
            "from=+",
            "--param",
            "to=-",
            "--param",
            &format!("occurrence={}", n + 1),
            f.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        // `line` keeps the sites of one line: the counts agree with the per-line tally.
        let o = run(&["dis", "--json", f.to_str().unwrap()]);
        let doc = json(&o);
        let mut plus_lines = Vec::new();
        for c in doc["code_objects"].as_array().unwrap() {
            for i in c["instructions"].as_array().unwrap() {
                let name = i["opname"].as_str().unwrap();
                if name == "BINARY_ADD" || (name == "BINARY_OP" && i["argrepr"] == "+") {
                    plus_lines.push(i["line"].as_i64().unwrap());
                }
            }
        }
        assert_eq!(plus_lines.len(), n, "{v}");
        let line = plus_lines[0];
        let want = plus_lines.iter().filter(|&&l| l == line).count();
        let o = run(&[
            "--check",
            "--json",
            "--pass",
            "replace-op",
            "--param",
            "from=+",
            "--param",
            "to=-",
            "--param",
            &format!("line={line}"),
            f.to_str().unwrap(),
        ]);
        assert_eq!(
            json(&o)["passes"][0]["sites_changed"].as_u64(),
            Some(want as u64),
            "{v} line {line}"
        );
    }
}

#[test]
fn swap_const_occurrence_changes_one_load() {
    let f = corpus("3.12/passes/consts.pyc");
    let before = instructions(&f);
    let tmp = tempfile::tempdir().unwrap();
    let all = run(&[
        "--check",
        "--json",
        "--pass",
        "swap-const",
        "--param",
        "from=42",
        "--param",
        "to=99",
        "--param",
        "occurrence=1",
        f.to_str().unwrap(),
    ]);
    let n = json(&all)["passes"][0]["sites_matched"].as_u64().unwrap() as usize;
    assert!(n >= 2, "consts.pyc loads 42 in several places ({n})");
    for k in 1..=n {
        let out = tmp.path().join(format!("c{k}.pyc"));
        let o = run(&[
            "--pass",
            "swap-const",
            "--param",
            "from=42",
            "--param",
            "to=99",
            "--param",
            &format!("occurrence={k}"),
            f.to_str().unwrap(),
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let after = instructions(&out);
        let diff: Vec<_> = before.iter().zip(&after).filter(|(a, b)| a != b).collect();
        assert_eq!(diff.len(), 1, "occurrence {k}: {diff:?}");
        assert!(diff[0].1 .1.contains("99"), "{diff:?}");
    }
}

#[test]
fn json_reports_errors_per_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("in/bad.pyc");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, b"\x00\x01").unwrap();
    std::fs::copy(corpus("3.12/passes/ops.pyc"), tmp.path().join("in/ops.pyc")).unwrap();
    let o = run(&[
        "--check",
        "--json",
        "--pass",
        "replace-op",
        "--param",
        "from=+",
        "--param",
        "to=-",
        tmp.path().join("in").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["status"], "failed");
    assert!(
        files[0]["error"].as_str().unwrap().contains("bad.pyc"),
        "{}",
        files[0]
    );
    assert_eq!(files[1]["status"], "rewritten");
    assert!(files[1]["passes"][0]["sites_changed"].as_u64().unwrap() > 0);
    assert_eq!(doc["failed"], 1);
}
