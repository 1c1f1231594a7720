//! IR to bytecode: `co_code`, the line table, the exception table and the
//! constant/name/local tuples of a [`Function`], written back into the arena.
//!
//! Jumps get their final form by a fixpoint over instruction sizes: every
//! instruction starts with `max(ins.ext, prefixes its argument needs)`
//! EXTENDED_ARG prefixes, jump arguments are computed from the current
//! offsets, and any instruction whose argument no longer fits grows; sizes
//! only grow, so the loop ends. A relative jump whose target lies on the
//! other side switches to its counterpart opcode (`JUMP_FORWARD` <->
//! `JUMP_BACKWARD`, 3.11's `POP_JUMP_FORWARD_IF_*` <-> `POP_JUMP_BACKWARD_IF_*`,
//! `JUMP_FORWARD` -> `JUMP_ABSOLUTE` before 3.11). See docs/ir.md.

mod tables;

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Function, Label, LabelIndex};
use crate::lift;
use crate::marshal::{Marshal, ObjId, Value};
use crate::opcodes::{self, OpKey, OpTable};

pub use tables::{exception_table, line_table};

/// The bytes of an assembled function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assembled {
    /// `co_code`.
    pub code: Vec<u8>,
    /// `co_lnotab` (3.8/3.9) or `co_linetable` (3.10+).
    pub linetable: Vec<u8>,
    /// `co_exceptiontable` (empty before 3.11).
    pub exceptiontable: Vec<u8>,
    /// Per instruction (layout order): byte offset of its first prefix and
    /// one past its last cache byte.
    pub spans: Vec<(u32, u32)>,
    /// Per instruction: the opcode written (differs from the IR's where a
    /// jump switched direction).
    pub ops: Vec<u8>,
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::Invalid(msg))
}

/// EXTENDED_ARG prefixes needed for argument `arg`.
pub fn prefixes_needed(arg: u32) -> u8 {
    match arg {
        0..=0xff => 0,
        0x100..=0xffff => 1,
        0x1_0000..=0xff_ffff => 2,
        _ => 3,
    }
}

/// The number CPython stores for a non-jump argument of opcode `op`.
pub fn encode_arg(t: &OpTable, op: impl OpKey, arg: Arg) -> Result<u32> {
    match raw_arg(t, op, arg) {
        Some(n) => Ok(n),
        None => Err(arg_error(t, op, arg)),
    }
}

/// [`encode_arg`] without the reason: `None` where it fails. The hot
/// paths (assembler, stack depth) call this and build errors only on failure.
#[inline]
pub fn raw_arg(t: &OpTable, op: impl OpKey, arg: Arg) -> Option<u32> {
    Some(match arg {
        Arg::None => 0,
        Arg::Int(n) | Arg::Compare(n) | Arg::BinaryOp(n) => n,
        Arg::Local(i) => i.0,
        Arg::Free(i) => i.0,
        Arg::Const(c) => c.0,
        Arg::Name { index, flags } => {
            let s = u32::from(t.facts(op).name_shift);
            if u32::from(flags) >> s != 0 {
                return None;
            }
            (index.0 << s) | u32::from(flags)
        }
        Arg::LocalPair(a, b) => {
            if a.0 > 15 || b.0 > 15 {
                return None;
            }
            (a.0 << 4) | b.0
        }
        Arg::Jump(_) => return None,
    })
}

#[cold]
fn arg_error(t: &OpTable, op: impl OpKey, arg: Arg) -> Error {
    match arg {
        Arg::Name { flags, .. } => {
            let name = t.get(op).map_or("", |i| i.name);
            let s = t.facts(op).name_shift;
            invalid(format!("{name}: flags {flags} do not fit in {s} bit(s)"))
        }
        Arg::LocalPair(a, b) => {
            invalid(format!("local pair ({a}, {b}) does not fit in 4 bits each"))
        }
        Arg::Jump(l) => invalid(format!("jump to {l} outside the assembler's jump pass")),
        _ => invalid(format!(
            "argument {arg:?} of opcode {}",
            t.get(op).map_or("?", |i| i.name)
        )),
    }
}

#[inline]
fn caches(t: &OpTable, op: u8) -> u32 {
    t.get(op).map_or(0, |i| u32::from(i.cache_entries))
}

