//! Rules found by the seed-9001 mutants (docs/verifier.md), each broken on
//! every version it applies to: what a raising instruction leaves for its
//! handler (the `unwind` column), `INTERPRETER_EXIT`, the tuple constants
//! `BUILD_CONST_KEY_MAP` and keyword calls trust (the `operand` column),
//! a function's defaults and the function that `SET_FUNCTION_ATTRIBUTE`
//! and the type-parameter intrinsic cast (the `shapes` column). That every
//! function CPython compiled still verifies is
//! tests/verify.rs::cpython_code_verifies_clean.

mod support;

use support::edit::{assert_refused, code, errors, ins, intrinsic, with_prefix};

use pyrewrite::ir::{Arg, ConstIdx, FreeIdx, Function, Instr, LocalIdx};
use pyrewrite::marshal::{Marshal, Value};
use pyrewrite::opcodes::{self, OpTable};
use pyrewrite::verify::{self, Invariant};
use pyrewrite::PyVersion;

fn versions() -> Vec<PyVersion> {
    PyVersion::SUPPORTED
        .into_iter()
        .filter(|&v| !support::corpus_pyc_files(v).is_empty())
        .collect()
}

/// Corpus functions of `v` that verify.
fn clean(v: PyVersion) -> Vec<(Marshal, Function)> {
    support::corpus_functions(v)
        .into_iter()
        .filter(|(m, f)| verify::verify_in(f, m).is_ok())
        .collect()
}

/// A verifying function with a code-object constant without free
/// variables and a `None` constant: (marshal, function, code index, None index).
fn with_code_const(v: PyVersion) -> (Marshal, Function, ConstIdx, ConstIdx) {
    for (m, f) in clean(v) {
        let find = |want: &dyn Fn(&Value) -> bool| {
            f.consts
                .iter()
                .position(|&c| want(m.get(c)))
                .map(|i| ConstIdx(i as u32))
        };
        let code = find(&|x| match x {
            Value::Code(c) => {
                c.freevars.map_or(true, |fv| m.items(fv).is_empty())
                    && c.localspluskinds
                        .and_then(|k| m.bytes(k))
                        .map_or(true, |k| k.iter().all(|&b| b & 0x80 == 0))
            }
            _ => false,
        });
        let none = find(&|x| matches!(x, Value::None));
        if let (Some(code), Some(none)) = (code, none) {
            return (m, f, code, none);
        }
    }
    panic!("{v}: no function with a code constant and None");
}

/// 3.11+: a `POP_TOP` (which cannot raise) under a handler as deep as the
/// stack it leaves, replaced by a `BINARY_OP` (same net effect, but it
/// pops both operands before it raises): the handler would read below
/// the stack. Found as crashes of `with` and `except` bodies.
#[test]
fn a_raising_instruction_leaves_the_handler_its_depth() {
    for v in versions().into_iter().filter(|v| v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        let (pop, binop) = (code(t, "POP_TOP").unwrap(), code(t, "BINARY_OP").unwrap());
        let mut refused = 0;
        for (m, f) in clean(v) {
            let (d, _) = pyrewrite::stackdepth::analyze(&f).unwrap();
            for (b, blk) in f.blocks.iter().enumerate() {
                for (k, x) in blk.instrs.iter().enumerate() {
                    let (Some(h), Some(before)) = (x.handler, d.before(b, k)) else {
                        continue;
                    };
                    if x.op != pop || before - 1 != h.depth as i32 || before < 2 {
                        continue;
                    }
                    let mut g = f.clone();
                    g.blocks[b].instrs[k] = Instr {
                        op: binop,
                        arg: Arg::BinaryOp(0),
                        ..*x
                    };
                    assert_refused(
                        &m,
                        &g,
                        Invariant::Handler,
                        "BINARY_OP leaves when it raises",
                        &v.to_string(),
                    );
                    refused += 1;
                }
            }
        }
        assert!(
            refused > 0,
            "{v}: no POP_TOP at its handler's depth + 1 in the corpus"
        );
    }
}

#[test]
fn interpreter_exit_is_never_in_a_code_object() {
    for v in versions().into_iter().filter(|v| v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        if code(t, "INTERPRETER_EXIT").is_none() {
            continue; // NB: not a dis-visible opcode of this version.
        }
        let (m, f, _, none) = with_code_const(v);
        let g = with_prefix(
            &f,
            t,
            vec![
                ins(t, "LOAD_CONST", Arg::Const(none)),
                ins(t, "INTERPRETER_EXIT", Arg::None),
            ],
        );
        assert_refused(
            &m,
            &g,
            Invariant::NotBaseOpcode,
            "INTERPRETER_EXIT",
            &v.to_string(),
        );
    }
}

