//! Per-version opcode tables, generated from real CPython (see docs/opcodes.md).
//!
//! `v3_8.rs` .. `v3_14.rs` are written by `tools/gen_opcodes.py` from what
//! each interpreter's `opcode`/`dis` modules say; this file holds the types
//! and the hand-written helpers that decode version-specific argument
//! encodings. `tests/opcodes_oracle.rs` re-checks every table against the
//! interpreters found on the machine.

use crate::version::PyVersion;

pub use facts::OpFacts;

pub mod facts;
mod v3_10;
mod v3_11;
mod v3_12;
mod v3_13;
mod v3_14;
mod v3_8;
mod v3_9;

/// One opcode of one CPython version, as `dis` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// Name as in `dis.opname` (`dis._all_opname` for specialized ones).
    pub name: &'static str,
    /// The opcode byte.
    pub code: u8,
    /// True when the instruction uses its argument byte (`dis` decides on the
    /// deoptimized opcode; before 3.12 that is `code >= HAVE_ARGUMENT`).
    pub has_arg: bool,
    /// How `dis` interprets the argument (specialized opcodes inherit the
    /// meaning of the opcode they deoptimize to).
    pub arg: ArgKind,
    /// Jump geometry when the argument is a jump target.
    pub jump: Option<Jump>,
    /// Inline cache code units (2 bytes each) that follow the instruction
    /// (3.11+; as `dis` counts them, i.e. those of the deoptimized opcode).
    pub cache_entries: u8,
    /// Base, specialized (3.11+) or instrumented (3.12+).
    pub kind: OpKind,
}

/// What an instruction's argument means (one per `opcode.has*` list, plus
/// the argument tables `opcode` keeps for individual instructions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgKind {
    /// The instruction takes no argument.
    None,
    /// A plain number (counts, flags, `RESUME` kind, ...).
    Int,
    /// Index into `co_consts` (`hasconst`).
    Const,
    /// Index into `co_names` (`hasname`); see [`name_arg`] for the low flag bits.
    Name,
    /// Local variable index (`haslocal`); see [`local_pair`] for pair opcodes.
    Local,
    /// Cell/free variable index (`hasfree`): into cellvars+freevars before
    /// 3.11, into the localsplus array from 3.11 on.
    Free,
    /// Comparison (`hascompare`); decode with [`OpTable::compare_op`].
    Compare,
    /// Jump target (`hasjrel`/`hasjabs`/`hasjump`); see [`Jump`].
    Jump,
    /// Index into [`OpTable::nb_ops`] (`BINARY_OP`, 3.11+).
    BinaryOp,
    /// Index into [`OpTable::intrinsic1`] (`CALL_INTRINSIC_1`, 3.12+).
    Intrinsic1,
    /// Index into [`OpTable::intrinsic2`] (`CALL_INTRINSIC_2`, 3.12+).
    Intrinsic2,
    /// Index into [`OpTable::special_method_names`] (`LOAD_SPECIAL`, 3.14+).
    SpecialMethod,
    /// Index into [`OpTable::common_constants`] (`LOAD_COMMON_CONSTANT`, 3.14+).
    CommonConstant,
}

/// Whether an opcode can appear in a code object on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// A plain opcode: the only kind `.pyc` files contain.
    Base,
    /// An adaptive specialization the interpreter writes at run time (3.11+).
    Specialized,
    /// An `INSTRUMENTED_*` opcode used by `sys.monitoring` (3.12+).
    Instrumented,
}

/// How a jump argument maps to a target offset; see [`OpTable::jump_target`].
///
/// Relative jumps count from the end of the instruction *including* its
/// inline caches (3.12+; 3.11 jumps have no caches). Units are bytes before
/// 3.10 and 2-byte code units from 3.10 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Jump {
    /// True for relative jumps (`hasjrel`), false for absolute (`hasjabs`).
    pub relative: bool,
    /// True when the relative distance is subtracted (`JUMP_BACKWARD*`,
    /// 3.11's `POP_JUMP_BACKWARD_IF_*`, 3.14's `END_ASYNC_FOR`).
    pub backward: bool,
    /// Bytes per argument unit: 1 (3.8-3.9) or 2 (3.10+).
    pub unit_bytes: u8,
}

