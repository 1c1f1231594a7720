//! The verifier's stack-kind rules (src/verify/kinds.rs), each broken on
//! every version it applies to, next to an unbroken control that verifies:
//! NULL used as an object, a non-iterator advanced by FOR_ITER, the saved
//! exception state of a 3.9/3.10 handler popped as an object, NULL copied,
//! a NULL callable, and kinds that differ between two paths into a block.
//! (That every function CPython compiled still verifies is
//! tests/verify.rs::cpython_code_verifies_clean.)

mod support;

use pyrewrite::ir::{Arg, Block, ConstIdx, Function, Instr, NameIdx};
use pyrewrite::lift;
use pyrewrite::marshal::Marshal;
use pyrewrite::opcodes::{self, OpTable, Opcode};
use pyrewrite::pyc::Pyc;
use pyrewrite::verify::{self, Invariant};
use pyrewrite::{stackdepth, PyVersion};

/// A corpus function of version `v` for which `pick` says yes, with its arena.
fn corpus_function(
    v: PyVersion,
    pick: &dyn Fn(&Function, &OpTable) -> bool,
) -> Option<(Marshal, Function)> {
    let t = opcodes::table(v)?;
    for path in support::corpus_pyc_files(v) {
        let m = Pyc::parse(&std::fs::read(&path).ok()?).ok()?.marshal;
        for (id, _) in m.code_objects() {
            let f = lift::lift(&m, id).expect("lift");
            if pick(&f, t) {
                return Some((m, f));
            }
        }
    }
    None
}

fn name_is(t: &OpTable, ins: &Instr, name: &str) -> bool {
    t.get(ins.op).is_some_and(|i| i.name == name)
}

/// (block, index) of the first `name` instruction of `f`.
fn first_position(f: &Function, t: &OpTable, name: &str) -> Option<(usize, usize)> {
    f.blocks.iter().enumerate().find_map(|(b, blk)| {
        blk.instrs
            .iter()
            .position(|i| name_is(t, i, name))
            .map(|k| (b, k))
    })
}

/// `name`'s opcode byte in `t`.
fn op(t: &OpTable, name: &str) -> opcodes::Opcode {
    t.by_name(name)
        .unwrap_or_else(|| panic!("{name} in {}", t.version))
        .op
}

fn ins(t: &OpTable, name: &str, arg: Arg) -> Instr {
    Instr::new(op(t, name), arg)
}

/// A simple function (constants, names, no handler in its first block).
fn simple(v: PyVersion) -> (Marshal, Function) {
    corpus_function(v, &|f, t| {
        !f.consts.is_empty()
            && !f.names.is_empty()
            && f.blocks[0].instrs.iter().all(|i| i.handler.is_none())
            && f.blocks
                .last()
                .and_then(|b| b.instrs.last())
                .is_some_and(|i| t.get(i.op).is_some_and(|o| o.facts.terminator))
    })
    .unwrap_or_else(|| panic!("{v}: no simple corpus function"))
}

/// Where the body starts in block 0: after RESUME and the frame set-up.
fn body_index(f: &Function, t: &OpTable) -> usize {
    let prologue = ["RESUME", "COPY_FREE_VARS", "MAKE_CELL", "GEN_START"];
    f.blocks[0]
        .instrs
        .iter()
        .rposition(|i| prologue.iter().any(|n| name_is(t, i, n)))
        .map_or(0, |k| k + 1)
}

/// `f` with `seq` inserted where its body starts, and a co_stacksize to fit.
fn with_prefix(f: &Function, t: &OpTable, seq: Vec<Instr>) -> Function {
    let mut g = f.clone();
    let at = body_index(f, t);
    g.blocks[0].instrs.splice(at..at, seq);
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    g
}

/// The kind errors of `g`, after checking that `f` (unbroken) verifies.
fn kind_errors(v: PyVersion, what: &str, m: &Marshal, f: &Function, g: &Function) -> Vec<String> {
    assert!(
        verify::verify_in(f, m).is_ok(),
        "{v} {what}: the unbroken function does not verify"
    );
    match verify::verify_in(g, m) {
        Ok(()) => Vec::new(),
        Err(errs) => errs
            .iter()
            .filter(|e| e.invariant == Invariant::StackKind)
            .map(|e| e.to_string())
            .collect(),
    }
}

fn expect_rejected(
    v: PyVersion,
    what: &str,
    m: &Marshal,
    f: &Function,
    g: &Function,
    needle: &str,
) {
    let errs = kind_errors(v, what, m, f, g);
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "{v} {what}: expected a stack-kind error with {needle:?}, got {errs:?}"
    );
    eprintln!("{v} {what}: {}", errs[0]);
}

fn expect_accepted(v: PyVersion, what: &str, m: &Marshal, f: &Function, g: &Function) {
    let errs = kind_errors(v, what, m, f, g);
    assert!(
        errs.is_empty(),
        "{v} {what}: expected no stack-kind error, got {errs:?}"
    );
}

/// Pushes a value that may be NULL on top: PUSH_NULL (3.11+), else a
/// method load's NULL-or-method slot brought to the top.
fn maybe_null(t: &OpTable) -> Vec<Instr> {
    if t.by_name("PUSH_NULL").is_some() {
        vec![ins(t, "PUSH_NULL", Arg::None)]
    } else {
        // NB: LOAD_METHOD pushes NULL-or-method, then the object or self.
        vec![
            ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
            ins(
                t,
                "LOAD_METHOD",
                Arg::Name {
                    index: NameIdx(0),
                    flags: 0,
                },
            ),
            ins(t, "POP_TOP", Arg::None),
        ]
    }
}

