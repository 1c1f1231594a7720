//! 3.8/3.9: which constant tuples the peephole optimizer folded, so the
//! stack depth can be counted the way CPython counted it (see
//! docs/stackdepth.md, "3.8/3.9 peephole folding").
//!
//! CPython 3.8 and 3.9 compute `co_stacksize` in the compiler, on code that
//! still loads `x1 .. xn` and runs `BUILD_TUPLE n`; the peephole optimizer
//! then folds that into one `LOAD_CONST (x1, .., xn)`. The stored size
//! therefore counts `n` slots where the final code needs one. Facts the
//! recognition below rests on (compile.c `makecode`, peephole.c
//! `fold_tuple_on_constants`):
//!
//! - the folded tuple is appended to the end of `co_consts` (no dedup), so
//!   the folds form a tail of the constants, in code order, each loaded by
//!   exactly one instruction;
//! - its items were loaded by the compiler, so each is a constant at a
//!   lower index (compared as the compiler keys constants: by type and
//!   value, floats by bits);
//! - after the AST optimizer, a `BUILD_TUPLE` of constants only survives
//!   into the peephole as positional defaults (`MAKE_FUNCTION` flag 1), the
//!   positional tuple of a call with `**kwargs` (`CALL_FUNCTION_EX` flag 1),
//!   and on 3.8 the chunks of a starred call, list or tuple display
//!   (`BUILD_*_UNPACK*`).
//!
//! Tuples the compiler itself adds (keyword names, import names, tuples
//! folded by the AST optimizer) may also end up last in `co_consts`; the
//! consumer check tells them apart. Measured on the whole 3.8 and 3.9
//! standard libraries, the rule gives CPython's size for every code object
//! (tests/stackdepth_oracle.rs).

use crate::ir::{Arg, ConstIdx, Function};
use crate::marshal::{Marshal, ObjId, Value};
use crate::opcodes::{self, OpTable, Opcode, Opcode as O};

/// The `LOAD_CONST`s of `f` (by constant index) whose tuple the 3.8/3.9
/// peephole optimizer folded, with the item count CPython's depth counted
/// for them. Empty for other versions.
pub fn folded_tuples(m: &Marshal, f: &Function) -> Vec<(ConstIdx, u32)> {
    let Some(t) = opcodes::table(f.version) else {
        return Vec::new();
    };
    let Some(load_const) = t.code(Opcode::LoadConst) else {
        return Vec::new();
    };
    // NB: rows carry `fresh_pushes` exactly where CPython's peephole
    // optimizer folded tuples (3.8 and 3.9).
    if t.facts(load_const).fresh_pushes.is_none() {
        return Vec::new();
    }
    // NB: most functions end their constants with something other than a
    // non-empty tuple; decide that before looking at any instruction.
    if !f
        .consts
        .last()
        .is_some_and(|&c| tuple_len(m, c).is_some_and(|n| n > 0))
    {
        return Vec::new();
    }
    // (block, instruction, constant) of every LOAD_CONST, in layout order.
    let mut loads = Vec::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            if let (true, Arg::Const(c)) = (ins.op == Opcode::LoadConst, ins.arg) {
                loads.push((bi, k, c.0 as usize));
            }
        }
    }
    let tail = tail_start(m, f, &loads);
    let mut out = Vec::new();
    for &(bi, k, c) in &loads {
        // NB: an index past co_consts is the verifier's to report, not ours.
        let Some(&id) = f.consts.as_slice().get(c).filter(|_| c >= tail) else {
            continue;
        };
        let n = tuple_len(m, id).unwrap_or(0);
        if n >= 2 && feeds_tuple_slot(t, f, bi, k) {
            out.push((ConstIdx(c as u32), n as u32));
        }
    }
    out
}

fn tuple_len(m: &Marshal, id: ObjId) -> Option<usize> {
    match m.get(id) {
        Value::Tuple(items) => Some(items.len()),
        _ => None,
    }
}