/// Everything pyrewrite knows about one CPython version's opcodes.
#[derive(Debug)]
pub struct OpTable {
    /// The version these facts come from.
    pub version: PyVersion,
    /// Indexed by opcode byte; `None` for unused bytes.
    pub ops: &'static [Option<OpInfo>; 256],
    /// `opcode.HAVE_ARGUMENT`.
    pub have_argument: u8,
    /// `opcode.EXTENDED_ARG`.
    pub extended_arg: u8,
    /// `opcode.cmp_op`; index with [`OpTable::compare_op`].
    pub cmp_op: &'static [&'static str],
    /// `opcode._nb_ops` as (name, operator) pairs (3.11+, else empty).
    pub nb_ops: &'static [(&'static str, &'static str)],
    /// `opcode._intrinsic_1_descs` (3.12+, else empty).
    pub intrinsic1: &'static [&'static str],
    /// `opcode._intrinsic_2_descs` (3.12+, else empty).
    pub intrinsic2: &'static [&'static str],
    /// `opcode._special_method_names` (3.14+, else empty).
    pub special_method_names: &'static [&'static str],
    /// `opcode._common_constants` as `dis` prints them (3.14+, else empty).
    pub common_constants: &'static [&'static str],
    /// Converter names of `dis.FORMAT_VALUE_CONVERTERS` (`FORMAT_VALUE` arg & 3
    /// before 3.13, `CONVERT_VALUE` arg from 3.13), `""` for none; empty when
    /// `dis` has no such table (3.13+ hard-codes the same four).
    pub format_value_converters: &'static [&'static str],
    /// Flag names by bit: `MAKE_FUNCTION` arg (before 3.13) or
    /// `SET_FUNCTION_ATTRIBUTE` arg (3.13+).
    pub function_attr_flags: &'static [&'static str],
    /// (specialized opcode, the opcode it deoptimizes to), sorted.
    pub deopt: &'static [(u8, u8)],
    /// `dis.stack_effect(op, arg, jump=...)`; prefer [`OpTable::stack_effect`].
    pub stack_effect: fn(u8, u32, Option<bool>) -> Option<i32>,
}

impl OpTable {
    /// The opcode `op`, if this version defines it.
    pub fn get(&self, op: u8) -> Option<&OpInfo> {
        self.ops[op as usize].as_ref()
    }

    /// Facts derived from `op`'s name, cached per version (see [`facts`]).
    #[inline]
    pub fn facts(&self, op: u8) -> OpFacts {
        facts::of(self, op)
    }

    /// The opcode called `name` (base, specialized or instrumented).
    pub fn by_name(&self, name: &str) -> Option<&OpInfo> {
        self.ops.iter().flatten().find(|o| o.name == name)
    }

    /// Bytes per jump-argument unit: 1 before 3.10, 2 from 3.10 on.
    pub fn jump_unit_bytes(&self) -> u32 {
        if self.version.at_least(10) {
            2
        } else {
            1
        }
    }

    /// Bytes per instruction (always 2 for 3.6+ wordcode).
    pub const fn instruction_bytes(&self) -> u32 {
        2
    }

    /// The opcode `op` deoptimizes to (itself for base opcodes).
    pub fn deopt(&self, op: u8) -> u8 {
        match self.deopt.binary_search_by_key(&op, |&(s, _)| s) {
            Ok(i) => self.deopt[i].1,
            Err(_) => op,
        }
    }

    /// `dis.stack_effect(op, oparg if it has one else None, jump=jump)`;
    /// `None` where CPython raises `ValueError`.
    pub fn stack_effect(&self, op: u8, oparg: u32, jump: Option<bool>) -> Option<i32> {
        (self.stack_effect)(op, oparg, jump)
    }

    /// Byte offset `dis` reports as the target of jump `op` with (full,
    /// EXTENDED_ARG-merged) argument `arg` at byte `offset`; `None` when
    /// `op` is no jump. May be negative or past the end for bogus input.
    pub fn jump_target(&self, op: u8, arg: u32, offset: u32) -> Option<i64> {
        let info = self.get(op)?;
        let j = info.jump?;
        let dist = i64::from(arg) * i64::from(j.unit_bytes);
        if !j.relative {
            return Some(dist);
        }
        // NB: relative to the next instruction after this one's inline caches.
        let next = i64::from(offset) + 2 + 2 * i64::from(info.cache_entries);
        Some(if j.backward { next - dist } else { next + dist })
    }

