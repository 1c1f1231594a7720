//! Per-opcode facts derived from the generated tables, computed once per
//! version and looked up by opcode byte.
//!
//! NB: the lifter, the assembler and the stack-depth analysis ask these
//! questions for every instruction; answering them by matching opcode
//! names cost about a tenth of a whole-stdlib round trip. The answers
//! still come from the names (one rule each, in `derive`), so the rules
//! stay readable and version-independent.

use super::{name_arg, ArgKind, OpTable};
use std::sync::OnceLock;

/// What the hot paths need to know about one opcode beyond [`super::OpInfo`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpFacts {
    /// How many low flag bits a `hasname` opcode packs below its name index
    /// (0, 1 or 2; see [`super::name_arg`]).
    pub name_shift: u8,
    /// The argument packs two local indices (see [`super::is_local_pair`]).
    pub local_pair: bool,
    /// Control never falls through to the next instruction (see
    /// [`crate::ir::is_terminator`]).
    pub terminator: bool,
    /// The opcode is `NOP`.
    pub nop: bool,
    /// Inline cache code units written after it (0 before 3.11).
    pub cache_units: u8,
}

/// One slot per supported minor version (3.8 ..= 3.14).
static FACTS: [OnceLock<[OpFacts; 256]>; 7] = [const { OnceLock::new() }; 7];

/// The facts of opcode `op` in table `t` (all false/0 for undefined bytes).
#[inline]
pub fn of(t: &OpTable, op: u8) -> OpFacts {
    all(t)[usize::from(op)]
}

/// The facts of every opcode byte of `t`, for loops over many instructions.
pub fn all(t: &OpTable) -> &'static [OpFacts; 256] {
    static UNKNOWN: [OpFacts; 256] = [OpFacts { name_shift: 0, local_pair: false, terminator: false, nop: false, cache_units: 0 }; 256];
    let slot = usize::from(t.version.minor).wrapping_sub(8);
    match FACTS.get(slot) {
        Some(cell) if t.version.major == 3 => cell.get_or_init(|| std::array::from_fn(|b| derive(t, b as u8))),
        _ => &UNKNOWN,
    }
}

/// Works the facts of `op` out from its name and argument kind.
fn derive(t: &OpTable, op: u8) -> OpFacts {
    let Some(info) = t.get(op) else { return OpFacts::default() };
    let name_shift = if info.arg != ArgKind::Name {
        0
    } else if name_arg(t.version, info.name, 2).index == 1 {
        1
    } else if name_arg(t.version, info.name, 4).index == 1 {
        2
    } else {
        0
    };
    OpFacts {
        name_shift,
        local_pair: info.arg == ArgKind::Local && super::is_local_pair(info.name),
        terminator: crate::ir::is_terminator(info.name),
        nop: info.name == "NOP",
        cache_units: if t.version.at_least(11) { info.cache_entries } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::PyVersion;

    /// The cached answers equal the name rules for every byte of every version.
    #[test]
    fn cached_facts_match_the_rules() {
        for v in PyVersion::SUPPORTED {
            let t = super::super::table(v).expect("supported");
            for b in 0..=255u8 {
                assert_eq!(of(t, b), derive(t, b), "{v} opcode {b}");
            }
            let shift = |n: &str| t.by_name(n).map(|i| of(t, i.code).name_shift);
            assert_eq!(shift("LOAD_NAME"), Some(0));
            assert_eq!(shift("LOAD_GLOBAL"), Some(u8::from(v.at_least(11))));
        }
    }
}