#[test]
fn null_used_as_an_object_is_rejected() {
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f) = simple(v);
        // GET_ITER uses its operand as an object (PyObject_GetIter).
        let mut seq = maybe_null(t);
        seq.extend([ins(t, "GET_ITER", Arg::None), ins(t, "POP_TOP", Arg::None)]);
        expect_rejected(
            v,
            "NULL to GET_ITER",
            &m,
            &f,
            &with_prefix(&f, t, seq),
            "GET_ITER needs an object 1 deep",
        );
        // Control: the same with an object.
        let seq = vec![
            ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
            ins(t, "GET_ITER", Arg::None),
            ins(t, "POP_TOP", Arg::None),
        ];
        expect_accepted(v, "object to GET_ITER", &m, &f, &with_prefix(&f, t, seq));
    }
}

#[test]
fn copying_null_is_rejected() {
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f) = simple(v);
        let mut seq = maybe_null(t);
        let (copy, pop2) = match t.by_name("COPY") {
            Some(_) => (ins(t, "COPY", Arg::Int(1)), ins(t, "POP_TOP", Arg::None)),
            None => (ins(t, "DUP_TOP", Arg::None), ins(t, "POP_TOP", Arg::None)),
        };
        seq.extend([copy, pop2]);
        // NB: leaves one maybe-NULL value; popped as NULL-tolerant below.
        let g = with_prefix(&f, t, seq);
        expect_rejected(v, "copy of NULL", &m, &f, &g, "copies the value 1 deep");
    }
}

#[test]
fn a_null_callable_is_rejected_and_a_null_self_accepted() {
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(11))
    {
        let t = opcodes::table(v).unwrap();
        let (m, f) = simple(v);
        let call = |n: u32| {
            let mut c = Vec::new();
            if t.by_name("PRECALL").is_some() {
                c.push(ins(t, "PRECALL", Arg::Int(n)));
            }
            c.push(ins(t, "CALL", Arg::Int(n)));
            c.push(ins(t, "POP_TOP", Arg::None));
            c
        };
        let null = || ins(t, "PUSH_NULL", Arg::None);
        let obj = || ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)));
        // NB: 3.11/3.12 put the NULL under the callable, 3.13+ over it
        // (ceval's CALL: `PEEK(oparg + 2)` is NULL-or-method, then callable).
        let (good, bad) = if t.null_after_name {
            (vec![obj(), null()], vec![null(), null()])
        } else {
            (vec![null(), obj()], vec![null(), null()])
        };
        let g = with_prefix(&f, t, good.into_iter().chain(call(0)).collect());
        expect_accepted(v, "NULL self slot", &m, &f, &g);
        let g = with_prefix(&f, t, bad.into_iter().chain(call(0)).collect());
        expect_rejected(v, "NULL callable", &m, &f, &g, "CALL needs an object");
    }
}

#[test]
fn for_iter_on_a_non_iterator_is_rejected() {
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let Some((m, f)) = corpus_function(v, &|f, t| {
            f.blocks
                .iter()
                .flat_map(|b| b.instrs.windows(2))
                .any(|w| name_is(t, &w[0], "GET_ITER") && name_is(t, &w[1], "FOR_ITER"))
                || f.blocks.windows(2).any(|bs| {
                    bs[0]
                        .instrs
                        .last()
                        .is_some_and(|i| name_is(t, i, "GET_ITER"))
                        && bs[1]
                            .instrs
                            .first()
                            .is_some_and(|i| name_is(t, i, "FOR_ITER"))
                })
        }) else {
            panic!("{v}: no corpus function with a for loop");
        };
        // The loop's GET_ITER becomes a NOP: FOR_ITER gets the iterable.
        let mut g = f.clone();
        let (b, k) = first_position(&g, t, "GET_ITER").unwrap();
        g.blocks[b].instrs[k] = Instr {
            op: op(t, "NOP"),
            arg: Arg::None,
            ..g.blocks[b].instrs[k]
        };
        expect_rejected(
            v,
            "FOR_ITER on the iterable",
            &m,
            &f,
            &g,
            "FOR_ITER needs an iterator",
        );
    }
}

#[test]
fn saved_exception_state_popped_as_an_object_is_rejected() {
    // 3.9 and 3.10: a SETUP_FINALLY handler starts with the saved exception
    // (traceback, value, type: the first two may be NULL) under the new one.
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(9) && !v.at_least(11))
    {
        let t = opcodes::table(v).unwrap();
        let setup = op(t, "SETUP_FINALLY");
        let Some((m, f)) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == setup)) else {
            panic!("{v}: no corpus function with a handler");
        };
        let Some(Arg::Jump(target)) = f.instrs().find(|i| i.op == setup).map(|i| i.arg) else {
            unreachable!()
        };
        let hb = f.blocks.iter().position(|b| b.label == target).unwrap();
        let mut g = f.clone();
        // Four POP_TOPs: the new exception's three, then the saved traceback.
        let pops = (0..4).map(|_| ins(t, "POP_TOP", Arg::None));
        g.blocks[hb].instrs.splice(0..0, pops);
        expect_rejected(
            v,
            "saved exception state popped",
            &m,
            &f,
            &g,
            "saved exception state",
        );
    }
}

