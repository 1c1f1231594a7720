//! Per-version control-flow facts about single opcodes: which jumps are
//! flow edges, which are exception-handler setups, which end a block.

use crate::opcodes::{OpKey, OpTable};

pub use crate::opcodes::JumpUse;

/// How `op` uses its jump target, or `None` when `op` has none (the row's
/// [`crate::opcodes::OpFacts::jump_use`]).
pub fn jump_use(t: &OpTable, op: impl OpKey) -> Option<JumpUse> {
    t.facts(op).jump_use
}

/// True when control never reaches the instruction after `op` (returns,
/// raises, unconditional jumps): the row's `terminator` column.
pub fn ends_flow(t: &OpTable, op: impl OpKey) -> bool {
    t.facts(op).terminator
}

/// The `co_flags` bits the compiler sets on generators, coroutines and
/// async generators (`CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR`).
pub const GENERATOR_FLAGS: u32 = 0x20 | 0x80 | 0x200;
