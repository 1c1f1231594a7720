//! The IR verifier: checks a [`Function`] against everything CPython relies
//! on, collecting every problem instead of stopping at the first.
//!
//! Run it after lifting, after each change and before anything is written.
//! Each problem is a [`VerifierError`] naming the [`Invariant`] broken and
//! where (block, instruction, and the byte offset when the function can be
//! assembled). The invariants, and why CPython needs each, are in
//! docs/verifier.md; in short:
//!
//! 1. [`Invariant::NoCode`]: there is at least one instruction.
//! 2. [`Invariant::DuplicateLabel`], [`Invariant::LabelBeyondNext`]: block
//!    labels are unique and below `next_label`.
//! 3. [`Invariant::UnknownOpcode`], [`Invariant::NotBaseOpcode`]: every
//!    opcode exists in this version and is a base opcode (no specialized,
//!    instrumented, `CACHE`, `EXTENDED_ARG`, `RESERVED` or
//!    `ENTER_EXECUTOR`).
//! 4. [`Invariant::ArgKind`], [`Invariant::ArgRange`]: the argument is of
//!    the kind the opcode takes (none for argument-less opcodes) and fits
//!    its encoding (name flag bits, 4-bit local pairs, table indices for
//!    comparisons, binary ops, intrinsics, at most 3 EXTENDED_ARGs).
//! 5. [`Invariant::ConstIndex`], [`Invariant::NameIndex`],
//!    [`Invariant::LocalIndex`], [`Invariant::FreeIndex`]: indices are in
//!    range of their tables (free variables name a cell or free slot).
//! 6. [`Invariant::LocalsTable`]: the locals tables agree with each other
//!    and with the argument counts.
//! 7. [`Invariant::JumpTarget`]: every jump names an existing block that
//!    leads to an instruction (so targets are instruction boundaries).
//! 8. [`Invariant::Handler`]: exception handlers (3.11+ only) name an
//!    existing block, their depth never exceeds the stack at the covered
//!    instruction, and `depth + 1 + lasti <= co_stacksize`. Ranges cover
//!    whole instructions by construction: a handler belongs to an
//!    instruction, prefixes and caches included.
//! 9. [`Invariant::Stack`]: the stack depth is the same on every path into
//!    a block, never negative, every instruction has a known effect
//!    (via [`crate::stackdepth`]), and `co_stacksize` covers the maximum.
//! 9b. [`Invariant::StackKind`] (with the constants: [`verify_in`]): on
//!     every path each instruction gets values of the kinds it needs: no
//!     NULL or saved exception state used as an object, an iterator where
//!     one is advanced (`kinds`; the rules are rows of the opcode tables).
//! 10. [`Invariant::FallsOffEnd`]: the last block does not fall through.
//! 11. [`Invariant::Location`]: locations are writable in the version's
//!     line table.
//! 12. [`Invariant::CodeSize`]: the code fits CPython's offset fields.
//!
//! [`verify_code`] checks a code object's own bytes before lifting: its
//! exception-table ranges and targets fall on instruction boundaries.
//! [`verify_module`] runs both on every code object of a file (what
//! `pyrewrite verify` and `--check` print).

mod blocks;
mod checks;
mod consts;
mod kinds;
mod locals;
mod locs;
mod module;
mod raw;
mod reach;
mod shapes;

pub use module::{verify_module, CodeProblem};
pub use raw::verify_code;

use crate::ir::{Function, Label};
use crate::marshal::Marshal;
use std::fmt;