#[test]
fn kinds_that_differ_between_paths_are_rejected() {
    // block A: a condition; B: a maybe-NULL value, then to D; C: an object;
    // D: GET_ITER takes whichever came. NULL on one path is enough.
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f) = simple(v);
        let jump_if = ["POP_JUMP_IF_FALSE", "POP_JUMP_FORWARD_IF_FALSE"]
            .into_iter()
            .find(|n| t.by_name(n).is_some())
            .unwrap();
        let build = |first: Vec<Instr>| {
            let mut g = f.clone();
            let at = body_index(&f, t);
            let rest: Vec<Instr> = g.blocks[0].instrs.split_off(at);
            let (lc, ld) = (g.new_label(), g.new_label());
            let rest_label = g.new_label();
            g.blocks[0].instrs.extend([
                ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
                ins(t, jump_if, Arg::Jump(lc)),
            ]);
            let mut b = first;
            b.push(ins(t, "JUMP_FORWARD", Arg::Jump(ld)));
            let c = vec![ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)))];
            let d = vec![ins(t, "GET_ITER", Arg::None), ins(t, "POP_TOP", Arg::None)];
            let lb = g.new_label();
            let new = [
                Block {
                    label: lb,
                    instrs: b,
                },
                Block {
                    label: lc,
                    instrs: c,
                },
                Block {
                    label: ld,
                    instrs: d,
                },
                Block {
                    label: rest_label,
                    instrs: rest,
                },
            ];
            g.blocks.splice(1..1, new);
            g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
            g
        };
        expect_accepted(
            v,
            "objects on both paths",
            &m,
            &f,
            &build(vec![ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)))]),
        );
        expect_rejected(
            v,
            "NULL on one path",
            &m,
            &f,
            &build(maybe_null(t)),
            "GET_ITER needs an object 1 deep",
        );
    }
}

/// Every verifier error of `g` (any invariant), after checking that `f`
/// (unbroken) verifies.
fn all_errors(v: PyVersion, what: &str, m: &Marshal, f: &Function, g: &Function) -> Vec<String> {
    assert!(
        verify::verify_in(f, m).is_ok(),
        "{v} {what}: the unbroken function does not verify"
    );
    verify::verify_in(g, m)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn expect_error(v: PyVersion, what: &str, m: &Marshal, f: &Function, g: &Function, needle: &str) {
    let errs = all_errors(v, what, m, f, g);
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "{v} {what}: expected an error with {needle:?}, got {errs:?}"
    );
}

#[test]
fn exception_ops_on_a_non_exception_are_rejected() {
    // 3.11+: PUSH_EXC_INFO, POP_EXCEPT and RERAISE take the unwinder's
    // exception (or PUSH_EXC_INFO's saved one); 3.9/3.10: RERAISE and
    // WITH_EXCEPT_START the unwinder's exception type. A constant is none
    // of these. The unbroken function has a real handler, and verifies.
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(9))
    {
        let t = opcodes::table(v).unwrap();
        let handler_op = if v.at_least(11) {
            "PUSH_EXC_INFO"
        } else {
            "SETUP_FINALLY"
        };
        let (m, f) = corpus_function(v, &|f, t| {
            !f.consts.is_empty()
                && f.blocks
                    .iter()
                    .flat_map(|b| &b.instrs)
                    .any(|i| name_is(t, i, handler_op))
        })
        .unwrap_or_else(|| panic!("{v}: no corpus function with a handler"));
        let konst = || ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)));
        let pop = || ins(t, "POP_TOP", Arg::None);
        let consts = |n: usize| (0..n).map(|_| konst()).collect::<Vec<_>>();
        let cases: Vec<(&str, Vec<Instr>)> = if v.at_least(11) {
            vec![
                (
                    "PUSH_EXC_INFO",
                    vec![konst(), ins(t, "PUSH_EXC_INFO", Arg::None), pop(), pop()],
                ),
                ("POP_EXCEPT", vec![konst(), ins(t, "POP_EXCEPT", Arg::None)]),
                ("RERAISE", vec![konst(), ins(t, "RERAISE", Arg::Int(0))]),
            ]
        } else {
            let mut with = consts(7);
            with.push(ins(t, "WITH_EXCEPT_START", Arg::None));
            with.extend((0..8).map(|_| pop()));
            let mut reraise = consts(3);
            reraise.push(ins(t, "RERAISE", Arg::Int(0)));
            vec![("WITH_EXCEPT_START", with), ("RERAISE", reraise)]
        };
        for (what, seq) in cases {
            let g = with_prefix(&f, t, seq);
            // NB: 3.9/3.10 need the whole triple on top, 3.11+ one exception.
            let want = if v.at_least(11) {
                "an exception"
            } else {
                "the exception triple"
            };
            expect_rejected(v, what, &m, &f, &g, &format!("{what} needs {want}"));
        }
    }
}