/// The `LOAD_CONST` right before each `BUILD_CONST_KEY_MAP` (3.12+) and
/// keyword call made to load `None`, and the key map asked for one key
/// more than its tuple has.
#[test]
fn key_maps_and_keyword_calls_get_their_tuple() {
    for v in versions() {
        let t = opcodes::table(v).unwrap();
        let load = code(t, "LOAD_CONST").unwrap();
        let users: Vec<opcodes::Opcode> = ["BUILD_CONST_KEY_MAP", "CALL_KW", "CALL_FUNCTION_KW"]
            .iter()
            .filter_map(|n| code(t, n))
            .filter(|&c| t.facts(c).operand != opcodes::ConstOperand::None)
            .collect();
        if users.is_empty() {
            continue;
        }
        let mut refused = 0;
        for (m, f) in clean(v) {
            let Some(none) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::None))
            else {
                continue;
            };
            for (b, blk) in f.blocks.iter().enumerate() {
                for k in 1..blk.instrs.len() {
                    let x = blk.instrs[k];
                    if !users.contains(&x.op) || blk.instrs[k - 1].op != load {
                        continue;
                    }
                    let mut g = f.clone();
                    g.blocks[b].instrs[k - 1].arg = Arg::Const(ConstIdx(none as u32));
                    assert_refused(
                        &m,
                        &g,
                        Invariant::ArgRange,
                        "needs a LOAD_CONST of a tuple right before it",
                        &v.to_string(),
                    );
                    if let (Arg::Int(n), "BUILD_CONST_KEY_MAP") = (x.arg, t.get(x.op).unwrap().name)
                    {
                        let mut g = f.clone();
                        g.blocks[b].instrs[k].arg = Arg::Int(n + 1);
                        assert_refused(
                            &m,
                            &g,
                            Invariant::ArgRange,
                            "keys, but its tuple has",
                            &v.to_string(),
                        );
                    }
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "{v}: no key map or keyword call in the corpus");
    }
}

/// A function made with `None` as its defaults (read as a tuple when it
/// is called), on every version.
#[test]
fn defaults_are_a_tuple() {
    for v in versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f, code_const, none) = with_code_const(v);
        let c = |i| ins(t, "LOAD_CONST", Arg::Const(i));
        let mut seq = vec![c(none), c(code_const)];
        if !v.at_least(11) {
            seq.push(c(none)); // NB: the qualified name, before 3.11.
        }
        if v.at_least(13) {
            seq.push(ins(t, "MAKE_FUNCTION", Arg::None));
            seq.push(ins(t, "SET_FUNCTION_ATTRIBUTE", Arg::Int(1)));
        } else {
            seq.push(ins(t, "MAKE_FUNCTION", Arg::Int(1)));
        }
        seq.push(ins(t, "POP_TOP", Arg::None));
        let g = with_prefix(&f, t, seq);
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "needs a tuple or",
            &v.to_string(),
        );
    }
}

/// 3.13+ `SET_FUNCTION_ATTRIBUTE` on something else than a function, and
/// 3.12+ `INTRINSIC_SET_FUNCTION_TYPE_PARAMS` likewise: both cast it to
/// `PyFunctionObject *`.
#[test]
fn function_attributes_go_on_a_function() {
    for v in versions().into_iter().filter(|v| v.at_least(12)) {
        let t = opcodes::table(v).unwrap();
        let (m, f, _, none) = with_code_const(v);
        let c = || ins(t, "LOAD_CONST", Arg::Const(none));
        let type_params = intrinsic(t.intrinsic2, "INTRINSIC_SET_FUNCTION_TYPE_PARAMS").unwrap();
        let mut cases = vec![vec![
            c(),
            c(),
            ins(t, "CALL_INTRINSIC_2", Arg::Int(type_params)),
            ins(t, "POP_TOP", Arg::None),
        ]];
        if v.at_least(13) {
            cases.push(vec![
                c(),
                c(),
                ins(t, "SET_FUNCTION_ATTRIBUTE", Arg::Int(2)),
                ins(t, "POP_TOP", Arg::None),
            ]);
        }
        for seq in cases {
            let g = with_prefix(&f, t, seq);
            assert_refused(
                &m,
                &g,
                Invariant::StackKind,
                "needs a function",
                &v.to_string(),
            );
        }
    }
}

