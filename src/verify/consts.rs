//! Checks that need the constants' values, not only their indices.
//!
//! NB: `MAKE_FUNCTION` hands the constant loaded before it to the function
//! constructor as a code object without checking, and takes a closure
//! tuple from the stack only when told to; a closure missing for code with
//! free variables (or given to code without) crashes the interpreter.
//! Found by `tools/mutants.sh` (docs/verifier.md).

use super::{Invariant as I, Sink};
use crate::ir::{Arg, Function, Instr};
use crate::marshal::{Marshal, Value};
use crate::opcodes::{self, ConstOperand, Opcode};

/// `co_localspluskinds` bit of a free variable (3.11+).
const CO_FAST_FREE: u8 = 0x80;
/// `MAKE_FUNCTION` / `SET_FUNCTION_ATTRIBUTE` flag: a closure tuple.
const CLOSURE: u32 = 0x08;

pub(super) fn run(f: &Function, m: &Marshal, sink: &mut Sink) {
    let Some(t) = opcodes::table(f.version) else {
        return;
    };
    // Layout order with NOPs left out: (block, index, instruction).
    let flat: Vec<(usize, usize, &Instr)> = f
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(b, blk)| {
            blk.instrs
                .iter()
                .enumerate()
                .map(move |(k, ins)| (b, k, ins))
        })
        .filter(|(_, _, ins)| ins.op != Opcode::Nop)
        .collect();
    for (p, &(b, k, ins)) in flat.iter().enumerate() {
        if ins.op == Opcode::KwNames {
            kw_names(f, m, b, k, ins, sink);
            continue;
        }
        let want = t.facts(ins.op).operand;
        if want != ConstOperand::None {
            let before = p.checked_sub(1).map(|q| flat[q].2);
            operand(f, m, t, want, before, b, k, ins, sink);
            continue;
        }
        if ins.op != Opcode::MakeFunction {
            continue;
        }
        // NB: the shape itself is `reach::argument_rule`'s to report.
        let back = super::reach::make_function_loads(t) as usize;
        let Some(&(_, _, load)) = p.checked_sub(back).and_then(|q| flat.get(q)) else {
            continue;
        };
        let Arg::Const(c) = load.arg else { continue };
        let Some(&id) = f.consts.get(c) else {
            continue;
        };
        let Value::Code(code) = m.get(id) else {
            sink.at(
                f,
                I::ArgRange,
                b,
                Some(k),
                format!("MAKE_FUNCTION's constant {} is not a code object", c.0),
            );
            continue;
        };
        let nfree = if t.localsplus {
            code.localspluskinds
                .and_then(|x| m.bytes(x))
                .map_or(0, |kinds| {
                    kinds.iter().filter(|&&x| x & CO_FAST_FREE != 0).count()
                })
        } else {
            code.freevars.map_or(0, |x| m.items(x).len())
        };
        let free = nfree > 0;
        let closure = if t.code(Opcode::SetFunctionAttribute).is_some() {
            // 3.13+: the flags come as SET_FUNCTION_ATTRIBUTE right after.
            flat[p + 1..]
                .iter()
                .take_while(|(_, _, x)| x.op == Opcode::SetFunctionAttribute)
                .any(|(_, _, x)| matches!(x.arg, Arg::Int(a) if a == CLOSURE))
        } else {
            matches!(ins.arg, Arg::Int(a) if a & CLOSURE != 0)
        };
        if free != closure {
            let has = if free {
                "has free variables"
            } else {
                "has no free variable"
            };
            let gets = if closure {
                "gets a closure"
            } else {
                "gets no closure"
            };
            sink.at(
                f,
                I::ArgRange,
                b,
                Some(k),
                format!("MAKE_FUNCTION: the code object {has} but {gets}"),
            );
        } else if closure {
            // NB: the closure is built right before the code is loaded
            // (compile.c/codegen.c): one cell per free variable, which the
            // function's frame copies in and LOAD_DEREF reads unchecked.
            let built = (p + 1)
                .checked_sub(back + 2)
                .and_then(|q| flat.get(q))
                .filter(|(_, _, x)| x.op == Opcode::BuildTuple)
                .map(|(_, _, x)| x.arg);
            if built != Some(Arg::Int(nfree as u32)) {
                sink.at(
                    f,
                    I::ArgRange,
                    b,
                    Some(k),
                    format!("MAKE_FUNCTION: the code object has {nfree} free variable(s), so its closure must be BUILD_TUPLE {nfree} right before the code is loaded"),
                );
            }
        }
    }
}

/// 3.11/3.12 `KW_NAMES`: its constant is a tuple of strings. The `CALL`
/// after it reads it with `PyTuple_GET_SIZE` and matches the names as
/// strings without a check (bytecodes.c); the compiler always emits one.
fn kw_names(f: &Function, m: &Marshal, b: usize, k: usize, ins: &Instr, sink: &mut Sink) {
    let Arg::Const(c) = ins.arg else { return };
    let Some(&id) = f.consts.get(c) else {
        return; // NB: the index itself is ConstIndex's to report.
    };
    let ok = match m.get(id) {
        Value::Tuple(items) => items
            .iter()
            .all(|&x| matches!(m.get(x), Value::Str(_)) || m.str(x).is_some()),
        _ => false,
    };
    if !ok {
        sink.at(
            f,
            I::ArgRange,
            b,
            Some(k),
            format!("KW_NAMES's constant {} is not a tuple of strings", c.0),
        );
    }
}

/// [`ConstOperand`]: the tuple constant loaded right before `ins`.
#[allow(clippy::too_many_arguments)]
fn operand(
    f: &Function,
    m: &Marshal,
    t: &opcodes::OpTable,
    want: ConstOperand,
    before: Option<&Instr>,
    b: usize,
    k: usize,
    ins: &Instr,
    sink: &mut Sink,
) {
    let name = t.get(ins.op).map_or("?", |i| i.name);
    let Arg::Int(n) = ins.arg else { return };
    let items = match before.map(|x| (x.op == Opcode::LoadConst, x.arg)) {
        Some((true, Arg::Const(c))) => match f.consts.get(c).map(|&id| m.get(id)) {
            Some(Value::Tuple(items)) => Some(items),
            None => return, // NB: the index itself is ConstIndex's to report.
            _ => None,
        },
        _ => None,
    };
    let problem = match (want, items) {
        (_, None) => Some("a LOAD_CONST of a tuple right before it".to_string()),
        (ConstOperand::KeysOfArg, Some(items)) if items.len() != n as usize => {
            Some(format!("{n} keys, but its tuple has {}", items.len()))
        }
        (ConstOperand::KwNamesWithinArg, Some(items)) if items.len() > n as usize => Some(format!(
            "at most {n} keyword names, but its tuple has {}",
            items.len()
        )),
        (ConstOperand::KwNamesWithinArg, Some(items))
            if !items.iter().all(|&x| m.str(x).is_some()) =>
        {
            Some("keyword names that are strings".to_string())
        }
        _ => None,
    };
    if let Some(p) = problem {
        sink.at(
            f,
            I::ArgRange,
            b,
            Some(k),
            format!("{name} {n} needs {p} (it reads the tuple without a check)"),
        );
    }
}