/// Which rule a [`VerifierError`] breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// The function has no instruction.
    NoCode,
    /// Two blocks share a label.
    DuplicateLabel,
    /// A block label is not below `next_label`.
    LabelBeyondNext,
    /// The opcode does not exist in this version.
    UnknownOpcode,
    /// The opcode is not a base opcode that may appear in a code object.
    NotBaseOpcode,
    /// An inline cache (3.11+) holds nonzero bytes.
    InlineCache,
    /// The argument is not of the kind the opcode takes.
    ArgKind,
    /// The argument does not fit the opcode's encoding.
    ArgRange,
    /// A `co_consts` index is out of range.
    ConstIndex,
    /// A `co_names` index is out of range.
    NameIndex,
    /// A local variable index is out of range.
    LocalIndex,
    /// A cell/free variable index is out of range or names no cell/free slot.
    FreeIndex,
    /// The locals tables disagree with each other or the argument counts.
    LocalsTable,
    /// A jump target is no block or leads to no instruction.
    JumpTarget,
    /// An exception handler is invalid.
    Handler,
    /// Stack depths are inconsistent, negative, unknown or above `co_stacksize`.
    Stack,
    /// An instruction gets a stack value of a kind it cannot take: NULL or
    /// the saved exception state used as an object, a non-iterator given
    /// to `FOR_ITER`/`SEND`/`YIELD_FROM` (see `kinds`).
    StackKind,
    /// 3.12+: a load that does not check for NULL (`LOAD_FAST` and its
    /// superinstructions) reads a local that may be unbound on some path.
    UnboundLocal,
    /// 3.9/3.10: the block stack underflows or overflows, code reads below
    /// an open block's level, or paths meet with different block stacks.
    BlockStack,
    /// Control can run past the last instruction.
    FallsOffEnd,
    /// A location cannot be written in this version's line table.
    Location,
    /// The code is too large for CPython's offset fields.
    CodeSize,
}

impl Invariant {
    /// A short kebab-case name, as printed in messages.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::NoCode => "no-code",
            Invariant::DuplicateLabel => "duplicate-label",
            Invariant::LabelBeyondNext => "label-beyond-next",
            Invariant::UnknownOpcode => "unknown-opcode",
            Invariant::InlineCache => "inline-cache",
            Invariant::NotBaseOpcode => "not-base-opcode",
            Invariant::ArgKind => "arg-kind",
            Invariant::ArgRange => "arg-range",
            Invariant::ConstIndex => "const-index",
            Invariant::NameIndex => "name-index",
            Invariant::LocalIndex => "local-index",
            Invariant::FreeIndex => "free-index",
            Invariant::LocalsTable => "locals-table",
            Invariant::JumpTarget => "jump-target",
            Invariant::Handler => "handler",
            Invariant::Stack => "stack",
            Invariant::StackKind => "stack-kind",
            Invariant::UnboundLocal => "unbound-local",
            Invariant::BlockStack => "block-stack",
            Invariant::FallsOffEnd => "falls-off-end",
            Invariant::Location => "location",
            Invariant::CodeSize => "code-size",
        }
    }
}

/// Where a problem is: a block (by layout index and label), optionally an
/// instruction in it, and its byte offset once known.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// Index into [`Function::blocks`] (`None`: the whole function).
    pub block: Option<usize>,
    /// That block's label.
    pub label: Option<Label>,
    /// Index of the instruction in the block.
    pub instr: Option<usize>,
    /// Byte offset of the instruction (first prefix) in the assembled
    /// code, when the function assembles.
    pub offset: Option<u32>,
}

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierError {
    /// The rule broken.
    pub invariant: Invariant,
    /// Where.
    pub location: Location,
    /// What exactly is wrong.
    pub message: String,
}

impl fmt::Display for VerifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let l = &self.location;
        match (l.label, l.instr) {
            (Some(lb), Some(i)) => write!(f, "{lb} instr {i}")?,
            (Some(lb), None) => write!(f, "{lb}")?,
            _ => write!(f, "function")?,
        }
        if let Some(o) = l.offset {
            write!(f, " (offset {o})")?;
        }
        write!(f, ": [{}] {}", self.invariant.name(), self.message)
    }
}

impl std::error::Error for VerifierError {}

/// Limits the verifier enforces that do not come from the function itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most code units (2 bytes each) a code object may have. `None`: the
    /// version's own limit (see [`Limits::max_code_units_for`]).
    pub max_code_units: Option<u64>,
}

impl Limits {
    /// CPython's limits (see [`Limits::max_code_units_for`]).
    pub const CPYTHON: Limits = Limits {
        max_code_units: None,
    };

    /// Most code units version `v` can address: exception-table fields
    /// hold at most 2^30 - 1 code units (3.11+); before that a byte offset
    /// must fit CPython's `int`.
    pub fn max_code_units_for(v: crate::PyVersion) -> u64 {
        if v.localsplus_layout() {
            (1 << 30) - 1
        } else {
            (i32::MAX as u64) / 2
        }
    }
}