/// Chooses the opcode and argument of jump `op` at `op_offset` to `target`
/// (byte offsets), switching direction where the version allows it.
fn fit_jump(t: &OpTable, op: u8, op_offset: u32, target: u32) -> Result<(u8, u32)> {
    let info = t
        .get(op)
        .ok_or_else(|| invalid(format!("undefined opcode {op}")))?;
    let j = info
        .jump
        .ok_or_else(|| invalid(format!("{} takes no jump target", info.name)))?;
    let unit = u32::from(j.unit_bytes);
    if !j.relative {
        return Ok((op, target / unit));
    }
    let next = op_offset + 2 + 2 * caches(t, op);
    let (dist, ok) = if j.backward {
        (next.wrapping_sub(target), target <= next)
    } else {
        (target.wrapping_sub(next), target >= next)
    };
    if ok {
        return Ok((op, dist / unit));
    }
    let other = info.facts.retarget.and_then(|o| t.code(o));
    match other {
        Some(o) if o != op => fit_jump(t, o, op_offset, target),
        _ => Err(invalid(format!(
            "{} at byte {op_offset} cannot reach byte {target} (only {}; rewrite the jump)",
            info.name,
            if j.backward { "backward" } else { "forward" }
        ))),
    }
}

/// One instruction while its size settles.
#[derive(Clone, Copy)]
struct Slot {
    op: u8,
    /// EXTENDED_ARG prefixes.
    ext: u8,
    arg: u32,
    /// Index of the first instruction of the jump's target, or `NO_JUMP`.
    target: u32,
}

const NO_JUMP: u32 = u32::MAX;

/// Assembles `f` into bytes without touching any arena.
pub fn assemble_bytes(f: &Function) -> Result<Assembled> {
    let t = opcodes::table(f.version).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "opcodes of Python {}",
            f.version
        )))
    })?;
    // Index of the first instruction of each block (== next block's for empty ones).
    let (blocks, dup) = LabelIndex::new(&f.blocks);
    if let Some(l) = dup {
        return Err(invalid(format!("two blocks called {l}")));
    }
    let mut first = Vec::with_capacity(f.blocks.len());
    let mut n = 0usize;
    for b in &f.blocks {
        first.push(n);
        n += b.instrs.len();
    }
    let index_of = |l: Label| {
        blocks
            .get(l)
            .map(|b| first[b])
            .ok_or_else(|| invalid(format!("no block called {l}")))
    };
    // NB: one vector of small slots instead of one per field: fewer
    // allocations per code object (docs/benchmarks.md).
    let mut slots: Vec<Slot> = Vec::with_capacity(n);
    for ins in f.instrs() {
        let op = match t.code(ins.op) {
            Some(b) if b != t.extended_arg => b,
            Some(_) => {
                return Err(invalid(format!(
                    "{} cannot be assembled as an instruction",
                    ins.op.name()
                )))
            }
            None => {
                return Err(invalid(format!(
                    "{} does not exist in Python {}",
                    ins.op.name(),
                    f.version
                )))
            }
        };
        let (arg, target) = match ins.arg {
            Arg::Jump(l) => (0, index_of(l)? as u32),
            a => (encode_arg(t, op, a)?, NO_JUMP),
        };
        slots.push(Slot {
            op,
            ext: ins.ext.max(prefixes_needed(arg)),
            arg,
            target,
        });
    }
    let size = |s: &Slot| 2 * (u32::from(s.ext) + 1 + caches(t, s.op));
    // Per instruction: byte offset of its first prefix and one past its caches.
    let mut spans: Vec<(u32, u32)> = vec![(0, 0); n];
    let mut rounds = 0;
    loop {
        let mut at = 0u32;
        for (sp, s) in spans.iter_mut().zip(&slots) {
            *sp = (at, at + size(s));
            at = sp.1;
        }
        let start_of = |k: usize| spans.get(k).map_or(at, |s| s.0);
        let mut changed = false;
        for i in 0..n {
            let s = slots[i];
            if s.target == NO_JUMP {
                continue;
            }
            let op_offset = spans[i].0 + 2 * u32::from(s.ext);
            let (op, arg) = fit_jump(t, s.op, op_offset, start_of(s.target as usize))?;
            let slot = &mut slots[i];
            slot.arg = arg;
            if op != slot.op {
                slot.op = op;
                changed = true;
            }
            if prefixes_needed(arg) > slot.ext {
                slot.ext = prefixes_needed(arg);
                changed = true;
            }
        }
        if !changed {
            break;
        }
        rounds += 1;
        if rounds > 100 {
            return Err(invalid("jump sizes do not settle".into()));
        }
    }
    let total = spans.last().map_or(0, |s| s.1);
    let mut code = Vec::with_capacity(total as usize);
    for s in &slots {
        for k in (1..=u32::from(s.ext)).rev() {
            code.extend_from_slice(&[t.extended_arg, (s.arg >> (8 * k)) as u8]);
        }
        code.extend_from_slice(&[s.op, s.arg as u8]);
        code.resize(code.len() + 2 * caches(t, s.op) as usize, 0);
    }
    let linetable = line_table(f, &spans)?;
    let handler_offset = |l: Label| index_of(l).map(|k| spans.get(k).map_or(total, |s| s.0));
    let exceptiontable = exception_table(f, &spans, &handler_offset)?;
    let ops = slots.iter().map(|s| s.op).collect();
    Ok(Assembled {
        code,
        linetable,
        exceptiontable,
        spans,
        ops,
    })
}

