//! Stack depth before every instruction and `co_stacksize`, computed by
//! CPython's own rule for each version (see docs/stackdepth.md).
//!
//! Every reachable block gets one start depth. Walking a block, each
//! instruction changes the depth by `stack_effect(op, arg, jump=False)`;
//! a jump hands `depth + stack_effect(op, arg, jump=True)` to its target
//! (3.8-3.10 `SETUP_*` included, which is how handlers get their depth
//! there); on 3.11+ a handler starts at `depth + 1 + lasti` of its
//! exception-table entry; a block that does not end in a terminator hands
//! its final depth to the next block. The maximum over all of it is
//! `co_stacksize`. Two different depths for one block, or a depth below
//! zero, make the code invalid. Unreachable blocks get no depth.

pub mod peephole;

use crate::cfg::flow::{self, JumpUse};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Function, Instr, Label, LabelIndex};
use crate::opcodes::{self, OpKey, OpTable, Opcode};

/// The result of the analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackDepths {
    /// The largest depth anywhere: what `co_stacksize` must be.
    pub max: i32,
    /// Blocks unreachable in the final code that CPython still counted:
    /// orphaned 3.11+ exception handlers (see [`analyze`]), by index.
    pub orphans: Vec<usize>,
    // NB: one flat vector for the whole function (block `b` owns
    // `depths[offsets[b]..offsets[b + 1]]`): one allocation, not one per block.
    depths: Vec<i32>,
    offsets: Vec<u32>,
    reached: Vec<bool>,
}

impl StackDepths {
    fn new(f: &Function) -> Self {
        let mut offsets = Vec::with_capacity(f.blocks.len() + 1);
        let mut at = 0u32;
        for b in &f.blocks {
            offsets.push(at);
            at += b.instrs.len() as u32 + 1;
        }
        offsets.push(at);
        StackDepths {
            max: 0,
            orphans: Vec::new(),
            depths: vec![0; at as usize],
            offsets,
            reached: vec![false; f.blocks.len()],
        }
    }

    /// Block index `block` (layout order): the depth before each
    /// instruction, then the depth after the last one (`instrs.len() + 1`
    /// values); `None` for blocks the entry does not reach. Instructions
    /// after a terminator in the middle of a block are dead and repeat the
    /// terminator's result.
    pub fn block(&self, block: usize) -> Option<&[i32]> {
        if !*self.reached.get(block)? {
            return None;
        }
        Some(&self.depths[self.offsets[block] as usize..self.offsets[block + 1] as usize])
    }

    fn block_mut(&mut self, block: usize) -> &mut [i32] {
        self.reached[block] = true;
        &mut self.depths[self.offsets[block] as usize..self.offsets[block + 1] as usize]
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.reached.len()
    }

    /// True for a function without blocks.
    pub fn is_empty(&self) -> bool {
        self.reached.is_empty()
    }

    /// Depth before instruction `instr` of block index `block`, if reachable.
    pub fn before(&self, block: usize, instr: usize) -> Option<i32> {
        self.block(block)?.get(instr).copied()
    }
}

/// What kind of problem a [`DepthError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DepthErrorKind {
    /// An instruction pops more than the stack holds.
    Underflow,
    /// A block is reached with two different depths.
    Mismatch,
    /// `stack_effect` knows no effect for the instruction.
    NoEffect,
    /// A jump or handler names a label no block has.
    MissingTarget,
}

/// A problem found while propagating depths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepthError {
    /// What kind of problem.
    pub kind: DepthErrorKind,
    /// Index of the block in [`Function::blocks`].
    pub block: usize,
    /// The block's label.
    pub label: Label,
    /// Index of the instruction in the block (the block's length for a
    /// problem at its end, e.g. the depth it falls through with).
    pub instr: usize,
    /// What is wrong.
    pub message: String,
}

/// The depth the entry block starts with: 1 for generators, coroutines and
/// async generators on 3.10-3.12 (their prologue, `GEN_START` or
/// `RETURN_GENERATOR; POP_TOP`, pops the value the first `send` pushes;
/// `RETURN_GENERATOR` has effect 0 there), 0 otherwise (3.13+ gives
/// `RETURN_GENERATOR` effect +1 instead).
pub fn entry_depth(f: &Function) -> i32 {
    let v = f.version;
    i32::from(v.at_least(10) && !v.at_least(13) && f.flags & flow::GENERATOR_FLAGS != 0)
}

fn table(f: &Function) -> Result<&'static OpTable> {
    opcodes::table(f.version).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "opcodes of Python {}",
            f.version
        )))
    })
}

