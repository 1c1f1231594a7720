//! Container types the interpreter casts to unchecked (src/verify/shapes.rs
//! and KW_NAMES in src/verify/consts.rs), each broken on every version it
//! applies to by replacing the instruction that builds the container with
//! one of the same stack effect that builds another; the unbroken function
//! verifies. (That every function CPython compiled still verifies is
//! tests/verify.rs::cpython_code_verifies_clean.)

mod support;

use support::edit::{assert_refused, code, errors, ins, intrinsic, with_prefix};

use pyrewrite::ir::{Arg, ConstIdx, Function};
use pyrewrite::marshal::{Marshal, Value};
use pyrewrite::opcodes;
use pyrewrite::verify::{self, Invariant};
use pyrewrite::PyVersion;

fn functions(v: PyVersion) -> Vec<(Marshal, Function)> {
    support::corpus_functions(v)
}

/// Every instruction with opcode `op`, as (block, index).
fn sites(f: &Function, op: pyrewrite::opcodes::Opcode) -> Vec<(usize, usize)> {
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
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(10)) {
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
                assert_refused(
                    &m,
                    &g,
                    Invariant::StackKind,
                    "MATCH_KEYS needs a tuple",
                    &v.to_string(),
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
                assert_refused(
                    &m,
                    &g,
                    Invariant::ArgRange,
                    "not a tuple of strings",
                    &v.to_string(),
                );
                refused += 1;
            }
        }
        assert!(refused > 0, "{v}: no KW_NAMES in the corpus");
    }
}

/// A plain function of `v` with a constant that verifies.
fn plain(v: PyVersion) -> (Marshal, Function) {
    functions(v)
        .into_iter()
        .find(|(m, f)| {
            !f.consts.is_empty() && f.flags & 0x1A0 == 0 && verify::verify_in(f, m).is_ok()
        })
        .unwrap()
}

#[test]
fn closure_items_must_be_cells() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| !v.at_least(13)) {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (closure, load) = (
            code(t, "LOAD_CLOSURE").unwrap(),
            code(t, "LOAD_CONST").unwrap(),
        );
        let mut refused = 0;
        for (m, f) in functions(v) {
            let Some(&(b, i)) = sites(&f, closure).first() else {
                continue;
            };
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            let mut g = f.clone();
            g.blocks[b].instrs[i] = pyrewrite::ir::Instr::new(load, Arg::Const(ConstIdx(0)));
            assert_refused(
                &m,
                &g,
                Invariant::StackKind,
                "a tuple of cells",
                &v.to_string(),
            );
            refused += 1;
        }
        assert!(refused > 0, "{v}: no closure in the corpus");
    }
}

#[test]
fn pop_except_restores_only_the_saved_state() {
    for v in [PyVersion::new(3, 9), PyVersion::new(3, 10)] {
        let t = opcodes::table(v).unwrap();
        let (m, f) = plain(v);
        let c = Arg::Const(ConstIdx(0));
        let g = with_prefix(
            &f,
            t,
            vec![
                ins(t, "LOAD_CONST", c),
                ins(t, "LOAD_CONST", c),
                ins(t, "LOAD_CONST", c),
                ins(t, "POP_EXCEPT", Arg::None),
            ],
        );
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "saved exception state",
            &v.to_string(),
        );
    }
}

#[test]
fn intrinsics_get_the_container_they_cast_to() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (m, f) = plain(v);
        let c = Arg::Const(ConstIdx(0));
        let idx = |list: &[&str], name: &str| intrinsic(list, name).map(Arg::Int);
        // PREP_RERAISE_STAR (3.11 opcode, 3.12+ intrinsic) wants a list of exceptions.
        let prep = if v == PyVersion::new(3, 11) {
            Some(ins(t, "PREP_RERAISE_STAR", Arg::None))
        } else {
            idx(t.intrinsic2, "INTRINSIC_PREP_RERAISE_STAR").map(|a| ins(t, "CALL_INTRINSIC_2", a))
        };
        if let Some(p) = prep {
            let bad = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "LOAD_CONST", c),
                    ins(t, "LOAD_CONST", c),
                    p,
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert_refused(
                &m,
                &bad,
                Invariant::StackKind,
                "needs a list",
                &v.to_string(),
            );
            let good = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "LOAD_CONST", c),
                    ins(t, "BUILD_LIST", Arg::Int(0)),
                    p,
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert_eq!(
                errors(&m, &good, Invariant::StackKind),
                Vec::<String>::new(),
                "{v}: a list is fine"
            );
        }
        if let Some(a) = idx(t.intrinsic1, "INTRINSIC_LIST_TO_TUPLE") {
            let bad = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "LOAD_CONST", c),
                    ins(t, "CALL_INTRINSIC_1", a),
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert!(
                !errors(&m, &bad, Invariant::StackKind).is_empty(),
                "{v}: LIST_TO_TUPLE of a constant"
            );
        }
    }
}