#[test]
fn generator_only_operations_outside_a_generator_are_rejected() {
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f) = corpus_function(v, &|f, t| {
            f.flags & 0x3a0 == 0
                && !f.consts.is_empty()
                && f.blocks[0].instrs.iter().all(|i| i.handler.is_none())
                && f.blocks[0]
                    .instrs
                    .iter()
                    .any(|i| name_is(t, i, "RETURN_VALUE"))
        })
        .unwrap_or_else(|| panic!("{v}: no plain corpus function"));
        let konst = || ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)));
        let g = with_prefix(
            &f,
            t,
            vec![
                konst(),
                ins(t, "YIELD_VALUE", Arg::Int(0)),
                ins(t, "POP_TOP", Arg::None),
            ],
        );
        expect_rejected(
            v,
            "YIELD_VALUE",
            &m,
            &f,
            &g,
            "runs only in a generator or coroutine frame",
        );
        // The async generator wrapper: an opcode in 3.11, an intrinsic from 3.12.
        let wrap = if t.by_name("ASYNC_GEN_WRAP").is_some() {
            Some(ins(t, "ASYNC_GEN_WRAP", Arg::None))
        } else {
            t.intrinsic1
                .iter()
                .position(|n| *n == "INTRINSIC_ASYNC_GEN_WRAP")
                .map(|i| ins(t, "CALL_INTRINSIC_1", Arg::Int(i as u32)))
        };
        if let Some(w) = wrap {
            let g = with_prefix(&f, t, vec![konst(), w, ins(t, "POP_TOP", Arg::None)]);
            expect_rejected(
                v,
                "async generator wrapper",
                &m,
                &f,
                &g,
                "wraps a value for an async generator's yield",
            );
        }
        // 3.11+: RETURN_GENERATOR only in the prologue.
        if t.by_name("RETURN_GENERATOR").is_some() {
            let g = with_prefix(
                &f,
                t,
                vec![
                    ins(t, "RETURN_GENERATOR", Arg::None),
                    ins(t, "POP_TOP", Arg::None),
                ],
            );
            expect_rejected(
                v,
                "RETURN_GENERATOR after RESUME",
                &m,
                &f,
                &g,
                "stands only in the prologue",
            );
        }
    }
}

#[test]
fn convert_value_outside_its_table_is_rejected() {
    // 3.13+: CONVERT_VALUE indexes ceval's conversion functions (1-3) unchecked.
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        if t.by_name("CONVERT_VALUE").is_none() {
            continue;
        }
        let (m, f) = simple(v);
        let seq = |arg| {
            vec![
                ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
                ins(t, "CONVERT_VALUE", Arg::Int(arg)),
                ins(t, "POP_TOP", Arg::None),
            ]
        };
        for bad in [0, 4, 140] {
            expect_error(
                v,
                "CONVERT_VALUE",
                &m,
                &f,
                &with_prefix(&f, t, seq(bad)),
                &format!("CONVERT_VALUE {bad}: the conversion is 1"),
            );
        }
        for good in [1, 2, 3] {
            assert!(
                all_errors(v, "CONVERT_VALUE", &m, &f, &with_prefix(&f, t, seq(good))).is_empty(),
                "{v}: CONVERT_VALUE {good} rejected"
            );
        }
    }
}

#[test]
fn an_unpack_with_nothing_to_unpack_is_rejected() {
    // UNPACK_EX 1 has a net effect of +1, yet pops its sequence first.
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f) = simple(v);
        let seq = vec![
            ins(t, "UNPACK_EX", Arg::Int(1)),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
        ];
        let g = with_prefix(&f, t, seq);
        expect_error(v, "UNPACK_EX on an empty stack", &m, &f, &g, "UNPACK_EX");
        let mut ok = vec![ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0)))];
        ok.extend([
            ins(t, "UNPACK_EX", Arg::Int(1)),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
        ]);
        let errs = all_errors(v, "UNPACK_EX on a value", &m, &f, &with_prefix(&f, t, ok));
        assert!(
            errs.iter().all(|e| !e.contains("UNPACK_EX")),
            "{v}: {errs:?}"
        );
    }
}

#[test]
fn a_finally_state_taken_by_anything_but_end_finally_is_rejected() {
    // 3.8 only: the one version with CALL_FINALLY.
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let call_finally = op(t, "CALL_FINALLY");
    let (m, f) = corpus_function(v, &|f, _| {
        f.instrs().any(|i| i.op == call_finally) && f.blocks.iter().all(|b| !b.instrs.is_empty())
    })
    .expect("a 3.8 function with a `finally` that a return leaves through");
    let target = f
        .instrs()
        .find_map(|i| match i.arg {
            Arg::Jump(l) if i.op == call_finally => f.block_index(l),
            _ => None,
        })
        .unwrap();
    // ROT_TWO at the body's start swaps two slots of its state: run after
    // CALL_FINALLY, END_FINALLY would find the value under the return
    // address (a SIGSEGV, seed 5150).
    let mut g = f.clone();
    g.blocks[target]
        .instrs
        .insert(0, ins(t, "ROT_TWO", Arg::None));
    expect_rejected(
        v,
        "ROT_TWO over a finally state",
        &m,
        &f,
        &g,
        "a `finally` body's state",
    );
    // Control: a value pushed over the state and swapped with another is
    // not the state's.
    let mut g = f.clone();
    let seq = [
        ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
        ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
        ins(t, "ROT_TWO", Arg::None),
        ins(t, "POP_TOP", Arg::None),
        ins(t, "POP_TOP", Arg::None),
    ];
    g.blocks[target].instrs.splice(0..0, seq);
    g.stacksize += 2;
    expect_accepted(v, "ROT_TWO over two fresh values", &m, &f, &g);
}

