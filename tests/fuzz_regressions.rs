//! Every input saved under fuzz/regressions/TARGET/ (minimised crashers of
//! tools/fuzz.sh) goes through the property of its target again, and so
//! does every corpus file: the fuzz checks themselves must hold on the
//! inputs the fuzzers start from.

mod support;

#[allow(dead_code)]
#[path = "../fuzz/checks.rs"]
mod checks;

use pyrewrite::PyVersion;

type Check = fn(&[u8]);

const TARGETS: &[(&str, Check)] = &[
    ("parse_pyc", checks::pyc_roundtrip),
    ("lift_assemble", checks::lift_assemble),
    ("passes", checks::passes),
    ("dis_info", checks::dis_info),
    ("config", checks::config_text),
];

#[test]
fn saved_crashers_pass_their_check() {
    let root = support::repo_root().join("fuzz/regressions");
    let mut n = 0;
    for (target, check) in TARGETS {
        let Ok(rd) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let r = std::panic::catch_unwind(|| check(&data));
            assert!(r.is_ok(), "{target}: {} fails its check again", f.display());
            n += 1;
        }
    }
    eprintln!("{n} saved input(s) replayed");
}

#[test]
fn corpus_files_pass_every_pyc_check() {
    let mut n = 0;
    for v in PyVersion::SUPPORTED {
        for f in support::corpus_pyc_files(v) {
            let data = std::fs::read(&f).unwrap();
            for (target, check) in &TARGETS[..4] {
                let r = std::panic::catch_unwind(|| check(&data));
                assert!(r.is_ok(), "{target}: {} fails", f.display());
            }
            n += 1;
        }
    }
    assert!(n > 0, "no corpus file");
}

#[test]
fn shipped_pipelines_pass_the_config_check() {
    for e in std::fs::read_dir(support::repo_root().join("passes"))
        .unwrap()
        .flatten()
    {
        checks::config_text(&std::fs::read(e.path()).unwrap());
    }
}
