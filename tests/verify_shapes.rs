//! Container types the interpreter casts to unchecked (src/verify/shapes.rs
//! and KW_NAMES in src/verify/consts.rs), each broken on every version it
//! applies to by replacing the instruction that builds the container with
//! one of the same stack effect that builds another; the unbroken function
//! verifies. (That every function CPython compiled still verifies is
//! tests/verify.rs::cpython_code_verifies_clean.)

mod support;

use pyrewrite::ir::{Arg, ConstIdx, Function};
use pyrewrite::lift;
use pyrewrite::marshal::{Marshal, Value};
use pyrewrite::opcodes::{self, OpTable};
use pyrewrite::pyc::Pyc;
use pyrewrite::verify::{self, Invariant};
use pyrewrite::PyVersion;

fn functions(v: PyVersion) -> Vec<(Marshal, Function)> {
    let mut out = Vec::new();
    for path in support::corpus_pyc_files(v) {
        let m = Pyc::parse(&std::fs::read(&path).unwrap()).unwrap().marshal;
        for (id, _) in m.code_objects() {
            let f = lift::lift(&m, id).expect("lift");
            out.push((m.clone(), f));
        }
    }
    out
}

fn code(t: &OpTable, name: &str) -> Option<u8> {
    t.by_name(name).map(|i| i.code)
}

/// Every instruction with opcode `op`, as (block, index).
fn sites(f: &Function, op: u8) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (b, blk) in f.blocks.iter().enumerate() {
        for (i, x) in blk.instrs.iter().enumerate() {
            if x.op == op {
                out.push((b, i));
            }
        }
    }
    out
}

fn errors(m: &Marshal, g: &Function, inv: Invariant) -> Vec<String> {
    verify::verify_in(g, m)
        .err()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.invariant == inv)
        .map(|e| e.to_string())
        .collect()
}

/// Replaces each `from` (with argument 0, so both have no stack effect
/// difference) by `to` in functions that use `user`, and counts the
/// functions where that is refused with `needle`; the unbroken ones verify.
fn swap_builder(v: PyVersion, from: &str, to: &str, user: &str, needle: &str) -> usize {
    let t = opcodes::table(v).unwrap();
    let (Some(from), Some(to), Some(user)) = (code(t, from), code(t, to), code(t, user)) else {
        return 0;
    };
    let mut refused = 0;
    for (m, f) in functions(v) {
        if sites(&f, user).is_empty() || verify::verify_in(&f, &m).is_err() {
            continue;
        }
        let mut g = f.clone();
        let mut any = false;
        for (b, i) in sites(&f, from) {
            if g.blocks[b].instrs[i].arg == Arg::Int(0) {
                g.blocks[b].instrs[i].op = to;
                any = true;
            }
        }
        if any
            && errors(&m, &g, Invariant::StackKind)
                .iter()
                .any(|e| e.contains(needle))
        {
            refused += 1;
        }
    }
    refused
}

#[test]
fn list_append_and_extend_need_a_list() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        // NB: BUILD_LIST 0 and BUILD_TUPLE 0 both push one value.
        let n = swap_builder(
            v,
            "BUILD_LIST",
            "BUILD_TUPLE",
            "LIST_APPEND",
            "LIST_APPEND needs a list",
        );
        assert!(n > 0, "{v}: no LIST_APPEND on a tuple refused");
        eprintln!("{v}: {n} functions with LIST_APPEND on a tuple refused");
    }
}

#[test]
fn map_add_needs_a_dict() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let n = swap_builder(
            v,
            "BUILD_MAP",
            "BUILD_LIST",
            "MAP_ADD",
            "MAP_ADD needs a dict",
        );
        assert!(n > 0, "{v}: no MAP_ADD on a list refused");
    }
}

#[test]
fn match_keys_needs_a_tuple_of_keys() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        let (Some(keys), Some(load)) = (code(t, "MATCH_KEYS"), code(t, "LOAD_CONST")) else {
            continue;
        };
        let mut refused = 0;
        for (m, f) in functions(v) {
            let Some(none) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::None))
            else {
                continue;
            };
            for (b, i) in sites(&f, keys) {
                let Some(prev) = i.checked_sub(1) else {
                    continue;
                };
                if f.blocks[b].instrs[prev].op != load {
                    continue;
                }
                let mut g = f.clone();
                g.blocks[b].instrs[prev].arg = Arg::Const(ConstIdx(none as u32));
                let errs = errors(&m, &g, Invariant::StackKind);
                assert!(
                    errs.iter().any(|e| e.contains("MATCH_KEYS needs a tuple")),
                    "{v}: {errs:?}"
                );
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "{v}: no MATCH_KEYS after a constant in the corpus"
        );
    }
}

#[test]
fn a_closure_must_be_a_tuple() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (tuple, list) = (
            code(t, "BUILD_TUPLE").unwrap(),
            code(t, "BUILD_LIST").unwrap(),
        );
        let closure = code(t, "LOAD_CLOSURE");
        let mut refused = 0;
        for (m, f) in functions(v) {
            // The BUILD_TUPLE right after the LOAD_CLOSUREs (3.13+: LOAD_FAST).
            for (b, i) in sites(&f, tuple) {
                let Some(prev) = i.checked_sub(1) else {
                    continue;
                };
                let p = f.blocks[b].instrs[prev].op;
                let is_cell = Some(p) == closure
                    || matches!(f.blocks[b].instrs[prev].arg, Arg::Local(_) | Arg::Free(_))
                        && v.at_least(13);
                if !is_cell || verify::verify_in(&f, &m).is_err() {
                    continue;
                }
                let mut g = f.clone();
                g.blocks[b].instrs[i].op = list;
                let errs = errors(&m, &g, Invariant::StackKind);
                if errs.iter().any(|e| e.contains("needs a tuple")) {
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{v}: no closure built as a list refused");
        eprintln!("{v}: {refused} closures built as lists refused");
    }
}

#[test]
fn kw_names_needs_a_tuple_of_strings() {
    for v in [PyVersion::new(3, 11), PyVersion::new(3, 12)] {
        let t = opcodes::table(v).unwrap();
        let kw = code(t, "KW_NAMES").unwrap();
        let mut refused = 0;
        for (m, f) in functions(v) {
            let Some(none) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::None))
            else {
                continue;
            };
            for (b, i) in sites(&f, kw) {
                let mut g = f.clone();
                g.blocks[b].instrs[i].arg = Arg::Const(ConstIdx(none as u32));
                let errs = errors(&m, &g, Invariant::ArgRange);
                assert!(
                    errs.iter().any(|e| e.contains("not a tuple of strings")),
                    "{v}: {errs:?}"
                );
                refused += 1;
            }
        }
        assert!(refused > 0, "{v}: no KW_NAMES in the corpus");
    }
}
