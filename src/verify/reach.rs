//! How deep into the stack an instruction reads, and the per-opcode
//! argument rules CPython's interpreter trusts without checking.
//!
//! NB: `stack_effect` gives only the net change, so an instruction that
//! pops two and pushes one looks like "-1" and passes a depth-1 stack,
//! where CPython reads a slot below the frame's stack and crashes. The
//! table below gives, for opcodes whose pushes are known for certain, how
//! many values they push on the path that does not jump; what they read is
//! then `pushes - net`. Opcodes not listed fall back to `-net`, which can
//! only under-count: a missing entry lets a bad stack through, it never
//! rejects good code. Found by running mutated corpus code that the
//! verifier accepted (docs/verifier.md, "Mutants").

use crate::opcodes::{OpKey, OpTable, Opcode};

/// How many stack values instruction `op` with raw argument `arg` reads
/// (no-jump path) given its net effect `net`: at least `-net`, and
/// `pushes - net` where the row knows what it pushes
/// ([`crate::opcodes::OpFacts::pushes`]).
pub(super) fn reads(t: &OpTable, op: impl OpKey, arg: u32, net: i32) -> i64 {
    let floor = i64::from(-net).max(0);
    match t.facts(op).pushes {
        Some(p) => (i64::from(p.of(arg)) - i64::from(net)).max(floor),
        None => floor,
    }
}

/// Arguments CPython uses unchecked, so a wrong one reads past an array:
/// `COPY_FREE_VARS n` copies `n` cells from the closure (must be the
/// number of free variables), 3.11's `CALL n` reads its callable `n`
/// deep where `PRECALL n` just before it left it (their arguments must be
/// equal), `RESUME`'s kind is one of the four CPython writes, the
/// container and copy operands count from 1, and `MAKE_FUNCTION` follows
/// the constant load of its code object. `prev` and `prev2` are the two
/// instructions laid out before, NOPs skipped (opcode, raw argument).
/// Returns the problem, if any.
pub(super) fn argument_rule(
    t: &OpTable,
    op: Opcode,
    arg: u32,
    nfree: usize,
    prev: Option<(Opcode, u32)>,
    prev2: Option<(Opcode, u32)>,
) -> Option<String> {
    use Opcode as O;
    let name = op.name();
    match op {
        // NB: 0 would make the item its own container (or copy nothing).
        O::ListAppend
        | O::SetAdd
        | O::MapAdd
        | O::ListExtend
        | O::SetUpdate
        | O::DictUpdate
        | O::DictMerge
        | O::Copy
            if arg == 0 =>
        {
            Some(format!("{name} 0: the argument counts from 1"))
        }
        O::Swap if arg < 2 => Some(format!("SWAP {arg}: the argument counts from 2")),
        // NB: 3.10 ROT_N 0 memmoves -1 values (ceval.c).
        O::RotN if arg < 1 => Some(format!("ROT_N {arg}: the argument counts from 1")),
        // NB: 3.13+ ceval indexes its table of conversion functions (str,
        // repr, ascii at 1-3; slot 0 is NULL) with the argument unchecked.
        O::ConvertValue if !(1..=3).contains(&arg) => Some(format!(
            "CONVERT_VALUE {arg}: the conversion is 1 (str), 2 (repr) or 3 (ascii)"
        )),
        // NB: bit 0 says a kwargs dict sits on top; ceval reads it when set
        // (3.8-3.13; 3.14 always has the slot), other bits are no flag.
        O::CallFunctionEx if arg > 1 => {
            Some(format!("CALL_FUNCTION_EX {arg}: the argument is 0 or 1"))
        }
        // NB: 3.8 POP_FINALLY keeps the top value when its argument is
        // nonzero; the compiler writes 0 or 1, and the stack model counts
        // the argument as the values it keeps.
        O::PopFinally if arg > 1 => Some(format!("POP_FINALLY {arg}: the argument is 0 or 1")),
        // NB: CPython hands the value below to the function constructor as
        // a code object unchecked; the compiler always loads it right before
        // (3.8-3.10: the code, then its qualified name).
        O::MakeFunction => {
            let loads = |p: Option<(Opcode, u32)>| p.is_some_and(|(n, _)| n == O::LoadConst);
            let ok = match make_function_loads(t) {
                1 => loads(prev),
                _ => loads(prev) && loads(prev2),
            };
            (!ok).then(|| {
                let what = match make_function_loads(t) {
                    1 => "a LOAD_CONST of its code object",
                    _ => "LOAD_CONST code; LOAD_CONST qualname",
                };
                format!("MAKE_FUNCTION must come right after {what}")
            })
        }
        O::CopyFreeVars if arg as usize != nfree => Some(format!(
            "COPY_FREE_VARS {arg} but the code has {nfree} free variable(s)"
        )),
        // NB: only 3.11 has PRECALL; its CALL reads what PRECALL left.
        O::Call if t.code(O::Precall).is_some() => match prev {
            Some((O::Precall, p)) if p == arg => None,
            Some((O::Precall, p)) => Some(format!(
                "CALL {arg} after PRECALL {p}: 3.11 needs the same count"
            )),
            _ => Some("3.11 CALL must come right after a PRECALL with the same count".into()),
        },
        // NB: 3.13 adds bit 2 (the stack holds one value: after a yield).
        O::Resume if arg > if t.version.at_least(13) { 7 } else { 3 } => Some(format!(
            "RESUME {arg}: the kind is 0 to 3{}",
            if t.version.at_least(13) {
                ", plus 4 after a yield"
            } else {
                ""
            }
        )),
        _ => None,
    }
}

/// How many values `MAKE_FUNCTION 0` pops: 2 (code, qualified name) before
/// 3.11, 1 after; read off the table's stack effect (it pushes one).
pub(super) fn make_function_loads(t: &OpTable) -> u32 {
    let effect = t
        .code(Opcode::MakeFunction)
        .and_then(|c| t.stack_effect(c, 0, None))
        .unwrap_or(0);
    u32::try_from(1 - effect).unwrap_or(1)
}
