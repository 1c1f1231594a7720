//! The 3.9/3.10 block stack, followed along with the stack kinds.
//!
//! Before 3.11 a frame keeps a stack of blocks next to its value stack
//! (ceval.c, frameobject.c): `SETUP_FINALLY`, `SETUP_WITH` and
//! `SETUP_ASYNC_WITH` push one holding the handler and the value-stack
//! level; `POP_BLOCK`, `POP_EXCEPT` and `END_ASYNC_FOR` pop one. When an
//! exception unwinds to a block, the interpreter pops the value stack down
//! to the block's level, pushes an `EXCEPT_HANDLER` block at that level
//! and six values, and jumps to the handler. Three facts follow, each a
//! crash when broken, and CPython's compiler keeps all three (its
//! `fblock` stack is static):
//!
//! - a pop needs a block: `PyFrame_BlockPop` on an empty stack aborts
//!   ("block stack underflow"), and more than `CO_MAXBLOCKS` (20) blocks
//!   abort in `PyFrame_BlockSetup`;
//! - inside a block, code never pops below the block's level (it may read
//!   there and leave the value: `WITH_EXCEPT_START` calls `__exit__`,
//!   `GET_ANEXT` its iterator): the unwinder would "restore" values that
//!   are gone, and the handler would run on a shorter stack than it was
//!   compiled for;
//! - every path into an instruction has the same block stack (the
//!   interpreter does not know which path it came by).
//!
//! 3.8's `POP_FINALLY` and `END_FINALLY` pop the handler's block only when
//! they find an exception, which no static count can tell. There the walk
//! keeps a lower bound instead: a handler's entry counts its block, those
//! two pop it only when the state they take sits right over its level
//! (their own `finally`'s exception entry), and paths meet at the smaller
//! count. The first rule is checked (a pop needs a block on every path),
//! and the second for the last known block when a `SETUP_*` opened it
//! (surely open, and no inner block sits lower); the third is not. A
//! `finally` body entered normally has exactly the count, entered by an
//! exception one more, so the bound is exact where it matters. An upper
//! bound is followed beside it (paths meet at the larger count, by the
//! same steps): it may not pass `CO_MAXBLOCKS`, which a jump back over a
//! `SETUP_FINALLY` would (seed 31415 on 3.8: `Py_FatalError`, "block
//! stack overflow"). Both bounds take the same steps, since the two
//! instructions pop only their own `finally`'s handler block, which only
//! its exception entry has.

use crate::opcodes::BlockUse;

/// Which block stack a walk follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bound {
    /// 3.9/3.10: the block stack itself.
    Exact,
    /// 3.8: at most as many blocks as are open (pops and levels checked).
    Lower,
    /// 3.8: at least as many (only `CO_MAXBLOCKS` checked).
    Upper,
}

/// `CO_MAXBLOCKS` (code.h).
pub(super) const MAX_BLOCKS: usize = 20;

/// Marks a level as an `EXCEPT_HANDLER` block's (the one a handler runs
/// in). 3.8's `with` cleanup takes `__exit__` from under that level
/// (`WITH_CLEANUP_START`), so there only the blocks `SETUP_*` opened
/// bind the level rule.
const HANDLER: u32 = 1 << 31;

fn level_of(entry: u32) -> u32 {
    entry & !HANDLER
}

/// One instruction's effect on `blocks` (the value-stack level of each
/// open block, innermost last). `d` is the depth before it, `pops` how
/// many values it takes off (read and not kept), `handler_depth` the depth
/// its handler starts at (a `SETUP_*`'s jump); `bound`: which count
/// `blocks` is (3.8's lower bound checks only the levels of `SETUP_*`
/// blocks, not the maximum; its upper bound only the maximum). Returns the
/// blocks its handler starts with, or what is wrong.
pub(super) fn step(
    use_: BlockUse,
    name: &str,
    (d, pops): (i32, i32),
    handler_depth: Option<i32>,
    bound: Bound,
    blocks: &mut Vec<u32>,
) -> Result<Option<Vec<u32>>, String> {
    let exact = bound == Bound::Exact;
    if use_ == BlockUse::Pop && blocks.pop().is_none() && bound != Bound::Upper {
        return Err(format!(
            "{name} pops a block, and the block stack is empty here (the interpreter aborts: block stack underflow)"
        ));
    }
    // NB: on 3.8 the last known block is surely open (the count is a lower
    // bound), and no inner one sits lower: its level still binds, when a
    // SETUP_* opened it.
    let binding = blocks
        .last()
        .filter(|&&e| exact || (bound == Bound::Lower && e & HANDLER == 0));
    if let Some(&entry) = binding {
        let level = level_of(entry);
        if d - pops < level as i32 {
            return Err(format!(
                "{name} pops {pops} value(s) at depth {d}, below the level {level} of the enclosing try/with block (its handler would get a shorter stack than it was built for)"
            ));
        }
    }
    // NB: the state they take sits right over the level of the handler
    // block its exception entry pushed: that entry is this `finally`'s own
    // (an outer handler's is lower), and no path goes on with it, since
    // END_FINALLY re-raises an exception and POP_FINALLY pops its block.
    // NB: a `with` cleanup's exception entry sits one lower: ceval.c's
    // WITH_CLEANUP_START takes `__exit__` from under the state and lowers
    // the handler block's level by one; the lower bound need not see it.
    let at = (d - pops).max(0) as u32;
    let own = |&e: &u32| {
        e & HANDLER != 0 && (level_of(e) == at || (bound == Bound::Upper && level_of(e) == at + 1))
    };
    if use_ == BlockUse::PopIfException && blocks.last().is_some_and(own) {
        blocks.pop();
    }
    if use_ != BlockUse::Push {
        return Ok(None);
    }
    // NB: the unwinder pushes six values over the level (ceval.c), so the
    // level is the handler's depth less six.
    let level = handler_depth.map_or(d, |h| h - 6).max(0) as u32;
    if bound != Bound::Lower && blocks.len() >= MAX_BLOCKS {
        return Err(format!(
            "{name} opens block {} (at most {MAX_BLOCKS}: CO_MAXBLOCKS; the interpreter aborts)",
            blocks.len() + 1
        ));
    }
    let mut at_handler = blocks.clone();
    // NB: the handler runs inside the EXCEPT_HANDLER block that replaces
    // this one, at the same level.
    at_handler.push(level | HANDLER);
    blocks.push(level);
    Ok(Some(at_handler))
}