/// Seed 31337 rules below (docs/verifier.md).

/// The position of the first instruction with opcode `name`.
fn find(f: &Function, t: &OpTable, name: &str) -> Option<(usize, usize)> {
    let op = code(t, name)?;
    f.blocks
        .iter()
        .enumerate()
        .find_map(|(b, blk)| blk.instrs.iter().position(|x| x.op == op).map(|k| (b, k)))
}

#[test]
fn generator_code_starts_with_return_generator() {
    for v in versions().into_iter().filter(|v| v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        let nop = code(t, "NOP").unwrap();
        let (m, f) = clean(v)
            .into_iter()
            .find(|(_, f)| f.flags & 0x20 != 0)
            .unwrap_or_else(|| panic!("{v}: no generator in the corpus"));
        let (b, k) = find(&f, t, "RETURN_GENERATOR").unwrap();
        let mut g = f.clone();
        g.blocks[b].instrs[k] = Instr::new(nop, Arg::None);
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "has no RETURN_GENERATOR",
            &v.to_string(),
        );
        let mut g = f.clone();
        g.flags &= !0x20;
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "RETURN_GENERATOR in code that co_flags do not mark",
            &v.to_string(),
        );
    }
}

#[test]
fn no_jump_into_the_prologue() {
    for v in versions().into_iter().filter(|v| v.at_least(10)) {
        let t = opcodes::table(v).unwrap();
        let mut refused = 0;
        for (m, f) in clean(v).into_iter().filter(|(_, f)| f.flags & 0x20 != 0) {
            // NB: a generator's first block holds its prologue (GEN_START,
            // or up to RESUME) and, after it, the start of the body.
            let Some((b, k)) = f.blocks.iter().enumerate().skip(1).find_map(|(b, blk)| {
                blk.instrs
                    .iter()
                    .position(|x| matches!(x.arg, Arg::Jump(_)) && t.facts(x.op).jump_use.is_some())
                    .map(|k| (b, k))
            }) else {
                continue;
            };
            let mut g = f.clone();
            g.blocks[b].instrs[k].arg = Arg::Jump(f.blocks[0].label);
            let errs = errors(&m, &g, Invariant::JumpTarget);
            if errs.iter().any(|e| e.contains("is in the prologue")) {
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "{v}: no generator jump retargeted into its prologue was refused"
        );
    }
}

#[test]
fn comparison_placeholder_bad_is_refused() {
    let v = PyVersion::new(3, 8);
    if !versions().contains(&v) {
        return;
    }
    let t = opcodes::table(v).unwrap();
    let bad = t.cmp_op.iter().position(|&c| c == "BAD").unwrap() as u32;
    let (m, f) = clean(v)
        .into_iter()
        .find(|(_, f)| find(f, t, "COMPARE_OP").is_some())
        .unwrap();
    let (b, k) = find(&f, t, "COMPARE_OP").unwrap();
    let mut g = f.clone();
    g.blocks[b].instrs[k].arg = Arg::Compare(bad);
    assert_refused(&m, &g, Invariant::ArgRange, "placeholder BAD", "");
}

#[test]
fn match_class_needs_a_tuple_of_names() {
    for v in versions().into_iter().filter(|v| v.at_least(10)) {
        let t = opcodes::table(v).unwrap();
        let load = code(t, "LOAD_CONST").unwrap();
        let mut refused = 0;
        for (m, f) in clean(v) {
            let Some(none) = f
                .consts
                .iter()
                .position(|&c| matches!(m.get(c), Value::None))
            else {
                continue;
            };
            let Some((b, k)) = find(&f, t, "MATCH_CLASS") else {
                continue;
            };
            if k == 0 || f.blocks[b].instrs[k - 1].op != load {
                continue;
            }
            let mut g = f.clone();
            g.blocks[b].instrs[k - 1].arg = Arg::Const(ConstIdx(none as u32));
            assert_refused(
                &m,
                &g,
                Invariant::StackKind,
                "MATCH_CLASS needs a tuple",
                &v.to_string(),
            );
            refused += 1;
        }
        assert!(refused > 0, "{v}: no MATCH_CLASS in the corpus");
    }
}

#[test]
fn make_function_needs_a_code_object() {
    for v in versions() {
        let t = opcodes::table(v).unwrap();
        let (m, f, _, none) = with_code_const(v);
        let c = || ins(t, "LOAD_CONST", Arg::Const(none));
        let mut seq = vec![c()];
        if !v.at_least(11) {
            seq.push(c());
        }
        let arg = if v.at_least(13) {
            Arg::None
        } else {
            Arg::Int(0)
        };
        seq.extend([ins(t, "MAKE_FUNCTION", arg), ins(t, "POP_TOP", Arg::None)]);
        let g = with_prefix(&f, t, seq);
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "MAKE_FUNCTION needs a code object",
            &v.to_string(),
        );
    }
}

