//! Per-version control-flow facts about single opcodes: which jumps are
//! flow edges, which are exception-handler setups, which end a block.

use crate::opcodes::OpTable;

/// How an instruction's jump argument is followed by control flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JumpUse {
    /// An ordinary jump: control may continue at the target.
    Flow,
    /// 3.8-3.10 `SETUP_FINALLY` / `SETUP_WITH` / `SETUP_ASYNC_WITH`: the
    /// target is the handler entered when an exception is raised later.
    Setup,
    /// 3.8 `CALL_FINALLY`: runs the `finally` block, which returns to the
    /// next instruction through `POP_FINALLY`/`END_FINALLY`.
    CallFinally,
    /// The argument names an instruction but control never goes there from
    /// this one (3.14 `END_ASYNC_FOR` records where its loop's `SEND` is,
    /// for `sys.monitoring`).
    Reference,
}

/// How `op` uses its jump target, or `None` when `op` has none.
pub fn jump_use(t: &OpTable, op: u8) -> Option<JumpUse> {
    let info = t.get(op)?;
    info.jump?;
    let name = info.name;
    Some(if !t.version.at_least(11) && name.starts_with("SETUP_") {
        JumpUse::Setup
    } else if name == "CALL_FINALLY" {
        JumpUse::CallFinally
    } else if name == "END_ASYNC_FOR" {
        // NB: CPython 3.14's calculate_stackdepth skips END_ASYNC_FOR's target.
        JumpUse::Reference
    } else {
        JumpUse::Flow
    })
}

/// True when control never reaches the instruction after `op` (returns,
/// raises, unconditional jumps), by the version's own opcode names.
pub fn ends_flow(t: &OpTable, op: u8) -> bool {
    t.facts(op).terminator
}

/// The `co_flags` bits the compiler sets on generators, coroutines and
/// async generators (`CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR`).
pub const GENERATOR_FLAGS: u32 = 0x20 | 0x80 | 0x200;
