//! The inspection subcommands: `info`, `dis` (and `dis --ir`), `diff`, `passes`.

use super::{passes, report, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use pyrewrite::inspect::{diff::FileDiff, info::FileInfo, instr};
use pyrewrite::code::qualnames;
use pyrewrite::marshal::{Marshal, ObjId, Value};
use pyrewrite::{ir, lift};
use pyrewrite::pyc::Pyc;
use pyrewrite::Error;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

fn read(path: &Path) -> Result<Pyc, Error> {
    report::guard(path, || Pyc::read_file(path))
}

/// Prints a command's text and exits 0, or reports its located error and exits 1.
fn emit_or_report(path: &Path, r: Result<String, Error>) -> i32 {
    match r {
        Ok(text) => {
            report::emit(&text);
            EXIT_OK
        }
        Err(e) => {
            report::error(path, &e);
            EXIT_FAILED
        }
    }
}

fn to_json(v: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("plain structs serialise");
    s.push('\n');
    s
}

/// `pyrewrite info FILE [--json]`.
pub fn info(path: &Path, json: bool) -> i32 {
    #[derive(Serialize)]
    struct Out<'a> {
        file: String,
        #[serde(flatten)]
        info: &'a FileInfo,
    }
    let r = read(path).and_then(|p| report::guard(path, || FileInfo::of(&p))).map(|info| {
        if json {
            to_json(&Out { file: path.display().to_string(), info: &info })
        } else {
            format!("file:         {}\n{}", path.display(), info.to_text())
        }
    });
    emit_or_report(path, r)
}

/// `pyrewrite dis FILE [--json]`.
pub fn dis(path: &Path, json: bool) -> i32 {
    #[derive(Serialize)]
    struct Out {
        file: String,
        version: String,
        code_objects: Vec<instr::CodeInstructions>,
    }
    let r = read(path).and_then(|p| {
        report::guard(path, || {
            if json {
                let out = Out {
                    file: path.display().to_string(),
                    version: p.version().to_string(),
                    code_objects: instr::instructions(&p.marshal)?,
                };
                Ok(to_json(&out))
            } else {
                pyrewrite::dis::dis_module(&p.marshal)
            }
        })
    });
    emit_or_report(path, r)
}

/// `pyrewrite dis --ir FILE`: the lifted IR of every code object.
pub fn dis_ir(path: &Path) -> i32 {
    emit_or_report(path, read(path).and_then(|p| report::guard(path, || ir_text(&p.marshal))))
}

/// One `code QUALNAME (line N):` header and the IR text per code object,
/// depth first in `co_consts` order (the order `dis` recurses in).
/// Before 3.11 the qualname is computed from the nesting
/// ([`pyrewrite::code::qualnames`]).
fn ir_text(m: &Marshal) -> Result<String, Error> {
    let quals: HashMap<ObjId, String> = qualnames(m).into_iter().collect();
    let mut out = String::new();
    for (id, _) in m.code_objects() {
        let Value::Code(c) = m.get(id) else { continue };
        if !out.is_empty() {
            out.push('\n');
        }
        let qual = quals.get(&id).map_or("?", String::as_str);
        out.push_str(&format!("code {qual} (line {}):\n", c.firstlineno));
        let f = lift::lift(m, id)?;
        ir::write_function(&f, m, &mut out);
    }
    Ok(out)
}

/// `pyrewrite diff A B`: 0 identical, 1 different, 2 error (as diff(1)).
pub fn diff(a: &Path, b: &Path, json: bool, all: bool, ignore_header: bool) -> i32 {
    let (pa, pb) = match (read(a), read(b)) {
        (Ok(pa), Ok(pb)) => (pa, pb),
        (ra, rb) => {
            if let Err(e) = ra {
                report::error(a, &e);
            }
            if let Err(e) = rb {
                report::error(b, &e);
            }
            return EXIT_USAGE;
        }
    };
    let d = match report::guard(a, || FileDiff::of(&pa, &pb)) {
        Ok(d) => d,
        Err(e) => {
            report::error(a, &e);
            return EXIT_USAGE;
        }
    };
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            a: String,
            b: String,
            #[serde(flatten)]
            diff: &'a FileDiff,
        }
        report::emit(&to_json(&Out { a: a.display().to_string(), b: b.display().to_string(), diff: &d }));
    } else {
        report::emit(&d.to_text(&a.display().to_string(), &b.display().to_string(), all, ignore_header));
    }
    let same = if ignore_header { d.code_identical } else { d.identical };
    if same {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// `pyrewrite passes`.
pub fn passes() -> i32 {
    // NB: names, parameters and docs come from the library registry (pyrewrite::passes).
    for p in passes::PASSES {
        report::emit(&format!("{}\n", p.describe()));
    }
    EXIT_OK
}