/// 3.8's `finally` state: BEGIN_FINALLY's six slots (one NULL at run
/// time) and a handler's saved exception state are no objects; POP_FINALLY
/// with a nonzero argument keeps an object over them, and takes 0 or 1.
#[test]
fn finally_state_of_3_8_is_no_object() {
    let v = PyVersion::new(3, 8);
    if support::corpus_pyc_files(v).is_empty() {
        return;
    }
    let t = opcodes::table(v).unwrap();
    let (m, f) = plain(v);
    let c = Arg::Const(ConstIdx(0));
    let begin = || ins(t, "BEGIN_FINALLY", Arg::None);
    let pop = || ins(t, "POP_TOP", Arg::None);
    // NB: BEGIN_FINALLY's slots are NULL of their own kind (not the saved
    // exception state, which WITH_CLEANUP_START must tell apart).
    let bad = with_prefix(&f, t, vec![begin(), pop()]);
    assert_refused(&m, &bad, Invariant::StackKind, "holds NULL", "");
    // NB: POP_FINALLY 1 keeps the top: here one of BEGIN_FINALLY's slots.
    let bad = with_prefix(
        &f,
        t,
        vec![
            ins(t, "LOAD_CONST", c),
            begin(),
            ins(t, "POP_FINALLY", Arg::Int(1)),
            pop(),
        ],
    );
    assert_refused(&m, &bad, Invariant::StackKind, "the value it keeps", "");
    let good = with_prefix(
        &f,
        t,
        vec![
            begin(),
            ins(t, "LOAD_CONST", c),
            ins(t, "POP_FINALLY", Arg::Int(1)),
            pop(),
        ],
    );
    assert_eq!(
        errors(&m, &good, Invariant::StackKind),
        Vec::<String>::new()
    );
    let good = with_prefix(&f, t, vec![begin(), ins(t, "POP_FINALLY", Arg::Int(0))]);
    assert_eq!(
        errors(&m, &good, Invariant::StackKind),
        Vec::<String>::new()
    );
    let odd = with_prefix(
        &f,
        t,
        vec![
            begin(),
            ins(t, "LOAD_CONST", c),
            ins(t, "POP_FINALLY", Arg::Int(57)),
            pop(),
        ],
    );
    assert!(
        !errors(&m, &odd, Invariant::ArgRange).is_empty(),
        "POP_FINALLY 57"
    );
}

/// A closure has one cell per free variable of the code it closes over
/// (the frame copies them in, LOAD_DEREF reads them unchecked).
#[test]
fn a_closure_has_one_cell_per_free_variable() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (tuple, load_closure) = (code(t, "BUILD_TUPLE").unwrap(), code(t, "LOAD_CLOSURE"));
        let mut refused = 0;
        for (m, f) in functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, tuple) {
                let Some(prev) = i.checked_sub(1) else {
                    continue;
                };
                let p = &f.blocks[b].instrs[prev];
                let cell = Some(p.op) == load_closure
                    || (v.at_least(13) && matches!(p.arg, Arg::Local(_)));
                let Arg::Int(n) = f.blocks[b].instrs[i].arg else {
                    continue;
                };
                if !cell || n == 0 {
                    continue;
                }
                // One cell short: duplicate the last one and build n + 1.
                let mut g = f.clone();
                let dup = g.blocks[b].instrs[prev].clone();
                g.blocks[b].instrs.insert(i, dup);
                g.blocks[b].instrs[i + 1].arg = Arg::Int(n + 1);
                g.stacksize += 1;
                let errs = errors(&m, &g, Invariant::ArgRange);
                if errs
                    .iter()
                    .any(|e| e.contains("free variable(s), so its closure must be"))
                {
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{v}: no closure with a cell too many refused");
    }
}

