//! `pyrewrite dis --ir` on the corpus of every version: every jump and
//! handler label it prints is a printed block, and the instructions, jump
//! targets, handler targets and qualnames agree with what CPython's `dis`
//! says about the same code objects.

mod support;

use pyrewrite::PyVersion;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_pyrewrite");

/// Per file, per code object in pre-order: qualname (null before 3.11 for
/// code that is not made by `LOAD_CONST code; LOAD_CONST str;
/// MAKE_FUNCTION`), firstlineno, and per instruction (EXTENDED_ARG and
/// caches folded away): opname, index of the jump target instruction,
/// index of the exception handler instruction.
const ORACLE: &str = r#"
import sys, marshal, json, types, dis

V = sys.version_info[:2]
JUMPS = set(getattr(dis, "hasjump", [])) | set(dis.hasjrel) | set(dis.hasjabs)

def facts(c, qual):
    all_ins = list(dis.get_instructions(c))
    real = [i for i in all_ins if i.opname not in ("EXTENDED_ARG", "CACHE")]
    # An EXTENDED_ARG prefix belongs to the instruction after it.
    index_at, k = {}, 0
    for i in all_ins:
        index_at[i.offset] = k
        if i.opname not in ("EXTENDED_ARG", "CACHE"):
            k += 1
    def target(i):
        t = i.jump_target if V >= (3, 13) else (i.argval if i.opcode in JUMPS else None)
        return None if t is None else index_at[t]
    table = dis._parse_exception_table(c) if V >= (3, 11) else []
    def handler(i):
        for e in table:
            if e.start <= i.offset < e.end:
                return index_at[e.target]
        return None
    return dict(qualname=getattr(c, "co_qualname", qual), firstlineno=c.co_firstlineno,
                instrs=[[i.opname, target(i), handler(i)] for i in real])

def walk(c, qual, out):
    out.append(facts(c, qual))
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

/// One instruction line of the IR text.
#[derive(Debug)]
struct Line {
    op: String,
    jump: Option<u32>,
    handler: Option<u32>,
}

/// One `code QUAL (line N):` section.
#[derive(Debug, Default)]
struct Section {
    qualname: String,
    firstlineno: i64,
    instrs: Vec<Line>,
    /// Label number -> index of the instruction it names.
    labels: HashMap<u32, usize>,
}

fn label_number(tok: &str) -> Option<u32> {
    tok.strip_prefix('L')?.parse().ok()
}

/// `-> L5 [2]` or `-> L5 [2] lasti` at the end of a comment.
fn handler_of(line: &str) -> Option<u32> {
    let body = line.strip_suffix(" lasti").unwrap_or(line);
    if !body.ends_with(']') {
        return None;
    }
    let at = body.rfind("-> L")?;
    let rest = &body[at + 3..];
    let (label, depth) = rest.split_once(" [")?;
    depth.strip_suffix(']')?.parse::<u32>().ok()?;
    label_number(label)
}

fn parse(text: &str, at: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("code ") {
            let (qual, rest) = h
                .rsplit_once(" (line ")
                .unwrap_or_else(|| panic!("{at}: bad header {line:?}"));
            let n = rest
                .strip_suffix("):")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{at}: {line:?}"));
            out.push(Section {
                qualname: qual.to_string(),
                firstlineno: n,
                ..Default::default()
            });
        } else if line.is_empty() {
            continue;
        } else {
            let s = out
                .last_mut()
                .unwrap_or_else(|| panic!("{at}: text before the first header: {line:?}"));
            if let Some(l) = line.strip_suffix(':').and_then(label_number) {
                assert!(
                    s.labels.insert(l, s.instrs.len()).is_none(),
                    "{at}: L{l} printed twice in {}",
                    s.qualname
                );
            } else if let Some(ins) = line.strip_prefix("    ") {
                let mut toks = ins.split_whitespace();
                let op = toks
                    .next()
                    .unwrap_or_else(|| panic!("{at}: empty instruction line"))
                    .to_string();
                let jump = toks.next().and_then(label_number);
                s.instrs.push(Line {
                    op,
                    jump,
                    handler: handler_of(line),
                });
            } else {
                panic!("{at}: unexpected line {line:?}");
            }
        }
    }
    out
}

