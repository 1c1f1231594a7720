//! The editable form of a code object: labelled blocks of instructions whose
//! arguments say what they mean, with no byte offsets anywhere.
//!
//! [`crate::lift`] builds a [`Function`] from a code object and
//! [`crate::asm`] turns it back into `co_code`, the line table, the exception
//! table and the constant/name/local tuples. See docs/ir.md.
//!
//! NB: an instruction holds the version-independent [`Opcode`]; the
//! function's version decides its byte and row ([`crate::opcodes::table`],
//! which takes either as a key). The lifter only makes opcodes the version
//! has, passes check theirs when they build them, and the verifier and the
//! assembler refuse any other.

mod display;
mod idvec;
mod locals;

use crate::marshal::ObjId;
use crate::opcodes::Opcode;
use crate::version::PyVersion;

pub use display::{write_function, Show};
pub use idvec::{Id, IdVec};

/// A jump target and block name. Displayed as `L3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// A block by position: its index in [`Function::blocks`] (the CFG,
/// the stack depths and the verifier report blocks this way). Its name,
/// which jumps use and which survives edits, is its [`Label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub u32);

impl BlockId {
    /// The index into [`Function::blocks`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index into [`Function::consts`] (`co_consts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConstIdx(pub u32);

/// Index into [`Function::names`] (`co_names`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameIdx(pub u32);

/// Index into the local variables: `co_varnames` (3.8-3.10) or the
/// localsplus array (3.11+, where cells and free variables live too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalIdx(pub u32);

/// Index of a cell or free variable in the version's index space: into
/// cellvars + freevars before 3.11, into localsplus from 3.11.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FreeIdx(pub u32);

impl LocalIdx {
    /// The index into [`Function::localsplus`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl FreeIdx {
    /// The index into the version's cell-and-free space.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

macro_rules! ids {
    ($($t:ident),*) => {$(
        impl Id for $t {
            fn from_index(i: usize) -> Self {
                $t(i as u32)
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}
ids!(ConstIdx, NameIdx, LocalIdx);

// NB: shown as the bare number, as `dis` shows the argument.
impl std::fmt::Display for LocalIdx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for FreeIdx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What an instruction's argument means. The assembler turns it back into
/// the number CPython expects for the instruction's opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    /// No argument (encoded as 0).
    None,
    /// A plain number: counts, flags, `RESUME` kind, intrinsic and
    /// special-method indices, and the raw byte of an argument-less opcode
    /// that was not 0 in the original.
    Int(u32),
    /// A `co_consts` index.
    Const(ConstIdx),
    /// A `co_names` index. `flags` are the low bits some opcodes pack below
    /// the index: bit 0 of `LOAD_GLOBAL` (3.11+, push NULL), of `LOAD_ATTR`
    /// (3.12+, method load) and of `LOAD_SUPER_ATTR`, plus bit 1 of
    /// `LOAD_SUPER_ATTR` (two-argument `super`). 0 for other opcodes.
    Name {
        /// Index into `co_names`.
        index: NameIdx,
        /// The packed low bits (see above).
        flags: u8,
    },
    /// A local variable.
    Local(LocalIdx),
    /// Two locals packed as `first << 4 | second` (3.13+ `LOAD_FAST_LOAD_FAST`
    /// and friends); `first` is used first.
    LocalPair(LocalIdx, LocalIdx),
    /// A cell or free variable.
    Free(FreeIdx),
    /// A comparison argument, raw (its layout differs per version; decode
    /// with [`crate::opcodes::OpTable::compare_op`]).
    Compare(u32),
    /// A `BINARY_OP` argument (index into `OpTable::nb_ops`), raw.
    BinaryOp(u32),
    /// A jump to the block with this label.
    Jump(Label),
}

/// The source location of one instruction. On 3.8-3.10 only `line` is
/// used; `line == None` means "no line" (3.10+).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    /// Line.
    pub line: Option<i32>,
    /// Last line of the span (3.11+).
    pub end_line: Option<i32>,
    /// Start column, 0-based UTF-8 bytes (3.11+).
    pub col: Option<i32>,
    /// End column, exclusive (3.11+).
    pub end_col: Option<i32>,
}

/// The exception handler covering an instruction (3.11+ exception table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Handler {
    /// Where control goes.
    pub target: Label,
    /// Stack depth the handler starts from (before the exception is pushed).
    pub depth: u32,
    /// Whether the raising instruction's offset is pushed too.
    pub lasti: bool,
}

/// One instruction. EXTENDED_ARG prefixes and inline caches are not
/// instructions of their own: they are part of the one they belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    /// The opcode (never `EXTENDED_ARG` or `CACHE`).
    pub op: Opcode,
    /// The argument.
    pub arg: Arg,
    /// Source location (covers the prefixes and caches too).
    pub loc: Loc,
    /// The exception handler covering it (3.11+), if any.
    pub handler: Option<Handler>,
    /// How many EXTENDED_ARG prefixes the original had. The assembler emits
    /// `max(needed, ext)`: CPython sometimes writes useless `EXTENDED_ARG 0`
    /// prefixes (3.8/3.9 peephole optimizer), and they must survive.
    pub ext: u8,
    /// 3.8/3.9 only: the line table opens a new record at this instruction
    /// even if its line equals the previous instruction's. CPython marks
    /// every statement start this way, and tracing reports a line event
    /// there. Ignored from 3.10 on (records only start where locations change).
    pub starts_line: bool,
    /// 3.8/3.9 only: empty line-table records CPython left just before
    /// this instruction (lines of code its optimizer removed), as an index
    /// into [`Function::ghost_lines`]. They change no instruction's line;
    /// kept so unchanged code re-assembles byte for byte.
    pub ghosts: Option<GhostLines>,
}

/// Index into [`Function::ghost_lines`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GhostLines(pub u32);

impl Instr {
    /// A new instruction with no location, handler or forced prefixes.
    pub fn new(op: Opcode, arg: Arg) -> Self {
        Instr {
            op,
            arg,
            loc: Loc::default(),
            handler: None,
            ext: 0,
            starts_line: false,
            ghosts: None,
        }
    }
}

/// A labelled run of instructions. Control falls through to the next block
/// in [`Function::blocks`] unless the last instruction is unconditional.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The block's name; jumps target it.
    pub label: Label,
    /// The instructions.
    pub instrs: Vec<Instr>,
}

/// A code object in editable form.
///
/// Object-valued fields are [`ObjId`]s into the [`crate::marshal::Marshal`]
/// arena the function was lifted from; the assembler writes back into that
/// arena. Tables keep their original order; new entries are appended.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    /// The CPython version whose opcodes and layout are used.
    pub version: PyVersion,
    /// Blocks in layout order (fall-through goes to the next one).
    pub blocks: Vec<Block>,
    /// `co_consts` items.
    pub consts: IdVec<ConstIdx, ObjId>,
    /// `co_names` items (str nodes).
    pub names: IdVec<NameIdx, ObjId>,
    /// `co_varnames` (3.8-3.10) or `co_localsplusnames` (3.11+).
    pub localsplus: IdVec<LocalIdx, ObjId>,
    /// `co_localspluskinds` (3.11+; empty before).
    pub localspluskinds: Vec<u8>,
    /// `co_cellvars` (3.8-3.10; empty after).
    pub cellvars: Vec<ObjId>,
    /// `co_freevars` (3.8-3.10; empty after).
    pub freevars: Vec<ObjId>,
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount`.
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: i32,
    /// `co_nlocals` as stored (3.8-3.10; derived from kinds on 3.11+).
    pub nlocals: i32,
    /// `co_stacksize` as read (not recomputed by the assembler).
    pub stacksize: i32,
    /// `co_flags`.
    pub flags: u32,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_name` node.
    pub name: ObjId,
    /// `co_qualname` node (3.11+).
    pub qualname: Option<ObjId>,
    /// `co_filename` node.
    pub filename: ObjId,
    /// Lines of empty 3.8/3.9 line-table records, referenced by
    /// [`Instr::ghosts`]; the last item holds those after the last
    /// instruction when [`Function::end_ghosts`] is set.
    pub ghost_lines: Vec<Vec<i32>>,
    /// 3.8/3.9: empty records after the last instruction.
    pub end_ghosts: Option<GhostLines>,
    /// 3.8/3.9: constants loaded where the peephole optimizer folded `n`
    /// loads and a `BUILD_TUPLE n` into one tuple, with `n`. CPython
    /// counted those `n` slots in `co_stacksize`, and so does
    /// [`crate::stackdepth`] (see [`crate::stackdepth::peephole`]). Empty
    /// on other versions.
    pub peephole_tuples: Vec<(ConstIdx, u32)>,
    /// The next unused label number (see [`Function::new_label`]).
    pub next_label: u32,
}