#[test]
fn load_classderef_only_where_the_frame_has_locals() {
    for v in PyVersion::SUPPORTED {
        let t = opcodes::table(v).unwrap();
        let Some(op) = code(t, "LOAD_CLASSDEREF") else {
            continue;
        };
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let (m, f) = functions(v)
            .into_iter()
            .find(|(m, f)| {
                f.flags & 3 == 3
                    && f.flags & 0x1A0 == 0
                    && f.instrs().any(|i| matches!(i.arg, Arg::Free(_)))
                    && verify::verify_in(f, m).is_ok()
            })
            .expect("a function with a cell or free variable");
        let free = f
            .instrs()
            .find_map(|i| {
                if let Arg::Free(x) = i.arg {
                    Some(x)
                } else {
                    None
                }
            })
            .unwrap();
        let g = with_prefix(
            &f,
            t,
            vec![
                pyrewrite::ir::Instr::new(op, Arg::Free(free)),
                ins(t, "POP_TOP", Arg::None),
            ],
        );
        assert_refused(&m, &g, Invariant::StackKind, "locals dict", &v.to_string());
    }
}

#[test]
fn unpack_with_call_reads_the_function_below() {
    let v = PyVersion::new(3, 8);
    if support::corpus_pyc_files(v).is_empty() {
        return;
    }
    let t = opcodes::table(v).unwrap();
    let (m, f) = plain(v);
    let c = Arg::Const(ConstIdx(0));
    // One item and nothing under it: the error path would read below the stack.
    let g = with_prefix(
        &f,
        t,
        vec![
            ins(t, "BUILD_TUPLE", Arg::Int(0)),
            ins(t, "BUILD_TUPLE_UNPACK_WITH_CALL", Arg::Int(1)),
            ins(t, "POP_TOP", Arg::None),
        ],
    );
    assert!(
        !errors(&m, &g, Invariant::Stack).is_empty(),
        "read below the stack"
    );
    let g = with_prefix(
        &f,
        t,
        vec![
            ins(t, "LOAD_CONST", c),
            ins(t, "BUILD_TUPLE", Arg::Int(0)),
            ins(t, "BUILD_TUPLE_UNPACK_WITH_CALL", Arg::Int(1)),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
        ],
    );
    assert_eq!(
        errors(&m, &g, Invariant::Stack),
        Vec::<String>::new(),
        "with the function under it"
    );
}

#[test]
fn list_to_tuple_needs_a_list_and_rot_n_counts_from_one() {
    for v in PyVersion::SUPPORTED {
        let t = opcodes::table(v).unwrap();
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let (m, f) = plain(v);
        let c = Arg::Const(ConstIdx(0));
        if code(t, "LIST_TO_TUPLE").is_some() {
            let g = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "LOAD_CONST", c),
                    ins(t, "LIST_TO_TUPLE", Arg::None),
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert!(
                errors(&m, &g, Invariant::StackKind)
                    .iter()
                    .any(|e| e.contains("needs a list")),
                "{v}"
            );
            let g = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "BUILD_LIST", Arg::Int(0)),
                    ins(t, "LIST_TO_TUPLE", Arg::None),
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert_eq!(
                errors(&m, &g, Invariant::StackKind),
                Vec::<String>::new(),
                "{v}"
            );
        }
        if code(t, "ROT_N").is_some() {
            let g = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "LOAD_CONST", c),
                    ins(t, "ROT_N", Arg::Int(0)),
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            assert!(
                !errors(&m, &g, Invariant::ArgRange).is_empty(),
                "{v}: ROT_N 0"
            );
        }
    }
}

/// A comprehension (or generator expression) function is called with the
/// iterator GET_ITER made: its FOR_ITER advances `.0` unchecked.
#[test]
fn a_comprehension_gets_an_iterator() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (get_iter, nop) = (code(t, "GET_ITER").unwrap(), code(t, "NOP").unwrap());
        let mut refused = 0;
        for (m, f) in functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, get_iter) {
                let mut g = f.clone();
                g.blocks[b].instrs[i].op = nop;
                if errors(&m, &g, Invariant::StackKind)
                    .iter()
                    .any(|e| e.contains("comprehension function"))
                {
                    refused += 1;
                }
            }
        }
        assert!(
            refused > 0,
            "{v}: no comprehension called without its iterator refused"
        );
        eprintln!("{v}: {refused} comprehension calls without GET_ITER refused");
    }
}

