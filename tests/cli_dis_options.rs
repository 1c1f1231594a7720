//! `pyrewrite dis -C/--show-caches` and `-O/--show-offsets` against what
//! each CPython's `dis.dis(code, show_caches=True, show_offsets=True)`
//! prints (`python -m dis -C -O`): 3.11-3.14, every top-level corpus file.

use pyrewrite::oracle::{self, Interpreter};
use pyrewrite::PyVersion;
use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

const SCRIPT: &str = r#"
import dis, io, marshal, re, sys
offsets = sys.argv[1] == "1"
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        code = marshal.loads(f.read()[16:])
    out = {}
    for caches, offs in ((False, False), (True, offsets)):
        buf = io.StringIO()
        kw = {"show_offsets": True} if offs else {}
        if caches and sys.version_info >= (3, 14):
            kw["show_positions"] = True
        dis.dis(code, file=buf, show_caches=caches, **kw)
        out[caches] = re.sub(r" at 0x[0-9a-fA-F]+", " at 0x?", buf.getvalue())
    sys.stdout.write("== %s\n%s== %s caches\n%s" % (path, out[False], path, out[True]))
"#;

fn mask(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = rest[i + 6..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push('?');
    }
    out.push_str(rest);
    out
}

fn pyrewrite(args: &[&str]) -> String {
    let o = Command::new(BIN).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    mask(&String::from_utf8(o.stdout).unwrap())
}

fn check(interp: &Interpreter) -> usize {
    let v = interp.version;
    let dir = oracle::repo_root().join("corpus/pyc").join(v.to_string());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pyc"))
        .collect();
    files.sort();
    let offsets = v.at_least(13);
    let mut args: Vec<String> = vec![if offsets { "1" } else { "0" }.to_string()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let out = interp.run_code(SCRIPT, &args).unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        interp.describe(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut checked = 0;
    for f in &files {
        let name = f.display().to_string();
        let plain_at = text.find(&format!("== {name}\n")).unwrap() + name.len() + 4;
        let caches_head = format!("== {name} caches\n");
        let caches_at = text[plain_at..].find(&caches_head).unwrap() + plain_at;
        let plain = &text[plain_at..caches_at];
        let rest = &text[caches_at + caches_head.len()..];
        let with_caches = &rest[..rest.find("\n== ").map_or(rest.len(), |i| i + 1)];
        // NB: files whose plain dis differs (frozenset order) are dis_oracle.rs's business.
        if pyrewrite(&["dis", &name]) != plain {
            continue;
        }
        let mut flags = vec!["dis", "--show-caches"];
        if offsets {
            flags.push("--show-offsets");
        }
        if v.at_least(14) {
            flags.push("--show-positions");
        }
        flags.push(&name);
        let ours = pyrewrite(&flags);
        if ours != with_caches {
            let at = ours
                .lines()
                .zip(with_caches.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{v} {name}: line {at} differs\nours:   {:?}\ntheirs: {:?}",
                ours.lines().nth(at),
                with_caches.lines().nth(at)
            );
        }
        checked += 1;
    }
    checked
}

#[test]
fn caches_and_offsets_match_cpython() {
    let mut total = 0;
    for minor in 11..=14 {
        let Some(interp) = oracle::find(PyVersion::new(3, minor)) else {
            eprintln!("note: CPython 3.{minor} not found: --show-caches not checked there");
            continue;
        };
        let n = check(&interp);
        eprintln!(
            "{}: {n} files identical with -C{}{}",
            interp.describe(),
            if minor >= 13 { " -O" } else { "" },
            if minor >= 14 { " -P" } else { "" }
        );
        assert!(n > 20, "3.{minor}: only {n} files compared");
        total += n;
    }
    assert!(total > 0, "no CPython 3.11+ found");
}

/// Before 3.11 there are no caches: -C changes nothing; -O changes nothing before 3.13.
#[test]
fn options_are_no_ops_where_the_data_does_not_exist() {
    let f = oracle::repo_root().join("corpus/pyc/3.10/closures.pyc");
    let f = f.to_str().unwrap();
    assert_eq!(pyrewrite(&["dis", "-C", "-O", f]), pyrewrite(&["dis", f]));
    let f = oracle::repo_root().join("corpus/pyc/3.12/closures.pyc");
    let f = f.to_str().unwrap();
    assert_eq!(pyrewrite(&["dis", "-O", f]), pyrewrite(&["dis", f]));
    assert!(pyrewrite(&["dis", "-C", f]).contains("CACHE                    0 (counter: 0)"));
    // Positions follow 3.14's -P layout: 3.13+ files only, a clear refusal before.
    let o = Command::new(BIN).args(["dis", "-P", f]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--show-positions on Python 3.12"));
    let f13 = oracle::repo_root().join("corpus/pyc/3.13/closures.pyc");
    let p = pyrewrite(&["dis", "-P", f13.to_str().unwrap()]);
    // `def make_counter` spans lines 5-18 of closures.py.
    assert!(p.contains("\n5:0-18:19               LOAD_CONST "), "{p}");
}