impl Function {
    /// A fresh label, not used by any block yet.
    pub fn new_label(&mut self) -> Label {
        let l = Label(self.next_label);
        self.next_label += 1;
        l
    }

    /// Appends a constant and returns its index (existing ones keep theirs).
    pub fn add_const(&mut self, obj: ObjId) -> ConstIdx {
        self.consts.push(obj)
    }

    /// Appends a name and returns its index.
    pub fn add_name(&mut self, obj: ObjId) -> NameIdx {
        self.names.push(obj)
    }

    /// The block called `label`, if any.
    pub fn block(&self, label: Label) -> Option<&Block> {
        self.blocks.iter().find(|b| b.label == label)
    }

    /// Index in [`Function::blocks`] of the block called `label`.
    pub fn block_index(&self, label: Label) -> Option<usize> {
        self.blocks.iter().position(|b| b.label == label)
    }

    /// The name of cell or free variable `i` in this version's index
    /// space: `co_cellvars` then `co_freevars` before 3.11, the localsplus
    /// array from 3.11 (where `cellvars`/`freevars` are not kept apart).
    pub fn free_name(&self, i: FreeIdx) -> Option<ObjId> {
        if self.version.localsplus_layout() {
            return self.localsplus.get(LocalIdx(i.0)).copied();
        }
        let k = i.0 as usize;
        match k.checked_sub(self.cellvars.len()) {
            None => self.cellvars.get(k).copied(),
            Some(j) => self.freevars.get(j).copied(),
        }
    }

