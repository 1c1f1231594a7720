//! Definite assignment of local slots, for the loads that do not check.
//!
//! From 3.12, `LOAD_FAST` (and 3.13's `LOAD_FAST_LOAD_FAST`,
//! `STORE_FAST_LOAD_FAST`, 3.14's `LOAD_FAST_BORROW*`) reads its slot
//! without testing for NULL: bytecodes.c only asserts it. CPython's
//! compiler emits them only where the local is bound on every path, and
//! `LOAD_FAST_CHECK` elsewhere (flowgraph.c,
//! `add_checks_for_loads_of_uninitialized_variables`: a forward scan with
//! "maybe unbound" bits, parameters bound at entry, `STORE_FAST` and
//! `LOAD_FAST_CHECK` binding, `DELETE_FAST` and `LOAD_FAST_AND_CLEAR`
//! unbinding, handlers getting the state before each covered instruction).
//! An unchecked load of a NULL slot pushes NULL, which the next use
//! dereferences: the commonest crash among accepted mutants before this
//! rule.
//!
//! The same facts run here as part of the stack-kind walk
//! ([`super::kinds`]), as a bit per localsplus slot: set when the slot may
//! be NULL on some path into the point. CPython's own analysis is no more
//! precise (it tracks slots above 63 only within a block), so nothing it
//! compiled is rejected. What each opcode does is the `locals` column of
//! the opcode rows ([`LocalUse`]).

use super::kinds::may_be_null;
use crate::ir::{Arg, Function};
use crate::opcodes::LocalUse;

/// `co_flags` bits that add a `*args` / `**kwargs` parameter.
const CO_VARARGS: u32 = 0x04;
const CO_VARKEYWORDS: u32 = 0x08;

/// The slots that may be unbound when the code starts: all but the
/// parameters. Empty when the version's loads all check (nothing to track).
/// `co_localspluskinds` bit of a cell (3.11+).
const CO_FAST_CELL: u8 = 0x40;

pub(super) fn at_entry(f: &Function, tracked: bool) -> Vec<bool> {
    if !tracked {
        return Vec::new();
    }
    let n = f.localsplus.len();
    let params = f.argcount.max(0) as usize
        + f.kwonlyargcount.max(0) as usize
        + usize::from(f.flags & CO_VARARGS != 0)
        + usize::from(f.flags & CO_VARKEYWORDS != 0);
    // NB: a parameter that is also a cell holds the argument, not a cell,
    // until MAKE_CELL wraps it (3.11+ prologue): deref ops need that first
    // (seed 2718: a MAKE_CELL replaced by COPY_FREE_VARS 0 on 3.11).
    let cell = |i: usize| {
        f.localspluskinds
            .get(i)
            .is_some_and(|k| k & CO_FAST_CELL != 0)
    };
    (0..n).map(|i| i >= params || cell(i)).collect()
}

/// The slot(s) an instruction's argument names: the first, and the second
/// of a pair. 3.11+ MAKE_CELL names a localsplus slot (a free-variable
/// argument); COPY_FREE_VARS counts slots (an integer).
fn slots(arg: Arg) -> Option<(u32, Option<u32>)> {
    match arg {
        Arg::Local(i) => Some((i.0, None)),
        Arg::LocalPair(i, j) => Some((i.0, Some(j.0))),
        Arg::Free(i) => Some((i.0, None)),
        Arg::Int(i) => Some((i, None)),
        _ => None,
    }
}