/// `orig` when it holds exactly `new`, else a new bytes node.
fn bytes_node(m: &mut Marshal, orig: ObjId, new: &[u8]) -> ObjId {
    if m.bytes(orig) == Some(new) {
        orig
    } else {
        m.push(Value::Bytes(new.into()))
    }
}

/// `orig` when it is a tuple of exactly `items`, else a new tuple node.
fn tuple_node(m: &mut Marshal, orig: ObjId, items: &[ObjId]) -> ObjId {
    if matches!(m.get(orig), Value::Tuple(_)) && m.items(orig) == items {
        orig
    } else {
        m.push(Value::Tuple(items.into()))
    }
}

/// Assembles `f` and replaces the fields of code object `code` in `m` with
/// the result. Nodes whose content is unchanged are kept (so an unchanged
/// function leaves the file byte for byte as it was); `co_stacksize` is
/// written as `f.stacksize`.
pub fn assemble(f: &Function, m: &mut Marshal, code: ObjId) -> Result<()> {
    let a = assemble_bytes(f)?;
    let Value::Code(c) = m.get(code) else {
        return Err(Error::new(ErrorKind::UnexpectedType {
            expected: "a code object",
            found: "another value".into(),
        }));
    };
    // NB: copy the ids out, create the new nodes, then edit the code
    // object where it lies (no clone of the Code box per function).
    let (old_code, old_lines, old_exc, old_consts, old_names, old_vars) = (
        c.code,
        c.linetable,
        c.exceptiontable,
        c.consts,
        c.names,
        c.varnames,
    );
    let (old_kinds, old_cells, old_frees) = (c.localspluskinds, c.cellvars, c.freevars);
    let code_bytes = bytes_node(m, old_code, &a.code);
    let linetable = bytes_node(m, old_lines, &a.linetable);
    let exceptiontable = old_exc.map(|e| bytes_node(m, e, &a.exceptiontable));
    let consts = tuple_node(m, old_consts, &f.consts);
    let names = tuple_node(m, old_names, &f.names);
    let varnames = tuple_node(m, old_vars, &f.localsplus);
    let localspluskinds = old_kinds.map(|k| bytes_node(m, k, &f.localspluskinds));
    let cellvars = old_cells.map(|x| tuple_node(m, x, &f.cellvars));
    let freevars = old_frees.map(|x| tuple_node(m, x, &f.freevars));
    let Value::Code(c) = m.get_mut(code) else {
        unreachable!("checked above")
    };
    c.code = code_bytes;
    c.linetable = linetable;
    c.exceptiontable = exceptiontable;
    c.consts = consts;
    c.names = names;
    c.varnames = varnames;
    c.localspluskinds = localspluskinds;
    c.cellvars = cellvars;
    c.freevars = freevars;
    c.argcount = f.argcount;
    c.posonlyargcount = f.posonlyargcount;
    c.kwonlyargcount = f.kwonlyargcount;
    c.nlocals = f.nlocals;
    c.stacksize = f.stacksize;
    c.flags = f.flags;
    c.firstlineno = f.firstlineno;
    c.name = f.name;
    c.qualname = f.qualname;
    c.filename = f.filename;
    Ok(())
}

/// Lifts and re-assembles every code object of `m` with no change in
/// between (the identity round trip); stops at the first error.
pub fn roundtrip_all(m: &mut Marshal) -> Result<()> {
    for (id, _) in m.code_objects() {
        let f = lift::lift(m, id)?;
        assemble(&f, m, id)?;
    }
    Ok(())
}