/// What [`analyze`] finds: the depths and every problem, or why there is
/// no analysis (no opcode table for the version).
pub type Analysis = Result<(StackDepths, Vec<DepthError>)>;

/// The stack size [`analyze`] found, when it found no problem.
pub fn stacksize_of(a: &Analysis) -> Option<i32> {
    match a {
        Ok((d, errors)) if errors.is_empty() => Some(d.max),
        _ => None,
    }
}

/// Runs the analysis and returns the depths together with every problem
/// found (propagation goes on past problems, keeping the first depth a
/// block got).
pub fn analyze(f: &Function) -> Analysis {
    let t = table(f)?;
    let n = f.blocks.len();
    let mut w = Walk {
        f,
        t,
        by_label: LabelIndex::new(&f.blocks).0,
        start: vec![None; n],
        stack: Vec::new(),
        errors: Vec::new(),
        max: 0,
    };
    let mut out = StackDepths::new(f);
    let mut orphans = Vec::new();
    if n > 0 {
        w.push(0, entry_depth(f), 0, 0, "entry");
    }
    loop {
        while let Some(bi) = w.stack.pop() {
            w.block(bi, out.block_mut(bi));
        }
        // NB: see `orphan_start`: handlers whose SETUP covered nothing.
        let orphan = (0..n)
            .filter(|&i| w.start[i].is_none())
            .find_map(|i| orphan_start(f, t, i, &out).map(|d| (i, d)));
        match orphan {
            Some((i, d)) => {
                w.start[i] = Some(d);
                w.max = w.max.max(d);
                w.stack.push(i);
                orphans.push(i);
            }
            None => break,
        }
    }
    if f.version.at_least(13) {
        // NB: measured on 3.13 and 3.14: no code object has co_stacksize 0
        // (`def f(): raise` has 1, where 3.12 writes 0).
        w.max = w.max.max(1);
    }
    out.max = w.max;
    out.orphans = orphans;
    Ok((out, w.errors))
}

/// The propagation state of [`analyze`]: start depths found so far, the
/// blocks still to walk, the problems and the deepest stack seen.
struct Walk<'f> {
    f: &'f Function,
    t: &'static OpTable,
    by_label: LabelIndex,
    start: Vec<Option<i32>>,
    stack: Vec<usize>,
    errors: Vec<DepthError>,
    max: i32,
}