/// 3.8-3.10 CALL_FUNCTION_EX calls what lies under its arguments: never a
/// method load's NULL (the mutant swapped CALL_METHOD for it).
#[test]
fn call_function_ex_calls_an_object() {
    for v in [
        PyVersion::new(3, 8),
        PyVersion::new(3, 9),
        PyVersion::new(3, 10),
    ] {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (m, f) = functions(v)
            .into_iter()
            .find(|(m, f)| {
                !f.consts.is_empty()
                    && !f.names.is_empty()
                    && f.flags & 0x1A0 == 0
                    && verify::verify_in(f, m).is_ok()
            })
            .unwrap();
        let c = Arg::Const(ConstIdx(0));
        let name = Arg::Name {
            index: pyrewrite::ir::NameIdx(0),
            flags: 0,
        };
        let call = |flags| {
            vec![
                ins(t, "LOAD_CONST", c),
                ins(t, "LOAD_METHOD", name),
                ins(t, "BUILD_TUPLE", Arg::Int(0)),
                ins(t, "CALL_FUNCTION_EX", Arg::Int(flags)),
                ins(t, "POP_TOP", Arg::None),
            ]
        };
        let bad = call(1);
        let errs = errors(&m, &with_prefix(&f, t, bad), Invariant::StackKind);
        assert!(
            errs.iter().any(|e| e.contains("CALL_FUNCTION_EX")),
            "{v}: {errs:?}"
        );
    }
}

/// A coroutine comprehension whose outermost loop is a plain `for`
/// (`[await x for x in y]` in an `async def`, 3.8-3.11, where list
/// comprehensions are functions) is called with GET_ITER's iterator too:
/// its own FOR_ITER trusts `.0` like any comprehension's (seed 5150 left
/// this open: the caller-side rule skipped code with coroutine flags).
#[test]
fn a_coroutine_comprehension_with_a_plain_outer_loop_gets_an_iterator() {
    const CO_COROUTINE: u32 = 0x80;
    for v in (8..=11).map(|m| PyVersion::new(3, m)) {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let (get_iter, nop) = (code(t, "GET_ITER").unwrap(), code(t, "NOP").unwrap());
        let mut refused = 0;
        for (m, f) in functions(v) {
            // The coroutine comprehension constants of `f`.
            let coro: Vec<u32> = (0..f.consts.len() as u32)
                .filter(|&i| match m.get(f.consts[ConstIdx(i)]) {
                    Value::Code(c) => {
                        c.flags & CO_COROUTINE != 0
                            && m.items(c.varnames)
                                .first()
                                .and_then(|&n| m.str(n))
                                .as_deref()
                                == Some(".0")
                    }
                    _ => false,
                })
                .collect();
            if coro.is_empty() || verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, get_iter) {
                // NB: only the GET_ITER that feeds such a comprehension: the
                // code constant is the latest one loaded before it.
                let loaded = f.blocks[b].instrs[..i]
                    .iter()
                    .rev()
                    .find_map(|x| match x.arg {
                        Arg::Const(ConstIdx(c))
                            if matches!(m.get(f.consts[ConstIdx(c)]), Value::Code(_)) =>
                        {
                            Some(c)
                        }
                        _ => None,
                    });
                if !loaded.is_some_and(|c| coro.contains(&c)) {
                    continue;
                }
                let mut g = f.clone();
                g.blocks[b].instrs[i].op = nop;
                assert_refused(
                    &m,
                    &g,
                    Invariant::StackKind,
                    "comprehension function",
                    &format!("{v}"),
                );
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "{v}: no coroutine comprehension call found in the corpus"
        );
    }
}