/// 3.13+ `STORE_FAST_LOAD_FAST` pops one value and pushes one: net 0, so
/// only its push count shows that it reads the stack.
#[test]
fn store_fast_load_fast_reads_a_value() {
    for v in versions().into_iter().filter(|v| v.at_least(13)) {
        let t = opcodes::table(v).unwrap();
        let (m, f) = clean(v)
            .into_iter()
            .find(|(_, f)| f.argcount >= 1 && f.flags & 0x1A0 == 0)
            .unwrap();
        let g = with_prefix(
            &f,
            t,
            vec![
                ins(
                    t,
                    "STORE_FAST_LOAD_FAST",
                    Arg::LocalPair(LocalIdx(0), LocalIdx(0)),
                ),
                ins(t, "POP_TOP", Arg::None),
            ],
        );
        assert_refused(
            &m,
            &g,
            Invariant::Stack,
            "STORE_FAST_LOAD_FAST reads 1 stack value",
            &v.to_string(),
        );
    }
}

#[test]
fn load_classderef_reads_a_free_variable() {
    for v in versions().into_iter().filter(|v| !v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        let (m, f) = clean(v)
            .into_iter()
            .find(|(_, f)| !f.cellvars.is_empty())
            .unwrap();
        let g = with_prefix(
            &f,
            t,
            vec![
                ins(t, "LOAD_CLASSDEREF", Arg::Free(FreeIdx(0))),
                ins(t, "POP_TOP", Arg::None),
            ],
        );
        assert_refused(
            &m,
            &g,
            Invariant::FreeIndex,
            "is a cell; it reads free variables only",
            &v.to_string(),
        );
    }
}

/// Seed 2718 (3.8): `WITH_CLEANUP_START` over a plain object, and
/// `BUILD_LIST_UNPACK n` reading more values than the stack holds.
#[test]
fn with_cleanup_start_needs_a_finally_state_and_unpacks_count_their_reads() {
    let v = PyVersion::new(3, 8);
    if !versions().contains(&v) {
        return;
    }
    let t = opcodes::table(v).unwrap();
    let (m, f, _, none) = with_code_const(v);
    let c = || ins(t, "LOAD_CONST", Arg::Const(none));
    let g = with_prefix(
        &f,
        t,
        vec![
            c(),
            c(),
            ins(t, "WITH_CLEANUP_START", Arg::None),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
            ins(t, "POP_TOP", Arg::None),
        ],
    );
    assert_refused(
        &m,
        &g,
        Invariant::StackKind,
        "WITH_CLEANUP_START needs a `finally` entry's state",
        "",
    );
    let g = with_prefix(
        &f,
        t,
        vec![
            c(),
            ins(t, "BUILD_LIST_UNPACK", Arg::Int(2)),
            ins(t, "POP_TOP", Arg::None),
        ],
    );
    assert_refused(
        &m,
        &g,
        Invariant::Stack,
        "BUILD_LIST_UNPACK reads 2 stack value(s)",
        "",
    );
}