#[test]
fn an_async_comprehensions_argument_is_no_iterator() {
    let mut checked = 0;
    for v in support::corpus_versions() {
        let t = opcodes::table(v).unwrap();
        // An async comprehension or generator expression: `.0` first, and
        // a GET_ANEXT with no GET_AITER (its outermost loop is async).
        let Some((m, f)) = corpus_function(v, &|f, t| {
            let has = |n: &str| f.instrs().any(|i| name_is(t, i, n));
            f.argcount >= 1 && has("GET_ANEXT") && !has("GET_AITER")
        }) else {
            continue;
        };
        let (b, i) = first_position(&f, t, "GET_ANEXT").unwrap();
        // GET_ANEXT made DUP_TOP/COPY 1: the awaited value is now `.0`
        // itself, an async iterator (seed 5150, SIGSEGV on 3.9).
        let mut g = f.clone();
        g.blocks[b].instrs[i] = if t.by_name("DUP_TOP").is_some() {
            ins(t, "DUP_TOP", Arg::None)
        } else {
            ins(t, "COPY", Arg::Int(1))
        };
        expect_rejected(
            v,
            "an async iterator awaited",
            &m,
            &f,
            &g,
            "needs an iterator",
        );
        checked += 1;
    }
    assert!(
        checked >= 3,
        "async comprehensions checked on {checked} versions"
    );
}

/// 3.8 `WITH_CLEANUP_START` takes any non-NULL top for the unwinder's
/// exception type and reads six values and the exit function under it,
/// and the block stack: only `BEGIN_FINALLY`'s NULL or a handler entry's
/// exception may be there. In an `except` body, after the exception's
/// three values are popped, the top is the saved exception state that
/// `POP_EXCEPT` restores (seed 6061: POP_EXCEPT -> WITH_CLEANUP_START,
/// SIGSEGV).
#[test]
fn with_cleanup_start_over_an_except_bodys_saved_state_is_rejected() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (pop_except, cleanup) = (op(t, "POP_EXCEPT"), op(t, "WITH_CLEANUP_START"));
    let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == pop_except))
        .expect("a 3.8 function with an except body");
    let (b, k) = first_position(&f, t, "POP_EXCEPT").unwrap();
    let mut g = f.clone();
    g.blocks[b].instrs[k].op = cleanup;
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    expect_rejected(
        v,
        "WITH_CLEANUP_START over a saved exception state",
        &m,
        &f,
        &g,
        "a `finally` entry's state",
    );
    // Control: every `with` of the corpus (BEGIN_FINALLY's NULL on the
    // normal exit, the unwinder's exception on the other) verifies.
    let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == cleanup))
        .expect("a 3.8 function with a `with`");
    expect_accepted(v, "a compiled `with`", &m, &f, &f);
}

/// 3.8 `WITH_CLEANUP_FINISH` finds under the exit function's result the
/// copy `WITH_CLEANUP_START` pushed (None or the exception type); with
/// anything else but None and a true result it pops an `EXCEPT_HANDLER`
/// block that is not there (seeds 31337 and 9999: a `CALL_FUNCTION` and a
/// `POP_EXCEPT` made `WITH_CLEANUP_FINISH`, SIGABRT/SIGSEGV).
#[test]
fn with_cleanup_finish_takes_only_with_cleanup_starts_copy() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (call, finish) = (op(t, "CALL_FUNCTION"), op(t, "WITH_CLEANUP_FINISH"));
    // A call of one argument has the same stack effect (-1).
    let (m, f) = corpus_function(v, &|f, _| {
        f.instrs().any(|i| i.op == call && i.arg == Arg::Int(1))
    })
    .expect("a 3.8 function with a one-argument call");
    let (b, k) = f
        .blocks
        .iter()
        .enumerate()
        .find_map(|(b, blk)| {
            blk.instrs
                .iter()
                .position(|i| i.op == call && i.arg == Arg::Int(1))
                .map(|k| (b, k))
        })
        .unwrap();
    let mut g = f.clone();
    g.blocks[b].instrs[k] = Instr::new(finish, Arg::None);
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    expect_rejected(
        v,
        "WITH_CLEANUP_FINISH for a call",
        &m,
        &f,
        &g,
        "WITH_CLEANUP_START's copy",
    );
    // The result and the copy swapped: the result is no copy.
    let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == finish))
        .expect("a 3.8 function with a `with`");
    let (b, k) = first_position(&f, t, "WITH_CLEANUP_FINISH").unwrap();
    let mut g = f.clone();
    g.blocks[b]
        .instrs
        .insert(k, Instr::new(op(t, "ROT_TWO"), Arg::None));
    expect_rejected(
        v,
        "WITH_CLEANUP_FINISH over a swapped pair",
        &m,
        &f,
        &g,
        "WITH_CLEANUP_START's copy",
    );
    // Control: the compiled `with` verifies.
    expect_accepted(v, "a compiled `with`", &m, &f, &f);
}

/// 3.9/3.10 `WITH_EXCEPT_START` calls the value 7 deep, the exit function
/// `SETUP_WITH` left under the saved state and the exception triple; in an
/// `except` handler (its `DUP_TOP` then the class load) that slot is saved
/// state, though the top three are the unwinder's (seed 9999 on 3.10:
/// `LOAD_GLOBAL` made `WITH_EXCEPT_START`, SIGSEGV).
#[test]
fn with_except_start_calls_the_exit_function_seven_deep() {
    for v in [PyVersion::new(3, 9), PyVersion::new(3, 10)] {
        let t = opcodes::table(v).unwrap();
        let (dup, load, start) = (
            op(t, "DUP_TOP"),
            op(t, "LOAD_GLOBAL"),
            op(t, "WITH_EXCEPT_START"),
        );
        let at = |f: &Function| {
            f.blocks.iter().enumerate().find_map(|(b, blk)| {
                (1..blk.instrs.len())
                    .find(|&k| blk.instrs[k - 1].op == dup && blk.instrs[k].op == load && k == 1)
                    .map(|k| (b, k))
            })
        };
        let (m, f) = corpus_function(v, &|f, _| at(f).is_some()).expect("an except handler");
        let (b, k) = at(&f).unwrap();
        let mut g = f.clone();
        g.blocks[b].instrs[k] = Instr::new(start, Arg::None);
        g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
        expect_rejected(
            v,
            "WITH_EXCEPT_START in an except handler",
            &m,
            &f,
            &g,
            "the exit function",
        );
        // Control: every compiled `with` of the corpus verifies.
        let (m, f) =
            corpus_function(v, &|f, _| f.instrs().any(|i| i.op == start)).expect("a `with`");
        expect_accepted(v, "a compiled `with`", &m, &f, &f);
    }
}

