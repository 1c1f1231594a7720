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

use crate::opcodes::OpTable;
use crate::version::PyVersion;

/// Values `name` pushes with argument `arg` (no-jump path), when known.
fn pushes(v: PyVersion, name: &str, arg: u32) -> Option<u32> {
    let n = arg;
    Some(match name {
        // pop k, push 1
        "BINARY_OP" | "BINARY_SUBSCR" | "BINARY_SLICE" | "COMPARE_OP" | "IS_OP" | "CONTAINS_OP"
        | "UNARY_NEGATIVE" | "UNARY_NOT" | "UNARY_INVERT" | "UNARY_POSITIVE" | "GET_ITER"
        | "GET_YIELD_FROM_ITER" | "GET_AWAITABLE" | "GET_AITER" | "BUILD_TUPLE" | "BUILD_LIST"
        | "BUILD_SET" | "BUILD_MAP" | "BUILD_STRING" | "BUILD_SLICE" | "BUILD_CONST_KEY_MAP"
        | "LIST_TO_TUPLE" | "IMPORT_NAME" | "FORMAT_VALUE" | "CONVERT_VALUE" | "FORMAT_SIMPLE"
        | "FORMAT_WITH_SPEC" | "MAKE_FUNCTION" | "CALL_FUNCTION" | "CALL_FUNCTION_KW" | "CALL_METHOD"
        | "CALL_FUNCTION_EX" | "CALL_INTRINSIC_1" | "CALL_INTRINSIC_2" | "MATCH_CLASS" | "TO_BOOL"
        | "END_SEND" | "YIELD_VALUE" | "LOAD_BUILD_CLASS" | "LOAD_ASSERTION_ERROR" | "SET_FUNCTION_ATTRIBUTE" => 1,
        _ if name.starts_with("BINARY_") || name.starts_with("INPLACE_") => 1,
        "CALL" | "CALL_KW" if v.at_least(12) => 1,
        // pop 1, push 2 (the first value stays)
        "LOAD_METHOD" | "DUP_TOP" | "GET_LEN" | "MATCH_MAPPING" | "MATCH_SEQUENCE" | "IMPORT_FROM"
        | "GET_ANEXT" | "FOR_ITER" | "BEFORE_WITH" | "BEFORE_ASYNC_WITH" | "PUSH_EXC_INFO" => 2,
        "LOAD_ATTR" if v.at_least(12) => 1 + (arg & 1),
        "LOAD_ATTR" => 1,
        "LOAD_SUPER_ATTR" => 1 + (arg & 1),
        "MATCH_KEYS" if v.at_least(11) => 3,
        "DUP_TOP_TWO" => 4,
        "ROT_TWO" => 2,
        "ROT_THREE" => 3,
        "ROT_FOUR" => 4,
        "ROT_N" | "SWAP" => n,
        "COPY" => n + 1,
        // the container `n` deep stays, the item(s) above it go
        "LIST_APPEND" | "SET_ADD" | "MAP_ADD" | "LIST_EXTEND" | "SET_UPDATE" | "DICT_UPDATE" | "DICT_MERGE" => n,
        // RERAISE n (3.10+) reads the saved lasti `n` deep under the exception
        "RERAISE" if v.at_least(10) => n,
        "SEND" if v.at_least(11) => 2,
        _ => return None,
    })
}

/// How many stack values instruction `op` with raw argument `arg` reads
/// (no-jump path) given its net effect `net`: at least `-net`.
pub(super) fn reads(t: &OpTable, op: u8, arg: u32, net: i32) -> i64 {
    let floor = i64::from(-net).max(0);
    let Some(info) = t.get(op) else { return floor };
    match pushes(t.version, info.name, arg) {
        Some(p) => (i64::from(p) - i64::from(net)).max(floor),
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
/// instructions laid out before, NOPs skipped (name, raw argument).
/// Returns the problem, if any.
pub(super) fn argument_rule(t: &OpTable, name: &str, arg: u32, nfree: usize, prev: Option<(&str, u32)>, prev2: Option<(&str, u32)>) -> Option<String> {
    match name {
        // NB: 0 would make the item its own container (or copy nothing).
        "LIST_APPEND" | "SET_ADD" | "MAP_ADD" | "LIST_EXTEND" | "SET_UPDATE" | "DICT_UPDATE" | "DICT_MERGE" | "COPY"
            if arg == 0 =>
        {
            Some(format!("{name} 0: the argument counts from 1"))
        }
        "SWAP" if arg < 2 => Some(format!("SWAP {arg}: the argument counts from 2")),
        // NB: CPython hands the value below to the function constructor as
        // a code object unchecked; the compiler always loads it right before
        // (3.8-3.10: the code, then its qualified name).
        "MAKE_FUNCTION" => {
            let loads = |p: Option<(&str, u32)>| p.is_some_and(|(n, _)| n == "LOAD_CONST");
            let ok = if t.version.at_least(11) { loads(prev) } else { loads(prev) && loads(prev2) };
            (!ok).then(|| {
                let what = if t.version.at_least(11) { "a LOAD_CONST of its code object" } else { "LOAD_CONST code; LOAD_CONST qualname" };
                format!("MAKE_FUNCTION must come right after {what}")
            })
        }
        "COPY_FREE_VARS" if arg as usize != nfree => {
            Some(format!("COPY_FREE_VARS {arg} but the code has {nfree} free variable(s)"))
        }
        "CALL" if t.version.minor == 11 => match prev {
            Some(("PRECALL", p)) if p == arg => None,
            Some(("PRECALL", p)) => Some(format!("CALL {arg} after PRECALL {p}: 3.11 needs the same count")),
            _ => Some("3.11 CALL must come right after a PRECALL with the same count".into()),
        },
        // NB: 3.13 adds bit 2 (the stack holds one value: after a yield).
        "RESUME" if arg > if t.version.at_least(13) { 7 } else { 3 } => {
            Some(format!("RESUME {arg}: the kind is 0 to 3{}", if t.version.at_least(13) { ", plus 4 after a yield" } else { "" }))
        }
        _ => None,
    }
}