/// Seed 2718 (3.11+): a parameter that is also a cell holds the argument
/// until MAKE_CELL wraps it, so removing its MAKE_CELL leaves its deref
/// ops reading a non-cell; and CHECK_EG_MATCH splits only an exception.
#[test]
fn parameter_cells_need_make_cell_and_eg_match_an_exception() {
    for v in versions().into_iter().filter(|v| v.at_least(11)) {
        let t = opcodes::table(v).unwrap();
        let (make_cell, nop) = (code(t, "MAKE_CELL").unwrap(), code(t, "NOP").unwrap());
        let mut refused = 0;
        for (m, f) in clean(v) {
            let params = f.argcount.max(0) as usize;
            let Some((b, k)) = f.blocks.iter().enumerate().find_map(|(b, blk)| {
                blk.instrs
                    .iter()
                    .position(|x| {
                        x.op == make_cell
                            && matches!(x.arg, Arg::Free(FreeIdx(i)) | Arg::Int(i) if (i as usize) < params)
                    })
                    .map(|k| (b, k))
            }) else {
                continue;
            };
            let mut g = f.clone();
            g.blocks[b].instrs[k] = Instr::new(nop, Arg::None);
            if !errors(&m, &g, Invariant::UnboundLocal).is_empty() {
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "{v}: no parameter cell's MAKE_CELL removal was refused"
        );
        let (m, f, _, none) = with_code_const(v);
        let c = || ins(t, "LOAD_CONST", Arg::Const(none));
        let g = with_prefix(
            &f,
            t,
            vec![
                c(),
                c(),
                ins(t, "CHECK_EG_MATCH", Arg::None),
                ins(t, "POP_TOP", Arg::None),
                ins(t, "POP_TOP", Arg::None),
            ],
        );
        assert_refused(
            &m,
            &g,
            Invariant::StackKind,
            "CHECK_EG_MATCH needs an exception",
            &v.to_string(),
        );
    }
}

/// 3.8-3.10 `END_ASYNC_FOR` ends its loop with `JUMPBY(oparg)` although
/// `dis` gives it no argument (the `reads_arg_byte` column): a stray byte
/// there is refused, while 3.11+ (which ignore it) and other argument-less
/// opcodes keep CPython 3.10's stray-byte allowance.
#[test]
fn end_async_for_with_an_argument_byte_is_refused_where_it_jumps() {
    for v in versions() {
        let t = opcodes::table(v).unwrap();
        // NB: 3.14's END_ASYNC_FOR is a jump with a real argument.
        let Some(eaf) = code(t, "END_ASYNC_FOR").filter(|&o| !t.takes_arg(o)) else {
            continue;
        };
        let (mut refused, mut accepted) = (0, 0);
        for (m, f) in clean(v) {
            for (b, blk) in f.blocks.iter().enumerate() {
                for (i, x) in blk.instrs.iter().enumerate() {
                    if x.op != eaf {
                        continue;
                    }
                    let mut g = f.clone();
                    g.blocks[b].instrs[i].arg = Arg::Int(28);
                    if v.minor <= 10 {
                        assert_refused(
                            &m,
                            &g,
                            Invariant::ArgKind,
                            "JUMPBY(oparg)",
                            &format!("{v}"),
                        );
                        refused += 1;
                    } else {
                        assert!(errors(&m, &g, Invariant::ArgKind).is_empty(), "{v}");
                        accepted += 1;
                    }
                    // Control: a NOP with the same byte (CPython 3.10
                    // leaves such) is a stray byte the interpreter ignores.
                    let mut h = f.clone();
                    let nop = code(t, "NOP").unwrap();
                    h.blocks[b].instrs.insert(i, Instr::new(nop, Arg::Int(28)));
                    assert!(errors(&m, &h, Invariant::ArgKind).is_empty(), "{v}: NOP 28");
                }
            }
        }
        eprintln!("{v}: END_ASYNC_FOR 28 refused {refused}, accepted {accepted}");
        assert!(
            refused + accepted > 0,
            "{v}: no async for loop in the corpus"
        );
    }
}

/// Intrinsic 0 is `INTRINSIC_*_INVALID`, which the compiler never emits:
/// 3.12's binary table has no function there (`CALL_INTRINSIC_2 0`
/// segfaults CPython 3.12.1; seed 9999 made a `CONTAINS_OP` one), so it is
/// refused for both tables on every version that has them; the first real
/// intrinsic is in range.
#[test]
fn the_invalid_intrinsic_is_refused() {
    for v in versions() {
        let t = opcodes::table(v).unwrap();
        let Some((m, f)) = clean(v).into_iter().next() else {
            continue;
        };
        for name in ["CALL_INTRINSIC_1", "CALL_INTRINSIC_2"] {
            if code(t, name).is_none() {
                continue;
            }
            for (arg, refused) in [(0, true), (1, false)] {
                let g = with_prefix(&f, t, vec![ins(t, name, Arg::Int(arg))]);
                let errs = errors(&m, &g, Invariant::ArgRange);
                assert_eq!(
                    errs.iter().any(|e| e.contains("INVALID placeholder")),
                    refused,
                    "{v} {name} {arg}: {errs:?}"
                );
            }
        }
    }
}