impl Walk<'_> {
    fn err(&mut self, kind: DepthErrorKind, block: usize, instr: usize, message: String) {
        let label = self.f.blocks[block].label;
        self.errors.push(DepthError {
            kind,
            block,
            label,
            instr,
            message,
        });
    }

    /// Hands `depth` to block `to`; reports a mismatch against `(from, instr)`.
    fn push(&mut self, to: usize, depth: i32, from: usize, instr: usize, how: &str) {
        match self.start[to] {
            None => {
                self.start[to] = Some(depth);
                self.stack.push(to);
            }
            Some(d) if d != depth => {
                let msg = format!(
                    "{how} {} with stack depth {depth}, but it starts with depth {d} from elsewhere",
                    self.f.blocks[to].label
                );
                self.err(DepthErrorKind::Mismatch, from, instr, msg);
            }
            Some(_) => {}
        }
    }

    /// Walks block `bi` from its start depth, writing the depth before
    /// each instruction (and after the last) into `before`.
    fn block(&mut self, bi: usize, before: &mut [i32]) {
        let f = self.f;
        let b = &f.blocks[bi];
        let mut depth = self.start[bi].expect("pushed blocks have a depth");
        let mut ended = false;
        for (k, ins) in b.instrs.iter().enumerate() {
            before[k] = depth;
            if ended {
                continue;
            }
            match self.instr(bi, k, ins, depth) {
                Some(d) => depth = d,
                None => {
                    ended = true;
                    continue;
                }
            }
            if flow::ends_flow(self.t, ins.op) {
                ended = true;
            }
        }
        before[b.instrs.len()] = depth;
        if !ended && bi + 1 < f.blocks.len() {
            self.push(bi + 1, depth, bi, b.instrs.len(), "falls into");
        }
    }

    /// One instruction at `depth`: its handler and jump edges; the depth
    /// after it, `None` when it has no stack effect.
    fn instr(&mut self, bi: usize, k: usize, ins: &Instr, depth: i32) -> Option<i32> {
        let (f, t) = (self.f, self.t);
        let name = t.get(ins.op).map_or("<undefined>", |i| i.name);
        let oparg = raw_arg(t, ins.op, ins.arg);
        // 3.11+ handler: the unwinder pops to `depth`, pushes lasti and the exception.
        if let Some(h) = ins.handler {
            let hd = h.depth as i32 + 1 + i32::from(h.lasti);
            self.max = self.max.max(hd);
            match self.by_label.get(h.target) {
                Some(to) => self.push(to, hd, bi, k, "handler"),
                None => self.err(
                    DepthErrorKind::MissingTarget,
                    bi,
                    k,
                    format!("handler {} is no block", h.target),
                ),
            }
        }
        let Some(effect) = t.stack_effect(ins.op, oparg, Some(false)) else {
            self.err(
                DepthErrorKind::NoEffect,
                bi,
                k,
                format!("{name} {oparg} has no stack effect in {}", f.version),
            );
            return None;
        };
        let new_depth = depth + effect;
        if new_depth < 0 {
            let msg = format!(
                "{name} pops below the bottom of the stack (depth {depth}, effect {effect})"
            );
            self.err(DepthErrorKind::Underflow, bi, k, msg);
        }
        self.max = self.max.max(new_depth);
        if let Arg::Const(c) = ins.arg {
            // NB: 3.8/3.9 counted the loads the peephole folded (see `peephole`).
            if let Some(&(_, n)) = f.peephole_tuples.iter().find(|p| p.0 == c) {
                self.max = self.max.max(depth + n as i32);
            }
        }
        if let Arg::Jump(target) = ins.arg {
            self.jump(
                bi,
                k,
                ins,
                name,
                target,
                depth + t.stack_effect(ins.op, oparg, Some(true)).unwrap_or(effect),
            );
        }
        Some(new_depth.max(0))
    }

    /// The edge of jump `ins` to `target` with depth `td` there.
    fn jump(&mut self, bi: usize, k: usize, ins: &Instr, name: &str, target: Label, td: i32) {
        let use_ = flow::jump_use(self.t, ins.op);
        if !matches!(
            use_,
            Some(JumpUse::Flow | JumpUse::Setup | JumpUse::CallFinally)
        ) {
            return;
        }
        if td < 0 {
            self.err(
                DepthErrorKind::Underflow,
                bi,
                k,
                format!("{name} jumps with a negative stack depth ({td})"),
            );
        }
        self.max = self.max.max(td);
        match self.by_label.get(target) {
            // NB: 3.8 compile.c does not propagate through CALL_FINALLY:
            // the finally block gets its depth from SETUP_FINALLY / fall-through.
            Some(_) if use_ == Some(JumpUse::CallFinally) => {}
            Some(to) => self.push(to, td.max(0), bi, k, "jumps to"),
            None => self.err(
                DepthErrorKind::MissingTarget,
                bi,
                k,
                format!("jump target {target} is no block"),
            ),
        }
    }
}

/// The start depth CPython gave block `i`, unreachable in the final code,
/// when it is an orphaned exception handler (3.11+).
///
/// CPython's CFG reaches every handler through its `SETUP_*`
/// pseudo-instruction, even when the protected range ended up empty (a
/// `try` body that is just `return`, an `except E as e:` or `except*` body
/// that is just `pass`): the handler stays in `co_code`, unreachable, and
/// its depths count. Its start depth follows from the final code:
///
/// - a handler starting with `PUSH_EXC_INFO`: its own cleanup
///   `SETUP_CLEANUP` was placed just before that instruction, at the
///   block's start depth, so the exception-table depth covering
///   `PUSH_EXC_INFO` is the start depth;
/// - the `name = None; del name` cleanup of `except ... as name` (starts
///   with `LOAD_CONST`, `STORE_*`, often ends in `RERAISE`): its
///   `SETUP_CLEANUP` (lasti plus the exception: +2) came right after the
///   handler's own `STORE_* name`, the nearest one laid out before the
///   block (a normal-exit copy of the cleanup in between leaves the same
///   depth);
/// - a handler that ends by jumping or falling into code whose depth is
///   known (the cleanups of `except` bodies rejoin the handler's exit):
///   CPython's graph was consistent there, so the start depth is that
///   depth minus the block's net effect on the way.
fn orphan_start(f: &Function, t: &OpTable, i: usize, out: &StackDepths) -> Option<i32> {
    // NB: before 3.11 handlers are reached through SETUP_* jumps, never orphaned.
    if !f.version.localsplus_layout() {
        return None;
    }
    let b = &f.blocks[i];
    // NB: a pass may put stack-neutral NOPs in front of a handler's first
    // instruction; the shape recognised below starts after them.
    let lead = leading_nops(b);
    let first = b.instrs.get(lead)?;
    if first.op == Opcode::PushExcInfo {
        return first.handler.map(|h| h.depth as i32);
    }
    if let Some(d) = named_cleanup_start(f, i, out) {
        return Some(d);
    }
    let start_of = |l: Label| f.block_index(l).and_then(|j| out.block(j)).map(|d| d[0]);
    let mut net = 0i32;
    for (k, ins) in b.instrs.iter().enumerate() {
        let oparg = raw_arg(t, ins.op, ins.arg);
        if let Arg::Jump(target) = ins.arg {
            if flow::jump_use(t, ins.op) == Some(JumpUse::Flow) {
                let je = t.stack_effect(ins.op, oparg, Some(true))?;
                if let Some(d) = start_of(target) {
                    return Some(d - net - je).filter(|&s| s >= 0);
                }
            }
        }
        net += t.stack_effect(ins.op, oparg, Some(false))?;
        if flow::ends_flow(t, ins.op) {
            return None;
        }
        if k + 1 == b.instrs.len() {
            let next = out.block(i + 1)?;
            return Some(next[0] - net).filter(|&s| s >= 0);
        }
    }
    None
}

