//! End-to-end tests of the `pyrewrite` binary: `info`/`dis`/`diff` output checked against what real CPython reports, and the rewrite mode's file handling.

use pyrewrite::oracle::{self, Interpreter};
use pyrewrite::PyVersion;
use serde_json::Value as Json;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = Command::new(BIN);
    for a in args {
        c.arg(a.as_ref());
    }
    c.output().expect("run pyrewrite")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(o: &Output) -> Json {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

fn corpus(v: PyVersion) -> PathBuf {
    oracle::repo_root().join("corpus/pyc").join(v.to_string())
}

/// Top-level corpus `.pyc` files of a version (sorted).
fn corpus_files(v: PyVersion) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(corpus(v)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pyc"))
        .collect();
    files.sort();
    files
}

/// Interpreters found for 3.8+ with a corpus; at least one must exist, or
/// the oracle tests would pass vacuously.
fn interpreters() -> Vec<Interpreter> {
    let found: Vec<Interpreter> = PyVersion::SUPPORTED
        .iter()
        .filter_map(|&v| oracle::find(v))
        .filter(|i| !corpus_files(i.version).is_empty())
        .collect();
    assert!(
        !found.is_empty(),
        "no CPython 3.8+ interpreter found (see src/oracle.rs)"
    );
    found
}

/// What CPython says about every code object of each file, in pre-order,
/// and the instructions `dis.get_instructions` lists.
const ORACLE: &str = r#"
import sys, marshal, json, types, inspect, dis

V = sys.version_info[:2]
JUMPS = set(getattr(dis, "hasjump", [])) | set(dis.hasjrel) | set(dis.hasjabs)
ARGS = set(dis.hasname) | set(dis.haslocal) | set(dis.hasfree) | set(dis.hascompare)

def const(c):
    if isinstance(c, types.CodeType):
        return "<code %s>" % c.co_name
    r = repr(c)
    # NB: a frozenset's repr follows hash order, marshal keeps its own order.
    return None if "frozenset" in r else r

def params(c):
    # NB: inspect renames a comprehension's ".0" argument to "implicit0".
    if not c.co_flags & 2 or any(n.startswith(".") for n in c.co_varnames):
        return None
    cells = tuple(types.CellType() for _ in c.co_freevars)
    sig = inspect.signature(types.FunctionType(c, {}, None, None, cells))
    P = inspect.Parameter
    by = lambda k: [p.name for p in sig.parameters.values() if p.kind == k]
    one = lambda k: (by(k) or [None])[0]
    return dict(positional_only=by(P.POSITIONAL_ONLY), positional=by(P.POSITIONAL_OR_KEYWORD),
                keyword_only=by(P.KEYWORD_ONLY), varargs=one(P.VAR_POSITIONAL), varkeywords=one(P.VAR_KEYWORD))

def instr(c):
    out = []
    ins = list(dis.get_instructions(c))
    targets = lambda i: i.jump_target if V >= (3, 13) else (i.argval if i.opcode in JUMPS else None)
    # Jump targets and exception handlers (dis.dis's ">>" marks).
    marked = {targets(i) for i in ins}
    if V >= (3, 11):
        marked |= {e.target for e in dis._parse_exception_table(c)}
    for i in ins:
        line = i.positions.lineno if V >= (3, 11) else None
        rep = i.argrepr if i.opcode in ARGS else None
        out.append([i.offset, i.opname, i.arg, targets(i), i.offset in marked, line, rep])
    return out

def walk(c, qual, out):
    out.append(dict(
        name=c.co_name, qualname=getattr(c, "co_qualname", qual), filename=c.co_filename,
        firstlineno=c.co_firstlineno, argcount=c.co_argcount, posonlyargcount=c.co_posonlyargcount,
        kwonlyargcount=c.co_kwonlyargcount, varnames=list(c.co_varnames), cellvars=list(c.co_cellvars),
        freevars=list(c.co_freevars), names=list(c.co_names), nlocals=c.co_nlocals,
        stacksize=c.co_stacksize, flags=c.co_flags, bytecode_size=len(c.co_code),
        consts=[const(k) for k in c.co_consts], parameters=params(c), instructions=instr(c)))
    # Before 3.11 a function's qualname is the str loaded right after its
    # code and handed to MAKE_FUNCTION (class bodies get their bare name).
    quals = {}
    ins = list(dis.get_instructions(c))
    for a, b, m in zip(ins, ins[1:], ins[2:]):
        if (a.opname == "LOAD_CONST" and isinstance(a.argval, types.CodeType) and a.argval.co_flags & 2
                and b.opname == "LOAD_CONST" and isinstance(b.argval, str) and m.opname == "MAKE_FUNCTION"):
            quals[id(a.argval)] = b.argval
    for k in c.co_consts:
        if isinstance(k, types.CodeType):
            walk(k, quals.get(id(k)), out)

res = {}
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        data = f.read()
    out = []
    walk(marshal.loads(data[16:]), "<module>", out)
    res[path] = out
print(json.dumps(res))
"#;

fn oracle_facts(py: &Interpreter, files: &[PathBuf], tmp: &Path) -> serde_json::Map<String, Json> {
    let script = tmp.join("cli_oracle.py");
    fs::write(&script, ORACLE).unwrap();
    let out = py.run_script(&script, files).expect("run oracle");
    assert!(
        out.status.success(),
        "oracle failed on {}: {}",
        py.describe(),
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("oracle JSON") {
        Json::Object(m) => m,
        _ => panic!("oracle printed no object"),
    }
}

#[test]
fn info_and_dis_json_match_the_interpreter() {
    let tmp = tempfile::tempdir().unwrap();
    let mut compared = 0usize;
    let pys = interpreters();
    eprintln!(
        "oracles: {:?}",
        pys.iter().map(|p| p.describe()).collect::<Vec<_>>()
    );
    for py in pys {
        let v = py.version;
        let files = corpus_files(v);
        let facts = oracle_facts(&py, &files, tmp.path());
        for f in &files {
            let key = f.to_string_lossy().into_owned();
            let want = facts[&key].as_array().unwrap();
            let o = run(&[&"info", &"--json", f]);
            assert!(o.status.success(), "{key}: {}", stderr(&o));
            let info = json_of(&o);
            assert_eq!(info["header"]["version"], v.to_string(), "{key}");
            let got = info["code_objects"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{key}: number of code objects");
            let o = run(&[&"dis", &"--json", f]);
            assert!(o.status.success(), "{key}: {}", stderr(&o));
            let dis = json_of(&o);
            let dis = dis["code_objects"].as_array().unwrap();
            assert_eq!(dis.len(), want.len(), "{key}: dis code objects");
            for ((g, w), d) in got.iter().zip(want).zip(dis) {
                let at = format!("{key} [{v}] code {}", w["name"]);
                for field in [
                    "name",
                    "filename",
                    "firstlineno",
                    "argcount",
                    "posonlyargcount",
                    "kwonlyargcount",
                    "varnames",
                    "cellvars",
                    "freevars",
                    "names",
                    "nlocals",
                    "stacksize",
                    "flags",
                    "bytecode_size",
                ] {
                    assert_eq!(g[field], w[field], "{at}: {field}");
                }
                if !w["qualname"].is_null() {
                    assert_eq!(g["qualname"], w["qualname"], "{at}: qualname");
                }
                assert_eq!(g["qualname_computed"], !v.at_least(11), "{at}");
                let (gc, wc) = (
                    g["consts"].as_array().unwrap(),
                    w["consts"].as_array().unwrap(),
                );
                assert_eq!(gc.len(), wc.len(), "{at}: consts");
                for (x, y) in gc.iter().zip(wc) {
                    if !y.is_null() {
                        assert_eq!(x, y, "{at}: const");
                    }
                }
                if !w["parameters"].is_null() {
                    assert_eq!(g["parameters"], w["parameters"], "{at}: parameters");
                }
                let wi = w["instructions"].as_array().unwrap();
                assert_eq!(g["instruction_count"], wi.len(), "{at}: instruction count");
                let di = d["instructions"].as_array().unwrap();
                assert_eq!(di.len(), wi.len(), "{at}: instructions");
                for (x, y) in di.iter().zip(wi) {
                    let ia = format!("{at} offset {}", y[0]);
                    assert_eq!(x["offset"], y[0], "{ia}");
                    assert_eq!(x["opname"], y[1], "{ia}");
                    assert_eq!(x["arg"], y[2], "{ia}");
                    assert_eq!(x["jump_target"], y[3], "{ia}: jump target");
                    assert_eq!(x["is_jump_target"], y[4], "{ia}: is_jump_target");
                    if v.at_least(11) {
                        assert_eq!(x["line"], y[5], "{ia}: line");
                    }
                    if !y[6].is_null() {
                        assert_eq!(x["argrepr"], y[6], "{ia}: argrepr");
                    }
                }
                compared += 1;
            }
        }
    }
    eprintln!("compared {compared} code objects");
    assert!(compared > 100, "compared only {compared} code objects");
}

#[test]
fn info_text_shows_header_and_tree() {
    let v = PyVersion::new(3, 12);
    let f = corpus(v).join("closures.pyc");
    let o = run(&[&"info", &f]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let j = json_of(&run(&[&"info", &"--json", &f]));
    let magic = j["header"]["magic"].as_u64().unwrap();
    // The magic number is what the file starts with.
    let bytes = fs::read(&f).unwrap();
    assert_eq!(magic, u64::from(u16::from_le_bytes([bytes[0], bytes[1]])));
    assert!(text.contains(&format!("magic:        {magic} ")), "{text}");
    for c in j["code_objects"].as_array().unwrap() {
        let pad = "    ".repeat(c["depth"].as_u64().unwrap() as usize);
        let line = format!("{pad}code {} ", c["name"].as_str().unwrap());
        assert!(
            text.lines().any(|l| l.starts_with(&line)),
            "missing {line:?} in\n{text}"
        );
    }
}

#[test]
fn header_modes_match_py_compile() {
    // Compile one source in each invalidation mode and compare with what
    // importlib reads from the header.
    let Some(py) = interpreters().into_iter().find(|i| !i.is_pyodide()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("m.py");
    fs::write(&src, "x = 1\n").unwrap();
    let script = r#"
import py_compile, sys, os, importlib.util as u, json
src, out = sys.argv[1], sys.argv[2]
res = {}
for mode in ("TIMESTAMP", "CHECKED_HASH", "UNCHECKED_HASH"):
    p = os.path.join(out, mode + ".pyc")
    py_compile.compile(src, cfile=p, invalidation_mode=getattr(py_compile.PycInvalidationMode, mode))
    data = open(p, "rb").read()
    flags = int.from_bytes(data[4:8], "little")
    res[mode] = dict(path=p, flags=flags, magic=int.from_bytes(u.MAGIC_NUMBER[:2], "little"),
                     mtime=int(os.stat(src).st_mtime) & 0xFFFFFFFF, size=os.stat(src).st_size,
                     hash=u.source_hash(open(src, "rb").read()).hex())
print(json.dumps(res))
"#;
    let out = py
        .run_code(script, &[src.as_os_str(), tmp.path().as_os_str()])
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res: Json = serde_json::from_slice(&out.stdout).unwrap();
    for (mode, want) in res.as_object().unwrap() {
        let j = json_of(&run(&[&"info", &"--json", &want["path"].as_str().unwrap()]));
        let h = &j["header"];
        assert_eq!(h["magic"], want["magic"], "{mode}");
        assert_eq!(h["final_magic"], true, "{mode}");
        assert_eq!(h["flags"], want["flags"], "{mode}");
        let inv = &h["invalidation"];
        match mode.as_str() {
            "TIMESTAMP" => {
                assert_eq!(inv["mode"], "timestamp");
                assert_eq!(inv["mtime"], want["mtime"]);
                assert_eq!(inv["source_size"], want["size"]);
                let date = Command::new("date")
                    .arg("-u")
                    .arg(format!("-d@{}", want["mtime"]))
                    .arg("+%F %T UTC")
                    .output();
                if let Ok(d) = date {
                    assert_eq!(
                        inv["mtime_utc"].as_str().unwrap(),
                        String::from_utf8_lossy(&d.stdout).trim()
                    );
                }
            }
            "CHECKED_HASH" => {
                assert_eq!(inv["mode"], "checked-hash");
                assert_eq!(inv["hash"], want["hash"]);
            }
            _ => {
                assert_eq!(inv["mode"], "unchecked-hash");
                assert_eq!(inv["hash"], want["hash"]);
            }
        }
    }
}

#[test]
fn diff_of_a_file_with_itself_is_identical() {
    for v in PyVersion::SUPPORTED {
        for f in corpus_files(v).iter().take(5) {
            let o = run(&[&"diff", f, f]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}: {}{}",
                f.display(),
                stdout(&o),
                stderr(&o)
            );
            let j = json_of(&run(&[&"diff", &"--json", f, f]));
            assert_eq!(j["identical"], true);
            assert!(j["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["bytecode_identical"] == true));
        }
    }
}

#[test]
fn diff_lambda_against_def() {
    let tmp = tempfile::tempdir().unwrap();
    let (lam, def) = (tmp.path().join("lam.py"), tmp.path().join("def.py"));
    fs::write(&lam, "g = lambda x: x + 1\n").unwrap();
    fs::write(&def, "def g(x): return x + 1\n").unwrap();
    // Compile both and ask CPython whether the function bodies' co_code agree.
    let script = r#"
import sys, py_compile, marshal
a = py_compile.compile(sys.argv[1], cfile=sys.argv[1] + "c")
b = py_compile.compile(sys.argv[2], cfile=sys.argv[2] + "c")
fa, fb = (marshal.loads(open(p, "rb").read()[16:]).co_consts[0] for p in (a, b))
print(fa.co_code == fb.co_code, fa.co_name, fb.co_name)
"#;
    let mut checked = 0;
    for py in interpreters().into_iter().filter(|i| !i.is_pyodide()) {
        let out = py
            .run_code(script, &[lam.as_os_str(), def.as_os_str()])
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut words = said.split_whitespace();
        let same_code = words.next() == Some("True");
        let (na, nb) = (
            words.next().unwrap().to_string(),
            words.next().unwrap().to_string(),
        );
        let (pa, pb) = (tmp.path().join("lam.pyc"), tmp.path().join("def.pyc"));
        let o = run(&[&"diff", &"--json", &pa, &pb]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let j = json_of(&o);
        let pair = j["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["depth"] == 1)
            .expect("function pair");
        assert_eq!(pair["bytecode_identical"], same_code, "{}", py.describe());
        let attr = |name: &str| {
            pair["attrs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["attr"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(attr("name")["a"], na.as_str());
        assert_eq!(attr("name")["b"], nb.as_str());
        assert_eq!(attr("name")["same"], false);
        assert_eq!(attr("varnames")["same"], true);
        let text = stdout(&run(&[&"diff", &pa, &pb]));
        let yes = if same_code { "yes" } else { "no" };
        assert!(
            text.contains(&format!(
                "code <lambda> <-> g (paired by position): differs\n    bytecode identical: {yes}"
            )),
            "{text}"
        );
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn diff_across_versions_does_not_crash() {
    let a = corpus(PyVersion::new(3, 8)).join("classes.pyc");
    let b = corpus(PyVersion::new(3, 13)).join("classes.pyc");
    let o = run(&[&"diff", &"--json", &a, &b]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let j = json_of(&o);
    assert_eq!(j["header"][0]["a"], "3.8");
    assert_eq!(j["header"][0]["b"], "3.13");
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(
                    files_under(&p)
                        .into_iter()
                        .map(|x| Path::new(&e.file_name()).join(x)),
                );
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn rewrite_mirrors_a_directory_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    for v in PyVersion::SUPPORTED {
        if corpus(v).is_dir() {
            copy_tree(&corpus(v), &input.join(v.to_string()));
        }
    }
    fs::write(input.join("README.txt"), "not a pyc").unwrap();
    let pycs: Vec<PathBuf> = files_under(&input)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pyc"))
        .collect();
    assert!(pycs.len() > 100);
    let out = tmp.path().join("out");
    let o = run(&[&input, &out, &"-j", &"4"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("rewrote {} file(s), 0 failed", pycs.len())),
        "{}",
        stdout(&o)
    );
    assert_eq!(files_under(&out), pycs, "only the .pyc files are mirrored");
    for p in &pycs {
        assert_eq!(
            fs::read(input.join(p)).unwrap(),
            fs::read(out.join(p)).unwrap(),
            "{}",
            p.display()
        );
    }
    let o = run(&[&"--check", &input]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(&format!("checked {} file(s), 0 failed", pycs.len())));
}

#[test]
fn bad_input_is_reported_with_file_and_offset_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let good = corpus(PyVersion::new(3, 12)).join("closures.pyc");
    let bytes = fs::read(&good).unwrap();
    let input = tmp.path().join("in");
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::write(input.join("good.pyc"), &bytes).unwrap();
    let cut = bytes.len() / 2;
    fs::write(input.join("sub/truncated.pyc"), &bytes[..cut]).unwrap();
    let mut bad_magic = bytes.clone();
    bad_magic[..2].copy_from_slice(&9999u16.to_le_bytes());
    fs::write(input.join("badmagic.pyc"), &bad_magic).unwrap();

    for (name, offset) in [("sub/truncated.pyc", None), ("badmagic.pyc", Some(0))] {
        let f = input.join(name);
        for cmd in [
            &["info"][..],
            &["dis"],
            &["dis", "--json"],
            &["info", "--json"],
        ] {
            let mut c = Command::new(BIN);
            let o = c.args(cmd).arg(&f).output().unwrap();
            assert_eq!(o.status.code(), Some(1), "{cmd:?} {name}");
            let err = stderr(&o);
            assert!(
                err.starts_with(&format!("pyrewrite: {}: ", f.display())),
                "{err}"
            );
            assert!(err.contains("(at offset 0x"), "{err}");
            if let Some(off) = offset {
                assert!(err.contains(&format!("(at offset {off:#x})")), "{err}");
            }
            assert!(!err.contains("panicked"), "{err}");
            assert!(o.stdout.is_empty());
        }
        let o = run(&[&"diff", &f, &good]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(&f.display().to_string()));
    }

    // A truncated file's error offset is where the data ran out.
    let o = run(&[&"info", &input.join("sub/truncated.pyc")]);
    let err = stderr(&o);
    let at = err
        .split("(at offset 0x")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    assert!(u64::from_str_radix(at, 16).unwrap() <= cut as u64, "{err}");

    // Directory run: the good file is written, the bad ones are not, exit 1.
    let out = tmp.path().join("out");
    let o = run(&[&input, &out]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("truncated.pyc: ") && err.contains("badmagic.pyc: "),
        "{err}"
    );
    assert!(
        stdout(&o).contains("rewrote 1 file(s), 2 failed"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        files_under(&out),
        vec![PathBuf::from("good.pyc")],
        "no partial or temporary output"
    );

    // Single file: nothing at OUT.
    let o = run(&[&input.join("badmagic.pyc"), &tmp.path().join("x.pyc")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!tmp.path().join("x.pyc").exists());

    // Garbage that is not even a header, and a missing file.
    fs::write(tmp.path().join("tiny.pyc"), b"\x01").unwrap();
    let o = run(&[&"info", &tmp.path().join("tiny.pyc")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("tiny.pyc: "), "{}", stderr(&o));
    let o = run(&[&"info", &tmp.path().join("missing.pyc")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.pyc: "), "{}", stderr(&o));
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let f = corpus(PyVersion::new(3, 11)).join("closures.pyc");
    let bytes = fs::read(&f).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("t.pyc");
    for cut in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
        fs::write(&p, &bytes[..cut]).unwrap();
        for cmd in ["info", "dis"] {
            let o = Command::new(BIN).arg(cmd).arg(&p).output().unwrap();
            assert_eq!(o.status.code(), Some(1), "cut {cut}");
            assert!(
                stderr(&o).starts_with(&format!("pyrewrite: {}: ", p.display())),
                "{}",
                stderr(&o)
            );
        }
    }
}

#[test]
fn output_never_overwrites_input_without_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("a.pyc");
    let bytes = fs::read(corpus(PyVersion::new(3, 10)).join("closures.pyc")).unwrap();
    fs::write(&f, &bytes).unwrap();
    let before = fs::metadata(&f).unwrap().modified().unwrap();
    let o = run(&[&f, &f]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--in-place"), "{}", stderr(&o));
    let o = run(&[&tmp.path(), &tmp.path()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(fs::metadata(&f).unwrap().modified().unwrap(), before);

    let o = run(&[&"--in-place", &f, &f]);
    assert_eq!(o.status.code(), Some(2), "--in-place takes no OUT");
    let o = run(&[&"--in-place", &tmp.path()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(&f).unwrap(), bytes);
    assert_eq!(
        files_under(tmp.path()),
        vec![PathBuf::from("a.pyc")],
        "no temporary files left"
    );
}

/// OUT's subdirectory is a link to IN's: the files that would replace
/// their inputs fail (one check per directory, not per file), the others
/// are written, and a file renamed into its input's directory is fine.
#[cfg(unix)]
#[test]
fn an_output_directory_that_is_the_input_directory_fails_only_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = fs::read(corpus(PyVersion::new(3, 10)).join("closures.pyc")).unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::write(input.join("a.pyc"), &bytes).unwrap();
    fs::write(input.join("sub/b.pyc"), &bytes).unwrap();
    fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(input.join("sub"), out.join("sub")).unwrap();
    let before = fs::metadata(input.join("sub/b.pyc"))
        .unwrap()
        .modified()
        .unwrap();
    let o = run(&[
        &"--pass",
        &"swap-const",
        &"--param",
        &"from=1",
        &"--param",
        &"to=2",
        &input,
        &out,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is the input file"), "{}", stderr(&o));
    assert!(out.join("a.pyc").is_file());
    let after = fs::metadata(input.join("sub/b.pyc"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(after, before, "the input was not replaced");
    assert_eq!(fs::read(input.join("sub/b.pyc")).unwrap(), bytes);

    let o = run(&[&input.join("a.pyc"), &input.join("c.pyc")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(input.join("c.pyc")).unwrap(), bytes);
}

#[test]
fn passes_and_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let f = corpus(PyVersion::new(3, 12)).join("closures.pyc");
    let out = tmp.path().join("o.pyc");
    let o = run(&[&"--pass", &"fold", &f, &out]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.trim().starts_with(
            "pyrewrite: unknown pass \"fold\"; available passes: swap-const, replace-op"
        ),
        "{e}"
    );
    assert!(!out.exists());
    let o = run(&[&"passes"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("swap-const") && stdout(&o).contains("## What it does"));
    // NB: config files are TOML pipelines (docs/config.md).
    let cfg = tmp.path().join("cfg.toml");
    fs::write(&cfg, "[[pass]]\nname = \"strip\"\n").unwrap();
    let o = run(&[&"--config", &cfg, &f, &out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown pass \"strip\""),
        "{}",
        stderr(&o)
    );
    fs::write(&cfg, "{nope").unwrap();
    let o = run(&[&"--config", &cfg, &f, &out]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cfg.toml: invalid TOML"),
        "{}",
        stderr(&o)
    );
    fs::write(&cfg, "# no passes\n").unwrap();
    let o = run(&[&"--config", &cfg, &f, &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read(&out).unwrap(), fs::read(&f).unwrap());
    for args in [
        &["--bogus"][..],
        &[f.to_str().unwrap()],
        &["--check"],
        &["info"],
    ] {
        let o = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    let o = run(&[&"--help"]);
    assert_eq!(o.status.code(), Some(0));
    for word in [
        "info",
        "dis",
        "diff",
        "passes",
        "--pass",
        "--in-place",
        "--check",
        "IN",
        "OUT",
    ] {
        assert!(stdout(&o).contains(word), "--help lacks {word}");
    }
}

#[test]
fn ignore_header_compares_code_only() {
    let Some(py) = interpreters().into_iter().find(|i| !i.is_pyodide()) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("m.py");
    fs::write(&src, "def f(x):\n    return [x for _ in range(3)]\n").unwrap();
    // The same source compiled at two source mtimes: only the header differs.
    let script = r#"
import os, sys, py_compile
src, out = sys.argv[1], sys.argv[2]
for n, t in enumerate((1_000_000_000, 1_500_000_000)):
    os.utime(src, (t, t))
    py_compile.compile(src, cfile=os.path.join(out, "m%d.pyc" % n), dfile="m.py")
"#;
    let out = py
        .run_code(script, &[src.as_os_str(), tmp.path().as_os_str()])
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (a, b) = (tmp.path().join("m0.pyc"), tmp.path().join("m1.pyc"));
    let o = run(&[&"diff", &a, &b]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("header: differs\n"));
    let o = run(&[&"diff", &"--ignore-header", &a, &b]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("header: differs (ignored)"));
    let j = json_of(&run(&[&"diff", &"--json", &a, &b]));
    assert_eq!(
        (j["identical"].clone(), j["code_identical"].clone()),
        (Json::Bool(false), Json::Bool(true))
    );
    let inv = &j["header"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["attr"] == "invalidation")
        .unwrap()
        .clone();
    assert_eq!(
        (inv["a"]["mtime"].clone(), inv["b"]["mtime"].clone()),
        (1_000_000_000.into(), 1_500_000_000.into())
    );
}

/// A run killed mid-write (SIGKILL) leaves `.NAME.pyrewrite-PID-N.tmp`
/// behind; the next run into that directory removes those of dead
/// processes, keeps those of live ones, and never takes them for input.
#[test]
fn temporary_files_of_a_killed_run_are_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let v = PyVersion::SUPPORTED[0];
    let src = corpus_files(v).into_iter().next().expect("a corpus file");
    let input = tmp.path().join("in");
    fs::create_dir_all(&input).unwrap();
    fs::copy(&src, input.join("m.pyc")).unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    // NB: no process has PID 4194304 (above Linux's pid_max limit).
    let stale = out.join(".m.pyc.pyrewrite-4194304-0.tmp");
    let live = out.join(format!(".m.pyc.pyrewrite-{}-0.tmp", std::process::id()));
    fs::write(&stale, b"half a file").unwrap();
    fs::write(&live, b"being written").unwrap();
    // The input side: a stray temp is never read as a .pyc.
    fs::write(input.join(".x.pyc.pyrewrite-4194304-1.tmp"), b"junk").unwrap();
    let o = run(&[&input, &out]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("rewrote 1 file(s), 0 failed"),
        "{}",
        stdout(&o)
    );
    assert!(!stale.exists(), "the dead run's temp file is removed");
    assert!(live.exists(), "a live process's temp file is kept");
    assert!(
        stderr(&o).contains("removed 1 temporary file(s)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read(out.join("m.pyc")).unwrap(),
        fs::read(&src).unwrap()
    );
}