/// 3.10+: annotations are a flat tuple of (name, value) pairs, which
/// funcobject.c walks two items at a time up to its size: one more item
/// on the tuple that feeds `MAKE_FUNCTION`'s (3.13+:
/// `SET_FUNCTION_ATTRIBUTE`'s) flag 4 is refused. 3.8/3.9 build a dict
/// there, and no rule applies.
#[test]
fn annotations_are_pairs_from_3_10() {
    for v in PyVersion::SUPPORTED {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let tuple = code(t, "BUILD_TUPLE").unwrap();
        let mut refused = 0;
        for (m, f) in functions(v) {
            let Some(none) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::None))
            else {
                continue;
            };
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, tuple) {
                let Arg::Int(n) = f.blocks[b].instrs[i].arg else {
                    continue;
                };
                if n == 0 || n % 2 != 0 {
                    continue;
                }
                // One more item (None) on the tuple: same stack effect, odd length.
                let mut g = f.clone();
                g.blocks[b].instrs[i].arg = Arg::Int(n + 1);
                g.blocks[b]
                    .instrs
                    .insert(i, ins(t, "LOAD_CONST", Arg::Const(ConstIdx(none as u32))));
                g.stacksize += 1;
                let errs = errors(&m, &g, Invariant::StackKind);
                if errs
                    .iter()
                    .any(|e| e.contains("needs a tuple of even length or a dict"))
                {
                    refused += 1;
                }
            }
        }
        eprintln!("{v}: {refused} odd annotation tuples refused");
        if v.at_least(10) && !v.at_least(14) {
            assert!(refused > 0, "{v}: no odd annotation tuple refused");
        } else if !v.at_least(10) {
            assert_eq!(refused, 0, "{v}: annotations are a dict here");
        }
    }
}

/// 3.12+ generic classes keep their type parameters in the hidden
/// `.type_params` cell, which `INTRINSIC_SUBSCRIPT_GENERIC` reads as a
/// tuple unchecked: a list stored there, another cell read instead, or a
/// plain object handed to the intrinsic is refused (seed 31415 on 3.12:
/// INTRINSIC_TYPEVAR made SUBSCRIPT_GENERIC over the name, SIGSEGV).
#[test]
fn type_params_are_a_tuple() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(12)) {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let Some(Arg::Int(subscript)) =
            intrinsic(t.intrinsic1, "INTRINSIC_SUBSCRIPT_GENERIC").map(Arg::Int)
        else {
            panic!("{v}: no INTRINSIC_SUBSCRIPT_GENERIC");
        };
        let (call, tuple, list, store, load) = (
            code(t, "CALL_INTRINSIC_1").unwrap(),
            code(t, "BUILD_TUPLE").unwrap(),
            code(t, "BUILD_LIST").unwrap(),
            code(t, "STORE_DEREF").unwrap(),
            code(t, "LOAD_DEREF").unwrap(),
        );
        let (mut generic, mut as_list, mut other_cell, mut on_name) = (0, 0, 0, 0);
        for (m, f) in functions(v) {
            let slot = |a: Arg| match a {
                Arg::Free(i) => Some(i.0),
                Arg::Local(i) => Some(i.0),
                _ => None,
            };
            let name = |a: Arg| {
                slot(a)
                    .and_then(|s| f.localsplus.iter().nth(s as usize).copied())
                    .and_then(|n| m.str(n))
            };
            let uses = sites(&f, call)
                .into_iter()
                .filter(|&(b, i)| f.blocks[b].instrs[i].arg == Arg::Int(subscript))
                .collect::<Vec<_>>();
            if uses.is_empty() || verify::verify_in(&f, &m).is_err() {
                continue;
            }
            generic += 1;
            // The BUILD_TUPLE stored into `.type_params`, built as a list.
            for (b, i) in sites(&f, tuple) {
                let next = f.blocks[b].instrs.get(i + 1);
                if next.is_some_and(|x| {
                    x.op == store && name(x.arg).as_deref() == Some(".type_params")
                }) {
                    let mut g = f.clone();
                    g.blocks[b].instrs[i].op = list;
                    assert_refused(
                        &m,
                        &g,
                        Invariant::StackKind,
                        "into `.type_params`",
                        &v.to_string(),
                    );
                    as_list += 1;
                }
            }
            // The intrinsic's operand read from another cell.
            for &(b, i) in &uses {
                let prev = &f.blocks[b].instrs[i - 1];
                if prev.op != load || name(prev.arg).as_deref() != Some(".type_params") {
                    continue;
                }
                let other = (0..f.localsplus.len() as u32).find(|&s| {
                    Some(s) != slot(prev.arg)
                        && f.localspluskinds
                            .get(s as usize)
                            .is_some_and(|k| k & 0x40 != 0)
                });
                if let Some(s) = other {
                    let mut g = f.clone();
                    g.blocks[b].instrs[i - 1].arg = match prev.arg {
                        Arg::Free(_) => Arg::Free(pyrewrite::ir::FreeIdx(s)),
                        _ => Arg::Local(pyrewrite::ir::LocalIdx(s)),
                    };
                    assert_refused(
                        &m,
                        &g,
                        Invariant::StackKind,
                        "needs a tuple",
                        &v.to_string(),
                    );
                    other_cell += 1;
                }
            }
        }
        // The seed-31415 mutant: a TYPEVAR intrinsic (over the name) made SUBSCRIPT_GENERIC.
        let typevar = intrinsic(t.intrinsic1, "INTRINSIC_TYPEVAR").unwrap();
        for (m, f) in functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, call) {
                if f.blocks[b].instrs[i].arg == Arg::Int(typevar) {
                    let mut g = f.clone();
                    g.blocks[b].instrs[i].arg = Arg::Int(subscript);
                    assert_refused(
                        &m,
                        &g,
                        Invariant::StackKind,
                        "needs a tuple",
                        &v.to_string(),
                    );
                    on_name += 1;
                }
            }
        }
        eprintln!("{v}: {generic} generic class scopes; refused {as_list} list stores, {other_cell} other cells, {on_name} names");
        assert!(
            generic > 0 && as_list > 0 && other_cell > 0 && on_name > 0,
            "{v}"
        );
    }
}