fn dis_ir(file: &Path) -> String {
    let o = Command::new(BIN)
        .args(["dis", "--ir"])
        .arg(file)
        .output()
        .expect("run pyrewrite");
    assert!(
        o.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

fn oracle(v: PyVersion, files: &[PathBuf]) -> Option<serde_json::Map<String, Json>> {
    let py = support::oracle_for(v)?;
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("ir_oracle.py");
    std::fs::write(&script, ORACLE).unwrap();
    let out = py.run_script(&script, files).expect("run oracle");
    assert!(
        out.status.success(),
        "oracle failed on {}: {}",
        py.describe(),
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("oracle JSON") {
        Json::Object(m) => Some(m),
        _ => panic!("oracle printed no object"),
    }
}

#[test]
fn dis_ir_labels_and_jumps_match_cpython() {
    let versions = support::corpus_versions();
    assert!(!versions.is_empty(), "no compiled corpus");
    let (mut checked_files, mut jumps, mut handlers) = (0usize, 0usize, 0usize);
    for v in versions {
        let files = support::corpus_pyc_files(v);
        let facts = oracle(v, &files);
        if facts.is_none() {
            eprintln!("{v}: no interpreter, checking the labels only");
        }
        for f in &files {
            let key = f.to_string_lossy().into_owned();
            let at = format!("{key} [{v}]");
            let sections = parse(&dis_ir(f), &at);
            assert!(!sections.is_empty(), "{at}: no code object printed");
            for s in &sections {
                for (k, ins) in s.instrs.iter().enumerate() {
                    for l in ins.jump.iter().chain(&ins.handler) {
                        assert!(
                            s.labels.contains_key(l),
                            "{at} {}: instruction {k} refers to L{l}, never printed",
                            s.qualname
                        );
                    }
                }
            }
            let Some(facts) = &facts else { continue };
            let want = facts[&key].as_array().unwrap();
            assert_eq!(sections.len(), want.len(), "{at}: number of code objects");
            for (s, w) in sections.iter().zip(want) {
                let at = format!("{at} {}", s.qualname);
                if let Some(q) = w["qualname"].as_str() {
                    assert_eq!(s.qualname, q, "{at}: qualname");
                }
                assert_eq!(
                    s.firstlineno,
                    w["firstlineno"].as_i64().unwrap(),
                    "{at}: firstlineno"
                );
                let wi = w["instrs"].as_array().unwrap();
                let ops: Vec<&str> = s.instrs.iter().map(|i| i.op.as_str()).collect();
                let wops: Vec<&str> = wi.iter().map(|x| x[0].as_str().unwrap()).collect();
                assert_eq!(ops, wops, "{at}: opcodes");
                for (k, (ins, x)) in s.instrs.iter().zip(wi).enumerate() {
                    let target = |l: Option<u32>| l.map(|l| s.labels[&l]);
                    let want_jump = x[1].as_u64().map(|t| t as usize);
                    assert_eq!(
                        target(ins.jump),
                        want_jump,
                        "{at}: instruction {k} ({}) jump target",
                        ins.op
                    );
                    let want_handler = x[2].as_u64().map(|t| t as usize);
                    assert_eq!(
                        target(ins.handler),
                        want_handler,
                        "{at}: instruction {k} ({}) handler",
                        ins.op
                    );
                    jumps += usize::from(want_jump.is_some());
                    handlers += usize::from(want_handler.is_some());
                }
            }
            checked_files += 1;
        }
    }
    eprintln!("checked {checked_files} files against CPython: {jumps} jumps, {handlers} instructions with a handler");
    assert!(
        checked_files > 0 && jumps > 0 && handlers > 0,
        "nothing was compared against CPython"
    );
}

#[test]
fn dis_ir_refuses_json_and_reports_bad_files() {
    let o = Command::new(BIN)
        .args(["dis", "--ir", "--json", "x.pyc"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "--ir with --json is a usage error"
    );
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.pyc");
    std::fs::write(&bad, b"not a pyc at all").unwrap();
    let o = Command::new(BIN)
        .args(["dis", "--ir"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.pyc"));
}