/// Collects problems, then fills in byte offsets.
pub(crate) struct Sink {
    pub(crate) errors: Vec<VerifierError>,
}

impl Sink {
    pub(crate) fn at(
        &mut self,
        f: &Function,
        inv: Invariant,
        block: usize,
        instr: Option<usize>,
        message: String,
    ) {
        let location = Location {
            block: Some(block),
            label: f.blocks.get(block).map(|b| b.label),
            instr,
            offset: None,
        };
        self.errors.push(VerifierError {
            invariant: inv,
            location,
            message,
        });
    }

    pub(crate) fn func(&mut self, inv: Invariant, message: String) {
        self.errors.push(VerifierError {
            invariant: inv,
            location: Location::default(),
            message,
        });
    }
}

/// Checks every invariant of `f` with CPython's limits.
pub fn verify(f: &Function) -> Result<(), Vec<VerifierError>> {
    verify_with(f, &Limits::CPYTHON)
}

/// Checks every invariant of `f` with the given limits; returns every
/// problem found, in block order.
pub fn verify_with(f: &Function, limits: &Limits) -> Result<(), Vec<VerifierError>> {
    let mut sink = Sink { errors: Vec::new() };
    checks::run(f, limits, &crate::stackdepth::analyze(f), &mut sink);
    locs::run(f, &mut sink);
    finish(f, sink)
}

/// [`verify`] plus the checks that need the values of the constants, in
/// `m`, the arena `f` was lifted from (`MAKE_FUNCTION` gets a code object,
/// with a closure exactly when that code has free variables). This is what
/// the pass manager runs.
pub fn verify_in(f: &Function, m: &Marshal) -> Result<(), Vec<VerifierError>> {
    verify_in_analyzed(f, m, &crate::stackdepth::analyze(f))
}

/// What an edited function needs before it is assembled: `co_stacksize`
/// recomputed from its code (the verifier checks it covers the code, so it
/// comes first; kept as it was when the depths cannot be known, and then
/// reported), then [`verify_in`]. One stack-depth analysis serves both.
/// Returns whether the size was recomputed, and the verdict. The pass
/// manager and the Python package's `Bytecode.to_code` both end here.
pub fn resize_and_verify(f: &mut Function, m: &Marshal) -> (bool, Result<(), Vec<VerifierError>>) {
    let depths = crate::stackdepth::analyze(f);
    let size = crate::stackdepth::stacksize_of(&depths);
    if let Some(n) = size {
        f.stacksize = n;
    }
    (size.is_some(), verify_in_analyzed(f, m, &depths))
}

/// [`verify_in`] given `depths`, the stack-depth analysis of `f`
/// ([`crate::stackdepth::analyze`]).
fn verify_in_analyzed(
    f: &Function,
    m: &Marshal,
    depths: &crate::stackdepth::Analysis,
) -> Result<(), Vec<VerifierError>> {
    let mut sink = Sink { errors: Vec::new() };
    checks::run(f, &Limits::CPYTHON, depths, &mut sink);
    locs::run(f, &mut sink);
    consts::run(f, m, &mut sink);
    kinds::run(f, m, &mut sink);
    finish(f, sink)
}

/// Locates and orders what the checks found.
fn finish(f: &Function, mut sink: Sink) -> Result<(), Vec<VerifierError>> {
    if sink.errors.is_empty() {
        return Ok(());
    }
    fill_offsets(f, &mut sink.errors);
    sink.errors.sort_by_key(|e| {
        (
            e.location.block.map_or(0, |b| b + 1),
            e.location.instr,
            e.invariant,
        )
    });
    Err(sink.errors)
}

/// Byte offsets of the erroneous instructions, when `f` assembles.
fn fill_offsets(f: &Function, errors: &mut [VerifierError]) {
    let Ok(a) = crate::asm::assemble_bytes(f) else {
        return;
    };
    let mut first = Vec::with_capacity(f.blocks.len());
    let mut k = 0usize;
    for b in &f.blocks {
        first.push(k);
        k += b.instrs.len();
    }
    for e in errors {
        if let (Some(b), Some(i)) = (e.location.block, e.location.instr) {
            e.location.offset = a.spans.get(first[b] + i).map(|s| s.0);
        }
    }
}