/// 3.12+ generic functions with defaults: the caller passes the defaults
/// tuple to the type-parameter scope's function as its `.defaults`
/// parameter, which `MAKE_FUNCTION` (3.13+: `SET_FUNCTION_ATTRIBUTE 1`)
/// stores unchecked and calls read with `PyTuple_GET_SIZE`. A non-tuple
/// passed by the caller, or anything but `.defaults` stored as defaults,
/// is refused; the compiled code verifies. Compiled by each 3.12+
/// interpreter found (the corpus has no generic function with defaults).
#[test]
fn generic_defaults_are_a_tuple() {
    let src = "def f[T](x=1, y=2):\n    return (x, y)\n";
    let mut checked = 0;
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(12)) {
        let Some(py) = support::oracle_for(v) else {
            eprintln!("{v}: no interpreter, skipped");
            continue;
        };
        let script = format!(
            "import marshal, sys; sys.stdout.write(marshal.dumps(compile({src:?}, 's', 'exec')).hex())"
        );
        let out = py.run_code(&script, &[] as &[&str]).unwrap();
        assert!(
            out.status.success(),
            "{v}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let hex = String::from_utf8(out.stdout).unwrap();
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let m = pyrewrite::marshal::read::read(&bytes, v).unwrap();
        let t = opcodes::table(v).unwrap();
        let funcs: Vec<Function> = m
            .code_objects()
            .into_iter()
            .map(|(id, _)| pyrewrite::lift::lift(&m, id).unwrap())
            .collect();
        for f in &funcs {
            assert_eq!(
                errors(&m, f, Invariant::StackKind),
                Vec::<String>::new(),
                "{v}: compiled code"
            );
        }
        let first_name = |f: &Function| {
            f.localsplus
                .iter()
                .next()
                .and_then(|&n| m.str(n))
                .map(|s| s.into_owned())
        };
        let load_const = code(t, "LOAD_CONST").unwrap();
        // Caller: the defaults tuple constant replaced by an int.
        let caller = funcs
            .iter()
            .find(|f| first_name(f).as_deref() != Some(".defaults") && f.argcount == 0)
            .unwrap();
        let int = caller
            .consts
            .iter()
            .position(|&c| matches!(m.get(c), Value::Int(_)))
            .or_else(|| {
                caller
                    .consts
                    .iter()
                    .position(|&c| matches!(m.get(c), Value::None))
            })
            .unwrap();
        let (b, i) = sites(caller, load_const)
            .into_iter()
            .find(|&(b, i)| {
                matches!(caller.blocks[b].instrs[i].arg, Arg::Const(c)
                    if matches!(m.get(caller.consts[c]), Value::Tuple(items) if items.len() == 2))
            })
            .expect("the defaults tuple");
        let mut g = caller.clone();
        g.blocks[b].instrs[i].arg = Arg::Const(ConstIdx(int as u32));
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "without a tuple of defaults",
            &v.to_string(),
        );
        // Callee: the `.defaults` load replaced by a constant string ('T').
        let callee = funcs
            .iter()
            .find(|f| first_name(f).as_deref() == Some(".defaults"))
            .unwrap();
        let s = callee
            .consts
            .iter()
            .position(|&c| matches!(m.get(c), Value::Str(_)))
            .expect("a str constant");
        let (b, i) = callee
            .blocks
            .iter()
            .enumerate()
            .flat_map(|(b, blk)| blk.instrs.iter().enumerate().map(move |(i, x)| (b, i, x)))
            .find(|(_, _, x)| x.arg == Arg::Local(pyrewrite::ir::LocalIdx(0)))
            .map(|(b, i, _)| (b, i))
            .expect("the `.defaults` load");
        let mut g = callee.clone();
        g.blocks[b].instrs[i] = ins(t, "LOAD_CONST", Arg::Const(ConstIdx(s as u32)));
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "needs a tuple",
            &v.to_string(),
        );
        checked += 1;
    }
    eprintln!("{checked} versions checked");
}