/// 3.8-3.10 `POP_EXCEPT` pops three values from the top and makes them the
/// thread's exception state unchecked: they must be the saved state a
/// handler's entry pushed (seed 9999 on 3.8: a `POP_TOP` of the handled
/// exception made `BUILD_TUPLE_UNPACK 0`, so `POP_EXCEPT` took the
/// exception's value and traceback, SIGSEGV later).
#[test]
fn pop_except_takes_the_saved_state() {
    for v in (8..=10).map(|m| PyVersion::new(3, m)) {
        let t = opcodes::table(v).unwrap();
        let pop_except = op(t, "POP_EXCEPT");
        let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == pop_except))
            .expect("an except body");
        let (b, k) = first_position(&f, t, "POP_EXCEPT").unwrap();
        let mut g = f.clone();
        // One value more on top: POP_EXCEPT takes it and two saved ones.
        g.blocks[b]
            .instrs
            .insert(k, ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))));
        g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
        expect_rejected(
            v,
            "POP_EXCEPT over a pushed value",
            &m,
            &f,
            &g,
            "saved exception state",
        );
        expect_accepted(v, "a compiled except body", &m, &f, &f);
    }
}

/// 3.11+ `PUSH_EXC_INFO` saves the previous handled exception (None when
/// there was none) under the new one: `POP_EXCEPT` puts it back, but
/// `RERAISE` would raise None as an exception (seed 9999 on 3.11: a
/// `POP_EXCEPT` made `RERAISE 0`, SIGSEGV).
#[test]
fn reraise_of_the_previous_exception_is_refused() {
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(11))
    {
        let t = opcodes::table(v).unwrap();
        let pop_except = op(t, "POP_EXCEPT");
        let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == pop_except))
            .expect("an except body");
        let (b, k) = first_position(&f, t, "POP_EXCEPT").unwrap();
        let mut g = f.clone();
        g.blocks[b].instrs[k] = ins(t, "RERAISE", Arg::Int(0));
        expect_rejected(
            v,
            "RERAISE of the previous exception",
            &m,
            &f,
            &g,
            "previous exception",
        );
        expect_accepted(v, "a compiled except body", &m, &f, &f);
    }
}

/// 3.8 `END_FINALLY` and `POP_FINALLY` tell a `finally` entry's state
/// apart by its top value (NULL, `CALL_FINALLY`'s return address, else the
/// unwinder's exception type, under which they read a triple): any other
/// object there is refused (seed 31415: an exception-match jump made
/// unconditional left the match's bool for `END_FINALLY`, and a `POP_TOP`
/// for `WITH_CLEANUP_FINISH` left the exit copy's None for `POP_FINALLY`;
/// both SIGSEGV).
#[test]
fn end_finally_and_pop_finally_take_a_finally_state() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let finish = op(t, "WITH_CLEANUP_FINISH");
    let pop_finally = op(t, "POP_FINALLY");
    // `with ...: return x`: WITH_CLEANUP_START; WITH_CLEANUP_FINISH; POP_FINALLY.
    let at = |f: &Function| {
        f.blocks.iter().enumerate().find_map(|(b, blk)| {
            (0..blk.instrs.len().saturating_sub(1))
                .find(|&k| blk.instrs[k].op == finish && blk.instrs[k + 1].op == pop_finally)
                .map(|k| (b, k))
        })
    };
    let (m, f) = corpus_function(v, &|f, _| at(f).is_some()).expect("a `with` that returns");
    let (b, k) = at(&f).unwrap();
    let mut g = f.clone();
    g.blocks[b].instrs[k] = ins(t, "POP_TOP", Arg::None);
    expect_rejected(
        v,
        "POP_FINALLY over the exit copy",
        &m,
        &f,
        &g,
        "a `finally` entry's state",
    );
    expect_accepted(v, "a compiled `with` that returns", &m, &f, &f);
    // An exception match whose jump no longer pops its bool.
    let (cmp, pjf) = (op(t, "COMPARE_OP"), op(t, "POP_JUMP_IF_FALSE"));
    let at = |f: &Function| {
        f.blocks.iter().enumerate().find_map(|(b, blk)| {
            (1..blk.instrs.len())
                .find(|&k| {
                    blk.instrs[k].op == pjf
                        && blk.instrs[k - 1].op == cmp
                        && blk.instrs[k - 1].arg == Arg::Compare(10)
                })
                .map(|k| (b, k))
        })
    };
    let (m, f) = corpus_function(v, &|f, _| at(f).is_some()).expect("an except clause");
    let (b, k) = at(&f).unwrap();
    let mut g = f.clone();
    g.blocks[b].instrs[k].op = op(t, "JUMP_ABSOLUTE");
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    expect_rejected(
        v,
        "END_FINALLY over a bool",
        &m,
        &f,
        &g,
        "a `finally` entry's state",
    );
}