/// How many NOPs open block `b`.
fn leading_nops(b: &crate::ir::Block) -> usize {
    b.instrs
        .iter()
        .take_while(|ins| ins.op == Opcode::Nop)
        .count()
}

/// [`orphan_start`] for `except ... as name` cleanups.
fn named_cleanup_start(f: &Function, i: usize, out: &StackDepths) -> Option<i32> {
    let b = &f.blocks[i];
    let lead = leading_nops(b);
    let op = |k: usize| b.instrs.get(lead + k).map(|ins| ins.op);
    // NB: the name bound by `as`: a local, a cell, a module or class
    // global, or a declared global.
    let stores = op(1).is_some_and(|o| {
        matches!(
            o,
            Opcode::StoreFast | Opcode::StoreDeref | Opcode::StoreName | Opcode::StoreGlobal
        )
    });
    if op(0) != Some(Opcode::LoadConst) || !stores {
        return None;
    }
    let store = b.instrs[lead + 1];
    (0..i).rev().find_map(|j| {
        let depths = out.block(j)?;
        let k = f.blocks[j]
            .instrs
            .iter()
            .rposition(|x| x.op == store.op && x.arg == store.arg)?;
        Some(depths[k + 1] + 2)
    })
}

/// The number `stack_effect` takes for `arg` of `op` (what the assembler
/// would write; jump distances do not matter to any effect).
pub(crate) fn raw_arg(t: &OpTable, op: impl OpKey, arg: Arg) -> u32 {
    match arg {
        Arg::Jump(_) => 0,
        a => crate::asm::raw_arg(t, op, a).unwrap_or(0),
    }
}

/// Turns the first problem into a located [`Error`] (byte offset of the
/// instruction when the function can be assembled).
fn to_error(f: &Function, e: &DepthError) -> Error {
    let msg = format!(
        "stack depth: block {} instruction {}: {}",
        e.label, e.instr, e.message
    );
    match instr_offset(f, e.block, e.instr) {
        Some(o) => Error::at(u64::from(o), ErrorKind::Invalid(msg)),
        None => Error::new(ErrorKind::Invalid(msg)),
    }
}

/// Byte offset of instruction `instr` of block index `block` in the
/// assembled code (the end of the block when `instr` is its length), if
/// `f` assembles.
pub fn instr_offset(f: &Function, block: usize, instr: usize) -> Option<u32> {
    let a = crate::asm::assemble_bytes(f).ok()?;
    let flat: usize = f
        .blocks
        .iter()
        .take(block)
        .map(|b| b.instrs.len())
        .sum::<usize>()
        + instr;
    a.spans
        .get(flat)
        .map(|s| s.0)
        .or_else(|| a.spans.last().map(|s| s.1))
}

/// The depth analysis, failing on the first problem.
pub fn compute(f: &Function) -> Result<StackDepths> {
    let (d, errors) = analyze(f)?;
    match errors.first() {
        Some(e) => Err(to_error(f, e)),
        None => Ok(d),
    }
}

/// Depth before each instruction of each block (plus the depth after the
/// last), `None` for unreachable blocks.
pub fn depths(f: &Function) -> Result<Vec<Option<Vec<i32>>>> {
    let d = compute(f)?;
    Ok((0..d.len())
        .map(|b| d.block(b).map(<[i32]>::to_vec))
        .collect())
}

/// `co_stacksize` as CPython would compute it for this code.
pub fn stacksize(f: &Function) -> Result<i32> {
    Ok(compute(f)?.max)
}