/// 3.11+ `except*`: the list the handler collects for `PREP_RERAISE_STAR`
/// (3.12+: `CALL_INTRINSIC_2 INTRINSIC_PREP_RERAISE_STAR`) holds only
/// exceptions or None, which it reads as exceptions without a check: an
/// item appended to it that is anything else (here a constant in place of
/// the exception a `LIST_APPEND` takes) is refused (seed 27182 on 3.12: a
/// `STORE_NAME` made `BUILD_SLICE` appended a slice, SIGSEGV). Lists built
/// by comprehensions inside the handler are no such list and stay
/// accepted (the corpus verifies).
#[test]
fn except_star_collects_only_exceptions() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(11)) {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let append = code(t, "LIST_APPEND").unwrap();
        let prep_op = code(t, "PREP_RERAISE_STAR");
        let prep_intrinsic = intrinsic(t.intrinsic2, "INTRINSIC_PREP_RERAISE_STAR").map(Arg::Int);
        let call2 = code(t, "CALL_INTRINSIC_2");
        let mut refused = 0;
        for (m, f) in functions(v) {
            let has_prep = f.instrs().any(|x| {
                Some(x.op) == prep_op || (Some(x.op) == call2 && Some(x.arg) == prep_intrinsic)
            });
            if !has_prep || verify::verify_in(&f, &m).is_err() {
                continue;
            }
            let Some(c) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::Str(_) | Value::Int(_)))
            else {
                continue;
            };
            for (b, i) in sites(&f, append) {
                let mut g = f.clone();
                let seq = [
                    ins(t, "POP_TOP", Arg::None),
                    ins(t, "LOAD_CONST", Arg::Const(ConstIdx(c as u32))),
                ];
                g.blocks[b].instrs.splice(i..i, seq);
                if errors(&m, &g, Invariant::StackKind)
                    .iter()
                    .any(|e| e.contains("needs a list of exceptions"))
                {
                    refused += 1;
                }
            }
        }
        eprintln!("{v}: {refused} non-exceptions appended to an except* list refused");
        assert!(refused > 0, "{v}: none refused");
    }
}

/// 3.12+ `type X[T] = ...`: `INTRINSIC_TYPEALIAS` reads items 0-2 of its
/// tuple (name, type parameters, value function) with only a debug assert
/// on its size: the compiled `BUILD_TUPLE 3` rebuilt as two nested pairs
/// (the same stack effect) is refused (seed 16180 on 3.13: a one-item
/// tuple there, SIGSEGV).
#[test]
fn a_type_alias_gets_three_items() {
    let mut refused = 0;
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(12)) {
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let t = opcodes::table(v).unwrap();
        let alias = intrinsic(t.intrinsic1, "INTRINSIC_TYPEALIAS")
            .map(Arg::Int)
            .unwrap();
        let (call, tuple) = (
            code(t, "CALL_INTRINSIC_1").unwrap(),
            code(t, "BUILD_TUPLE").unwrap(),
        );
        let mut here = 0;
        for (m, f) in functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, i) in sites(&f, call) {
                let blk = &f.blocks[b];
                if blk.instrs[i].arg != alias || i == 0 {
                    continue;
                }
                let prev = &blk.instrs[i - 1];
                if prev.op != tuple || prev.arg != Arg::Int(3) {
                    continue;
                }
                let mut g = f.clone();
                g.blocks[b].instrs[i - 1].arg = Arg::Int(2);
                g.blocks[b]
                    .instrs
                    .insert(i, ins(t, "BUILD_TUPLE", Arg::Int(2)));
                assert_refused(
                    &m,
                    &g,
                    Invariant::StackKind,
                    "a tuple of three",
                    &v.to_string(),
                );
                here += 1;
            }
        }
        assert!(here > 0, "{v}: no type alias in the corpus");
        refused += here;
    }
    eprintln!("{refused} type aliases refused");
}