    /// All instructions in layout order.
    pub fn instrs(&self) -> impl Iterator<Item = &Instr> {
        self.blocks.iter().flat_map(|b| b.instrs.iter())
    }
}

/// Block index by label: what the assembler, the CFG and the stack-depth
/// analysis look up for every jump and handler.
///
/// NB: labels come from [`Function::new_label`], so they are small and
/// dense and a plain vector serves; a hand-built function with huge label
/// numbers gets a hash map instead of a huge vector.
#[derive(Clone, Debug)]
pub enum LabelIndex {
    /// Slot `label.0` holds the block index, `u32::MAX` for none.
    Dense(Vec<u32>),
    /// For sparse label numbers.
    Sparse(std::collections::HashMap<Label, u32>),
}

impl LabelIndex {
    /// The index of `blocks`; where two blocks share a label the first one
    /// wins, and the label is returned as the second value.
    pub fn new(blocks: &[Block]) -> (LabelIndex, Option<Label>) {
        let max = blocks.iter().map(|b| b.label.0 as usize).max().unwrap_or(0);
        let mut dup = None;
        if max < 64 * blocks.len() + 4096 {
            let mut slots = vec![u32::MAX; max + 1];
            for (i, b) in blocks.iter().enumerate() {
                let s = &mut slots[b.label.0 as usize];
                if *s == u32::MAX {
                    *s = i as u32;
                } else {
                    dup = dup.or(Some(b.label));
                }
            }
            (LabelIndex::Dense(slots), dup)
        } else {
            let mut map = std::collections::HashMap::with_capacity(blocks.len());
            for (i, b) in blocks.iter().enumerate() {
                match map.entry(b.label) {
                    std::collections::hash_map::Entry::Occupied(_) => dup = dup.or(Some(b.label)),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(i as u32);
                    }
                }
            }
            (LabelIndex::Sparse(map), dup)
        }
    }

    /// Index in the blocks of the block called `l`.
    pub fn get(&self, l: Label) -> Option<usize> {
        match self {
            LabelIndex::Dense(slots) => slots
                .get(l.0 as usize)
                .filter(|&&s| s != u32::MAX)
                .map(|&s| s as usize),
            LabelIndex::Sparse(map) => map.get(&l).map(|&s| s as usize),
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// True for opcodes after which control never falls through to the next
/// instruction: unconditional jumps, returns and raises (by `dis` name, in
/// any supported version's rows). The lifter starts a new block after each
/// of them. Prefer [`crate::opcodes::OpFacts::terminator`] of the version at hand.
pub fn is_terminator(name: &str) -> bool {
    crate::opcodes::any_row(name, |i| i.facts.terminator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(labels: &[u32]) -> Vec<Block> {
        labels
            .iter()
            .map(|&l| Block {
                label: Label(l),
                instrs: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn label_index_dense_and_sparse_agree() {
        for labels in [vec![0, 3, 1, 3], vec![7, 4_000_000_000, 2, 7]] {
            let b = blocks(&labels);
            let (ix, dup) = LabelIndex::new(&b);
            assert_eq!(matches!(ix, LabelIndex::Dense(_)), labels[1] == 3);
            assert_eq!(dup, Some(Label(labels[3])));
            for (i, &l) in labels.iter().enumerate().take(3) {
                assert_eq!(ix.get(Label(l)), Some(i));
            }
            assert_eq!(ix.get(Label(5)), None);
            assert_eq!(ix.get(Label(u32::MAX)), None);
        }
    }
}