/// 3.11: a cell or free slot holds its cell, which `LOAD_DEREF` reads
/// unchecked; a `STORE_FAST` of an object there is refused (seed 31415: a
/// `STORE_DEREF` made `STORE_FAST`, SIGSEGV at the next `LOAD_DEREF`).
/// From 3.12 an inlined comprehension does store objects there, so the
/// rule holds where the version has no `LOAD_FAST_AND_CLEAR`.
#[test]
fn an_object_stored_into_a_cell_slot_is_refused() {
    let v = PyVersion::new(3, 11);
    let t = opcodes::table(v).unwrap();
    let store_deref = op(t, "STORE_DEREF");
    let (m, f) = corpus_function(v, &|f, _| f.instrs().any(|i| i.op == store_deref))
        .expect("a 3.11 function storing a cell");
    let (b, k) = first_position(&f, t, "STORE_DEREF").unwrap();
    let Arg::Free(slot) = f.blocks[b].instrs[k].arg else {
        unreachable!()
    };
    let mut g = f.clone();
    g.blocks[b].instrs[k] = ins(t, "STORE_FAST", Arg::Local(pyrewrite::ir::LocalIdx(slot.0)));
    expect_rejected(
        v,
        "STORE_FAST into a cell slot",
        &m,
        &f,
        &g,
        "a cell or free variable's",
    );
    expect_accepted(v, "a compiled STORE_DEREF", &m, &f, &f);
}

/// Every verifying corpus function of `v` with `first` right before
/// `second` in a block, with the (block, index of `first`) of each such pair.
fn verified_pairs(
    v: PyVersion,
    first: Opcode,
    second: Opcode,
) -> Vec<(Marshal, Function, Vec<(usize, usize)>)> {
    let mut out = Vec::new();
    for (m, f) in support::corpus_functions(v) {
        let mut at = Vec::new();
        for (b, blk) in f.blocks.iter().enumerate() {
            for (i, w) in blk.instrs.windows(2).enumerate() {
                if w[0].op == first && w[1].op == second {
                    at.push((b, i));
                }
            }
        }
        if !at.is_empty() && verify::verify_in(&f, &m).is_ok() {
            out.push((m, f, at));
        }
    }
    out
}

/// 3.8: `BEGIN_FINALLY` pushes one NULL where the compiler counts six
/// slots, so the state it enters a `finally` body with is taken only by
/// `END_FINALLY`, `POP_FINALLY` and the `WITH_CLEANUP` pair: the
/// seed-31415 mutant (an `except ... as e` cleanup's `DELETE_FAST` made
/// `ROT_THREE`, SIGSEGV) is refused, in every such cleanup of the corpus.
#[test]
fn a_begin_finally_state_taken_by_anything_else_is_rejected() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (delete, end) = (op(t, "DELETE_FAST"), op(t, "END_FINALLY"));
    let mut refused = 0;
    // `DELETE_FAST e; END_FINALLY`: the end of an `as e` cleanup.
    for (m, f, at) in verified_pairs(v, delete, end) {
        for (b, i) in at {
            let mut g = f.clone();
            g.blocks[b].instrs[i] = ins(t, "ROT_THREE", Arg::None);
            expect_rejected(
                v,
                "ROT_THREE in an except-as cleanup",
                &m,
                &f,
                &g,
                "a slot of a `finally` body's state",
            );
            refused += 1;
            // Control: the same shuffle over three fresh values.
            let mut g = f.clone();
            let c = Arg::Const(ConstIdx(0));
            let pop = || ins(t, "POP_TOP", Arg::None);
            let seq = [
                ins(t, "LOAD_CONST", c),
                ins(t, "LOAD_CONST", c),
                ins(t, "LOAD_CONST", c),
                ins(t, "ROT_THREE", Arg::None),
                pop(),
                pop(),
                pop(),
            ];
            g.blocks[b].instrs.splice(i..i, seq);
            g.stacksize += 3;
            expect_accepted(v, "ROT_THREE over fresh values", &m, &f, &g);
        }
    }
    assert!(
        refused > 0,
        "no `except ... as e` cleanup in the 3.8 corpus"
    );
    eprintln!("{refused} except-as cleanups refused");
}

/// 3.8: when `__exit__` swallows the exception, `WITH_CLEANUP_FINISH`
/// unwinds the handler's block and leaves one NULL for `END_FINALLY`
/// (ceval.c), even where no `BEGIN_FINALLY` path reaches the cleanup (a
/// `with` body that ends in `raise`). Every `WITH_CLEANUP_FINISH;
/// END_FINALLY` of the corpus with the `END_FINALLY` made `INPLACE_OR` is
/// refused (seed 27182: in async_basic's `async with` whose body raises,
/// SIGSEGV).
#[test]
fn with_cleanup_finish_leaves_a_finally_state() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (finish, end) = (op(t, "WITH_CLEANUP_FINISH"), op(t, "END_FINALLY"));
    let mut refused = 0;
    for (m, f, at) in verified_pairs(v, finish, end) {
        for (b, i) in at {
            let mut g = f.clone();
            g.blocks[b].instrs[i + 1] = ins(t, "INPLACE_OR", Arg::None);
            expect_rejected(v, "INPLACE_OR for END_FINALLY", &m, &f, &g, "state");
            refused += 1;
        }
    }
    assert!(refused > 0, "no with statement in the 3.8 corpus");
    eprintln!("{refused} with cleanups refused");
}