/// The compiler's constant-key equality: same type and value, floats by
/// their bits (so `1`, `1.0` and `True` differ, and `0.0` differs from `-0.0`).
fn same_key(m: &Marshal, a: ObjId, b: ObjId) -> bool {
    if a == b {
        return true;
    }
    match (m.get(a), m.get(b)) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Long(x), Value::Long(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Complex(a1, b1), Value::Complex(a2, b2)) => {
            a1.to_bits() == a2.to_bits() && b1.to_bits() == b2.to_bits()
        }
        (Value::Str(x), Value::Str(y)) | (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Tuple(x), Value::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_key(m, *p, *q))
        }
        (Value::FrozenSet(x), Value::FrozenSet(y)) => {
            x.len() == y.len() && x.iter().all(|p| y.iter().any(|q| same_key(m, *p, *q)))
        }
        (Value::None, Value::None)
        | (Value::True, Value::True)
        | (Value::False, Value::False)
        | (Value::Ellipsis, Value::Ellipsis) => true,
        _ => false,
    }
}

/// Index of the first constant of the peephole tail: walking back from
/// the end, each constant is a non-empty tuple loaded at most once whose
/// items all occur earlier; then the tail's loads, in layout order, must
/// use increasing indices (the optimizer appends as it scans), so the tail
/// loses its front until they do.
fn tail_start(m: &Marshal, f: &Function, loads: &[(usize, usize, usize)]) -> usize {
    let k = f.consts.len();
    let mut refs = vec![0u32; k];
    for &(_, _, c) in loads {
        if let Some(r) = refs.get_mut(c) {
            *r += 1;
        }
    }
    let mut b = k;
    while b > 0 {
        let Value::Tuple(items) = m.get(f.consts.as_slice()[b - 1]) else {
            break;
        };
        let earlier = &f.consts.as_slice()[..b - 1];
        if items.is_empty()
            || refs[b - 1] > 1
            || !items
                .iter()
                .all(|&it| earlier.iter().any(|&c| same_key(m, c, it)))
        {
            break;
        }
        b -= 1;
    }
    loop {
        let mut last = None;
        let increasing = loads
            .iter()
            .map(|l| l.2)
            .filter(|&c| c >= b && c < k)
            .all(|c| {
                let ok = last.is_none_or(|p| p < c);
                last = Some(c);
                ok
            });
        if increasing {
            return b;
        }
        b += 1;
    }
}

/// Whether the value loaded by instruction `k` of block `bi` is next
/// popped where the compiler builds a tuple of loaded values: as the
/// defaults of `MAKE_FUNCTION`, as the positional tuple of
/// `CALL_FUNCTION_EX` with `**kwargs`, or (3.8) by a `BUILD_*_UNPACK*`.
/// Follows fall-through and unconditional jumps.
fn feeds_tuple_slot(t: &OpTable, f: &Function, bi: usize, k: usize) -> bool {
    let mut above = 0i32; // values pushed on top of ours since
    let (mut b, mut i) = (bi, k + 1);
    // NB: bounded, in case unconditional jumps form a loop.
    for _ in 0..10_000 {
        let Some(blk) = f.blocks.get(b) else {
            return false;
        };
        let Some(ins) = blk.instrs.get(i) else {
            (b, i) = (b + 1, 0);
            continue;
        };
        let Some(info) = t.get(ins.op) else {
            return false;
        };
        let raw = super::raw_arg(t, ins.op, ins.arg);
        let Some(net) = t.stack_effect(ins.op, raw, Some(false)) else {
            return false;
        };
        // NB: what it pops follows as pushes minus its stack effect.
        let pushes = info.facts.fresh_pushes.map_or(1, |c| c.of(raw) as i32);
        let pops = pushes - net;
        if pops > above {
            return match info.op {
                O::MakeFunction => raw & 1 == 1 && pops == above + 1,
                // NB: without **kwargs the positional tuple is one starred
                // value or a BUILD_TUPLE_UNPACK_WITH_CALL, never a BUILD_TUPLE.
                O::CallFunctionEx => raw & 1 == 1 && pops == above + 2,
                // NB: set displays build their chunks with BUILD_SET.
                O::BuildTupleUnpackWithCall | O::BuildTupleUnpack | O::BuildListUnpack => true,
                _ => false,
            };
        }
        above += net;
        match (info.op, ins.arg) {
            (O::JumpAbsolute | O::JumpForward, Arg::Jump(l)) => match f.block_index(l) {
                Some(j) => (b, i) = (j, 0),
                None => return false,
            },
            (O::ReturnValue | O::RaiseVarargs | O::Reraise, _) => return false,
            _ => i += 1,
        }
    }
    false
}
