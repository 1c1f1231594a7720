//! `pyrewrite verify FILE|TREE` and `--check` run the verifier on every
//! code object, changed or not: CPython's own output passes, and a file
//! no compiler would write (more arguments than local names, a jump into
//! nowhere) is reported with its code object and offset, and nothing is
//! written.

mod support;

use pyrewrite::marshal::{Marshal, ObjId, Value};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run pyrewrite")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pyrewrite-verify-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The first function code object (not the module) of a corpus file of `v`
/// that has at least one argument, with its file.
fn function_with_args(v: PyVersion) -> (PathBuf, Pyc, ObjId) {
    for f in support::corpus_pyc_files(v) {
        let p = Pyc::parse(&std::fs::read(&f).unwrap()).unwrap();
        let found = p
            .marshal
            .code_objects()
            .into_iter()
            .find_map(|(id, depth)| {
                let Value::Code(c) = p.marshal.get(id) else {
                    return None;
                };
                (depth > 0 && c.argcount > 0).then_some(id)
            });
        if let Some(id) = found {
            return (f, p, id);
        }
    }
    panic!("{v}: no corpus function with arguments")
}

/// Writes `p` with code object `id` changed by `edit` to `dir/name`.
fn write_edited(
    dir: &Path,
    name: &str,
    p: &Pyc,
    id: ObjId,
    edit: impl FnOnce(&mut Marshal, ObjId),
) -> PathBuf {
    let mut p = p.clone();
    edit(&mut p.marshal, id);
    let out = dir.join(name);
    std::fs::write(
        &out,
        p.to_bytes().expect("the writer does not check contents"),
    )
    .unwrap();
    out
}

#[test]
fn cpython_output_verifies_on_every_version() {
    for v in PyVersion::SUPPORTED {
        let files = support::corpus_pyc_files(v);
        if files.is_empty() {
            continue;
        }
        let dir = files[0].parent().unwrap();
        let o = run(&["verify", dir.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "{v}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        assert_eq!(text(&o.stdout), "", "{v}: no problem is printed");
        assert!(
            text(&o.stderr).contains("0 problem(s)"),
            "{v}: {}",
            text(&o.stderr)
        );
    }
}

#[test]
fn argcount_above_the_locals_is_reported_by_verify_and_check() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let dir = tmpdir(&format!("argc-{v}"));
        let (_, p, id) = function_with_args(v);
        let bad = write_edited(&dir, "bad.pyc", &p, id, |m, id| {
            let Value::Code(c) = m.get_mut(id) else {
                unreachable!()
            };
            c.argcount += 1000;
        });
        let o = run(&["verify", bad.to_str().unwrap()]);
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{v}: {out}{}", text(&o.stderr));
        assert!(out.contains("[locals-table]"), "{v}: {out}");
        assert!(
            out.starts_with(&format!("{}: ", bad.display())),
            "{v}: the file leads: {out}"
        );
        assert!(
            out.contains("(line "),
            "{v}: the code object is named: {out}"
        );

        // --check reports the same and exits 1; before, an identity
        // rewrite of this file passed --check.
        let o = run(&["--check", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{v}: {}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains("[locals-table]"),
            "{v}: {}",
            text(&o.stderr)
        );

        // A pass run on it fails and writes nothing.
        let out_file = dir.join("out.pyc");
        let o = run(&[
            bad.to_str().unwrap(),
            out_file.to_str().unwrap(),
            "--pass",
            "inject-hook",
            "--param",
            "hook=h:f",
        ]);
        assert_eq!(o.status.code(), Some(1), "{v}: {}", text(&o.stderr));
        assert!(
            !out_file.exists(),
            "{v}: nothing is written for a failing input"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn verify_json_locates_a_bad_jump_in_a_tree() {
    let v = PyVersion::SUPPORTED[PyVersion::SUPPORTED.len() - 1];
    let v = if support::corpus_pyc_files(v).is_empty() {
        PyVersion::new(3, 12)
    } else {
        v
    };
    let dir = tmpdir("json");
    let (src, p, id) = function_with_args(v);
    std::fs::copy(&src, dir.join("good.pyc")).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    // An unknown opcode byte in the middle of co_code.
    let bad = write_edited(&dir.join("sub"), "bad.pyc", &p, id, |m, id| {
        let Value::Code(c) = m.get(id).clone() else {
            unreachable!()
        };
        let mut bytes = m.bytes(c.code).unwrap().to_vec();
        let at = bytes.len() / 2 & !1;
        let t = pyrewrite::opcodes::table(v).unwrap();
        let unused = (0u8..=255)
            .find(|&b| t.get(b).is_none())
            .expect("a free opcode byte");
        bytes[at] = unused;
        let new = m.push(Value::Bytes(bytes.into()));
        let Value::Code(c) = m.get_mut(id) else {
            unreachable!()
        };
        c.code = new;
    });
    let o = run(&["verify", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let j: Json = serde_json::from_slice(&o.stdout).expect("JSON");
    let items = j.as_array().unwrap();
    assert_eq!(items.len(), 1, "{j}");
    assert_eq!(items[0]["file"], bad.display().to_string());
    assert!(items[0]["offset"].is_u64(), "{j}");
    assert!(
        text(&o.stderr).contains("verified 2 file(s)"),
        "{}",
        text(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
