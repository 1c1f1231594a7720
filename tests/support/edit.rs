//! Editing lifted functions in the verifier tests: opcodes by name, a
//! prefix after `RESUME`, and the problems of one invariant.

use pyrewrite::ir::{Arg, Function, Instr};
use pyrewrite::marshal::Marshal;
use pyrewrite::opcodes::{OpTable, Opcode};
use pyrewrite::verify::{self, Invariant};

/// Opcode `name`, if this version has it.
pub fn code(t: &OpTable, name: &str) -> Option<Opcode> {
    t.by_name(name).map(|i| i.op)
}

/// `name` with `arg` (the opcode must exist).
pub fn ins(t: &OpTable, name: &str, arg: Arg) -> Instr {
    Instr::new(code(t, name).unwrap(), arg)
}

/// The verifier's messages for `inv` on `g`.
pub fn errors(m: &Marshal, g: &Function, inv: Invariant) -> Vec<String> {
    verify::verify_in(g, m)
        .err()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.invariant == inv)
        .map(|e| e.to_string())
        .collect()
}

/// Asserts that the verifier refuses `g` for `inv` with a message that
/// contains `needle`; `ctx` (e.g. the version) leads the failure message.
pub fn assert_refused(m: &Marshal, g: &Function, inv: Invariant, needle: &str, ctx: &str) {
    let errs = errors(m, g, inv);
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "{ctx}: {needle:?} not among {errs:?}"
    );
}

/// `f` with `seq` inserted after RESUME (3.11+) or at the start, and
/// `co_stacksize` recomputed.
pub fn with_prefix(f: &Function, t: &OpTable, seq: Vec<Instr>) -> Function {
    let mut g = f.clone();
    let at = f.blocks[0]
        .instrs
        .iter()
        .rposition(|i| t.get(i.op).is_some_and(|o| o.name == "RESUME"))
        .map_or(0, |k| k + 1);
    g.blocks[0].instrs.splice(at..at, seq);
    g.stacksize = pyrewrite::stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    g
}

/// The argument that picks intrinsic `name` from one of a table's
/// intrinsic lists (`t.intrinsic1`, `t.intrinsic2`), if the version has it.
pub fn intrinsic(list: &[&str], name: &str) -> Option<u32> {
    list.iter().position(|n| *n == name).map(|i| i as u32)
}