/// Applies one instruction's [`LocalUse`] to `unbound`; `popped` are the
/// kinds of the values it pops, top last. Returns the slot of an
/// unchecked read that may be NULL, if any.
pub(super) fn step(
    use_: LocalUse,
    arg: crate::ir::Arg,
    popped: &[super::kinds::Kind],
    unbound: &mut [bool],
) -> Option<u32> {
    if unbound.is_empty() {
        return None;
    }
    let (a, b) = slots(arg)?;
    fn set(unbound: &mut [bool], i: u32, v: bool) {
        if let Some(x) = unbound.get_mut(i as usize) {
            *x = v;
        }
    }
    let is_unbound = |unbound: &[bool], i: u32| unbound.get(i as usize).copied().unwrap_or(false);
    let top = |d: usize| {
        popped
            .len()
            .checked_sub(d + 1)
            .is_some_and(|at| may_be_null(popped[at]))
    };
    match use_ {
        LocalUse::None => None,
        LocalUse::ReadChecked | LocalUse::Bind => {
            set(unbound, a, false);
            None
        }
        LocalUse::Clear => {
            set(unbound, a, true);
            None
        }
        LocalUse::Store => {
            // NB: STORE_FAST_STORE_FAST puts the top value in the first slot.
            set(unbound, a, top(0));
            if let Some(j) = b {
                set(unbound, j, top(1));
            }
            None
        }
        LocalUse::StoreThenRead => {
            set(unbound, a, top(0));
            let j = b?;
            let bad = is_unbound(unbound, j).then_some(j);
            set(unbound, j, false);
            bad
        }
        LocalUse::Read | LocalUse::ReadCell => {
            let slots = [Some(a), b];
            let bad = slots
                .into_iter()
                .flatten()
                .find(|&i| is_unbound(unbound, i));
            // NB: once reported, treat it as bound: one report per path.
            for i in slots.into_iter().flatten() {
                set(unbound, i, false);
            }
            bad
        }
        LocalUse::BindFree => {
            let n = unbound.len();
            for x in &mut unbound[n.saturating_sub(a as usize)..] {
                *x = false;
            }
            None
        }
    }
}

/// 3.12+: whether each cell or free slot may hold a plain object instead of
/// its cell. An inlined comprehension whose variable is a cell outside
/// saves the cell (`LOAD_FAST_AND_CLEAR`), stores plain objects into the
/// slot while it runs and puts the cell back at its end (compile.c); a
/// deref op reads whatever is there as a cell (seed 27182 on 3.13: a
/// `STORE_FAST_LOAD_FAST` retargeted to a free slot, then `STORE_DEREF`,
/// SIGSEGV). Applies one instruction to `plain` (`is_cell`: whether a slot
/// is a cell or free slot; `popped`: the kinds it pops, top last) and
/// returns the slot a deref op reads while it may hold an object.
pub(super) fn cell_step(
    use_: LocalUse,
    arg: Arg,
    popped: &[super::kinds::Kind],
    is_cell: impl Fn(u32) -> bool,
    plain: &mut [bool],
) -> Option<u32> {
    if plain.is_empty() {
        return None;
    }
    let (a, b) = slots(arg)?;
    let mut set = |i: u32, v: bool| {
        if let Some(x) = plain.get_mut(i as usize).filter(|_| is_cell(i)) {
            *x = v;
        }
    };
    // NB: the value stored `d` deep (0 = top) may be something other than
    // a cell (or NULL, which leaves the slot unbound: the unbound bits'
    // concern).
    let object = |d: usize| {
        popped
            .len()
            .checked_sub(d + 1)
            .is_some_and(|at| popped[at] & !(super::kinds::CELL | super::kinds::NULL) != 0)
    };
    match use_ {
        LocalUse::Store => {
            set(a, object(0));
            if let Some(j) = b {
                set(j, object(1));
            }
            None
        }
        LocalUse::StoreThenRead => {
            set(a, object(0));
            None
        }
        LocalUse::Clear | LocalUse::Bind => {
            set(a, false);
            None
        }
        LocalUse::BindFree => {
            let n = plain.len();
            for x in &mut plain[n.saturating_sub(a as usize)..] {
                *x = false;
            }
            None
        }
        LocalUse::ReadCell => plain.get(a as usize).copied().unwrap_or(false).then_some(a),
        LocalUse::None | LocalUse::Read | LocalUse::ReadChecked => None,
    }
}