/// 3.12+: an inlined comprehension may put plain objects into a cell slot
/// while it runs (compile.c saves the cell with `LOAD_FAST_AND_CLEAR` and
/// puts it back), so a plain store there is no error by itself; a deref op
/// reading the slot while it may hold such an object is. Each compiled
/// `STORE_DEREF` with a `STORE_FAST` of a constant into its slot just
/// before it is refused (seed 27182 on 3.13: a `STORE_FAST_LOAD_FAST`
/// retargeted to a free slot, then `STORE_DEREF`, SIGSEGV); the cell put
/// back (`LOAD_FAST_AND_CLEAR` then the `STORE_FAST` of what it saved) is
/// accepted, as the corpus's inlined comprehensions show.
#[test]
fn a_deref_of_a_slot_holding_an_object_is_refused() {
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(12))
    {
        let t = opcodes::table(v).unwrap();
        let store_deref = op(t, "STORE_DEREF");
        let mut refused = 0;
        for (m, f) in support::corpus_functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, blk) in f.blocks.iter().enumerate() {
                for (k, x) in blk.instrs.iter().enumerate() {
                    if x.op != store_deref {
                        continue;
                    }
                    let slot = match x.arg {
                        Arg::Free(i) => i.0,
                        Arg::Local(i) => i.0,
                        _ => continue,
                    };
                    let mut g = f.clone();
                    let seq = [
                        ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
                        ins(t, "STORE_FAST", Arg::Local(pyrewrite::ir::LocalIdx(slot))),
                    ];
                    g.blocks[b].instrs.splice(k..k, seq);
                    g.stacksize += 1;
                    expect_rejected(
                        v,
                        "STORE_DEREF after a plain store",
                        &m,
                        &f,
                        &g,
                        "as a cell",
                    );
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{v}: no STORE_DEREF in the corpus");
        eprintln!("{v}: {refused} derefs after a plain store refused");
    }
}

/// 3.8: `WITH_CLEANUP_START` calls what lies under the `finally` state as
/// `__exit__`: only the one `SETUP_WITH`/`BEFORE_ASYNC_WITH` pushed (kind
/// `EXIT`, also on the handler's path). A second one after a `with`'s
/// cleanup (its `POP_FINALLY 0` made `WITH_CLEANUP_START`: seed 16180,
/// SIGSEGV) is refused; every compiled `with` verifies.
#[test]
fn with_cleanup_start_calls_only_the_exit_function() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (finish, pop_finally) = (op(t, "WITH_CLEANUP_FINISH"), op(t, "POP_FINALLY"));
    let mut refused = 0;
    for (m, f, at) in verified_pairs(v, finish, pop_finally) {
        for (b, i) in at {
            let mut g = f.clone();
            g.blocks[b].instrs[i + 1] = ins(t, "WITH_CLEANUP_START", Arg::None);
            g.stacksize += 2;
            expect_rejected(v, "a second WITH_CLEANUP_START", &m, &f, &g, "as __exit__");
            refused += 1;
        }
    }
    assert!(refused > 0, "no `return` inside a `with` in the 3.8 corpus");
    eprintln!("{refused} second cleanups refused");
}

/// 3.11+: a generator suspended in `yield from`/`await` delegates to the
/// value under the one it yielded (genobject.c `_PyGen_yf`), which
/// 3.11/3.12 tell by the `RESUME` after the yield (argument 2 or 3) and
/// 3.13+ by `YIELD_VALUE 1`. A plain yield marked so is refused unless an
/// iterator lies under it (a `for` loop's, which is one) (seed 16180 on
/// 3.12: `RESUME 1` made `RESUME 2`, SIGSEGV), and 3.13+ `YIELD_VALUE 2`
/// (no suspended frame state) too.
#[test]
fn a_plain_yield_is_not_a_yield_from() {
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(11))
    {
        let t = opcodes::table(v).unwrap();
        let (resume, yield_value) = (op(t, "RESUME"), op(t, "YIELD_VALUE"));
        let by_yield = v.at_least(13);
        let mut refused = 0;
        for (m, f) in support::corpus_functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            for (b, blk) in f.blocks.iter().enumerate() {
                for (i, x) in blk.instrs.iter().enumerate() {
                    let Arg::Int(a) = x.arg else { continue };
                    let plain_yield = if by_yield {
                        x.op == yield_value && a == 0
                    } else {
                        x.op == resume && a & 3 == 1
                    };
                    if !plain_yield {
                        continue;
                    }
                    // NB: under a yield in a `for` loop lies the loop's
                    // iterator, which the generator may delegate to.
                    let mut g = f.clone();
                    g.blocks[b].instrs[i].arg = Arg::Int(if by_yield { 1 } else { (a & !3) | 2 });
                    if !verify::verify_in(&g, &m)
                        .err()
                        .unwrap_or_default()
                        .iter()
                        .any(|e| e.message.contains("inside `yield from`"))
                    {
                        continue;
                    }
                    if by_yield {
                        let mut g = f.clone();
                        g.blocks[b].instrs[i].arg = Arg::Int(2);
                        let errs = verify::verify_in(&g, &m).unwrap_err();
                        assert!(
                            errs.iter()
                                .any(|e| e.invariant == verify::Invariant::ArgRange),
                            "{v}: {errs:?}"
                        );
                    }
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{v}: no plain yield in the corpus");
        eprintln!("{v}: {refused} plain yields marked yield-from refused");
    }
}