    /// Decodes a `hascompare` argument into (operator, coerced-to-bool flag):
    /// `cmp_op[arg]` before 3.12, `cmp_op[arg >> 4]` on 3.12 (low bits are
    /// a specialization mask), `cmp_op[arg >> 5]` with bit 4 meaning "result
    /// converted to bool" (`bool(<)` in `dis`) from 3.13.
    pub fn compare_op(&self, arg: u32) -> Option<(&'static str, bool)> {
        let (idx, to_bool) = if self.version.at_least(13) {
            (arg >> 5, arg & 16 != 0)
        } else if self.version.at_least(12) {
            (arg >> 4, false)
        } else {
            (arg, false)
        };
        self.cmp_op.get(idx as usize).map(|s| (*s, to_bool))
    }

    /// Decodes the argument of a `hasname` opcode `op`; see [`name_arg`].
    pub fn name_arg(&self, op: u8, arg: u32) -> NameArg {
        let name = self.get(self.deopt(op)).map_or("", |o| o.name);
        name_arg(self.version, name, arg)
    }
}

/// A decoded `hasname` argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameArg {
    /// Index into `co_names`.
    pub index: u32,
    /// Flag bit 0 where the opcode packs one: `LOAD_GLOBAL` (3.11+) also
    /// pushes NULL; `LOAD_ATTR` (3.12+) and `LOAD_SUPER_ATTR` load a method
    /// (`dis` prints `+ NULL` / `+ NULL|self`).
    pub low_bit: bool,
    /// `LOAD_SUPER_ATTR` bit 1: `super` was called with explicit arguments
    /// (the two-argument form); false elsewhere.
    pub super_two_args: bool,
}

/// Splits a `hasname` argument of opcode `name` (deoptimized) in version `v`:
/// `LOAD_GLOBAL` is `index << 1 | push_null` from 3.11, `LOAD_ATTR`
/// `index << 1 | is_method` from 3.12, `LOAD_SUPER_ATTR` (3.12+)
/// `index << 2 | two_args << 1 | is_method`; all others are the plain index.
pub fn name_arg(v: PyVersion, name: &str, arg: u32) -> NameArg {
    let plain = NameArg { index: arg, low_bit: false, super_two_args: false };
    match name {
        "LOAD_GLOBAL" if v.at_least(11) => NameArg { index: arg >> 1, low_bit: arg & 1 != 0, ..plain },
        "LOAD_ATTR" if v.at_least(12) => NameArg { index: arg >> 1, low_bit: arg & 1 != 0, ..plain },
        "LOAD_SUPER_ATTR" => NameArg {
            index: arg >> 2,
            low_bit: arg & 1 != 0,
            super_two_args: arg & 2 != 0,
        },
        _ => plain,
    }
}

/// True for the 3.13+ opcodes whose argument packs two local indices:
/// `LOAD_FAST_LOAD_FAST`, `STORE_FAST_LOAD_FAST`, `STORE_FAST_STORE_FAST`,
/// and 3.14's `LOAD_FAST_BORROW_LOAD_FAST_BORROW`.
pub fn is_local_pair(name: &str) -> bool {
    matches!(
        name,
        "LOAD_FAST_LOAD_FAST"
            | "STORE_FAST_LOAD_FAST"
            | "STORE_FAST_STORE_FAST"
            | "LOAD_FAST_BORROW_LOAD_FAST_BORROW"
    )
}

/// The two local indices of a pair opcode's argument: `(arg >> 4, arg & 15)`,
/// first one used first (e.g. `STORE_FAST_LOAD_FAST` stores `arg >> 4`).
pub fn local_pair(arg: u32) -> (u32, u32) {
    (arg >> 4, arg & 15)
}

/// `UNPACK_EX`'s argument: (names before the starred one, names after it).
pub fn unpack_ex(arg: u32) -> (u32, u32) {
    (arg & 0xff, arg >> 8)
}

/// The generated table of version `v`, if pyrewrite supports it.
pub fn table(v: PyVersion) -> Option<&'static OpTable> {
    if v.major != 3 {
        return None;
    }
    Some(match v.minor {
        8 => &v3_8::TABLE,
        9 => &v3_9::TABLE,
        10 => &v3_10::TABLE,
        11 => &v3_11::TABLE,
        12 => &v3_12::TABLE,
        13 => &v3_13::TABLE,
        14 => &v3_14::TABLE,
        _ => return None,
    })
}
