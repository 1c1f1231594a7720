//! Per-version opcode tables, generated from real CPython (see docs/opcodes.md).
//!
//! `opcode.rs` (the version-independent [`Opcode`] enum) and `v3_8.rs` ..
//! `v3_14.rs` (one row per opcode byte, with every fact pyrewrite uses) are
//! written by `tools/gen_opcodes.py` from what each interpreter's
//! `opcode`/`dis` modules say, plus the generator's rules for the facts
//! those modules do not expose, each checked against the interpreter. This
//! file holds the types and the helpers that decode argument encodings from
//! the table columns. `tests/opcodes_oracle.rs` re-checks every table
//! against the interpreters found on the machine.

use crate::version::PyVersion;

pub use opcode::Opcode;

/// A key into a version's table: that version's opcode byte (what `co_code`
/// holds; `dis` and the decoders use these) or the version-independent
/// [`Opcode`] (what the IR holds). Lookups take either, so the IR never
/// converts by hand.
pub trait OpKey: Copy {
    /// This key's byte in `t`, or `None` when `t`'s version lacks the opcode.
    fn byte(self, t: &OpTable) -> Option<u8>;

    /// This key's row in `t`.
    fn row(self, t: &OpTable) -> Option<&OpInfo>;
}

impl OpKey for u8 {
    #[inline]
    fn byte(self, _: &OpTable) -> Option<u8> {
        Some(self)
    }

    #[inline]
    fn row(self, t: &OpTable) -> Option<&OpInfo> {
        t.ops[self as usize].as_ref()
    }
}

impl OpKey for Opcode {
    #[inline]
    fn byte(self, t: &OpTable) -> Option<u8> {
        t.codes[self as usize]
    }

    #[inline]
    fn row(self, t: &OpTable) -> Option<&OpInfo> {
        t.rows[self as usize]
    }
}

/// [`OpTable::rows`] from the byte-indexed rows and the opcode bytes
/// (evaluated when the tables are compiled).
pub(crate) const fn rows_by_opcode(
    ops: &'static [Option<OpInfo>; 256],
    codes: &[Option<u8>; Opcode::COUNT],
) -> [Option<&'static OpInfo>; Opcode::COUNT] {
    let mut out = [None; Opcode::COUNT];
    let mut i = 0;
    while i < Opcode::COUNT {
        if let Some(b) = codes[i] {
            out[i] = ops[b as usize].as_ref();
        }
        i += 1;
    }
    out
}

mod opcode;
mod v3_10;
mod v3_11;
mod v3_12;
mod v3_13;
mod v3_14;
mod v3_8;
mod v3_9;

/// One opcode of one CPython version, as `dis` sees it: one generated row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// The opcode, version-independent.
    pub op: Opcode,
    /// Name as in `dis.opname` (`dis._all_opname` for specialized ones);
    /// always `op.name()`.
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
    /// The named fields of those units, in order, with their sizes in
    /// units (`opcode._cache_format`, 3.11+; empty when unnamed).
    pub cache_fields: &'static [(&'static str, u8)],
    /// Base, specialized (3.11+) or instrumented (3.12+).
    pub kind: OpKind,
    /// What passes, the verifier and `dis` need beyond the above.
    pub facts: OpFacts,
}

/// The facts of one row that `opcode`/`dis` do not list directly: rules in
/// `tools/gen_opcodes.py` (by the opcode's own name, so specialized and
/// instrumented variants get only their own), checked there against the
/// interpreter's rendering and stack effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpFacts {
    /// How many low flag bits a `hasname` opcode packs below its name index
    /// (0, 1 or 2; see [`OpTable::name_arg`]). Checked against `dis`.
    pub name_shift: u8,
    /// The argument packs two local indices (see [`local_pair`]); checked
    /// against `dis`.
    pub local_pair: bool,
    /// Control never falls through to the next instruction (returns,
    /// raises, unconditional jumps); the lifter ends a block after it.
    pub terminator: bool,
    /// How control uses the jump argument; `None` for non-jumps.
    pub jump_use: Option<JumpUse>,
    /// How `dis` renders the argument beyond its [`ArgKind`].
    pub argrepr: ArgRepr,
    /// Values pushed on the path that does not jump, counting those read
    /// and left in place (`LIST_APPEND n` pops `n + 1`, pushes `n`): what
    /// `pushes - stack_effect` values deep the instruction reads. `None`
    /// where not known for certain (the verifier then uses `-net`).
    pub pushes: Option<Count>,
    /// 3.8/3.9 only: values pushed on top of the ones left untouched
    /// (`LIST_APPEND` pushes 0 here), for the peephole-fold rule
    /// ([`crate::stackdepth::peephole`]); `None` on other versions.
    pub fresh_pushes: Option<Count>,
    /// The jump of the other direction the assembler switches to when a
    /// target lies the wrong way (`JUMP_FORWARD` <-> `JUMP_BACKWARD` 3.11+,
    /// `JUMP_FORWARD` -> `JUMP_ABSOLUTE` before), if this version has one.
    pub retarget: Option<Opcode>,
    /// What kinds of stack values it reads and makes (the verifier's
    /// stack-kind rules, src/verify/kinds.rs).
    pub kinds: StackKinds,
    /// It runs only in a generator or coroutine frame (`YIELD_VALUE`,
    /// `YIELD_FROM`, `GEN_START`, `RETURN_GENERATOR`): in any other frame
    /// the interpreter reads a generator object that is not there.
    pub generator_only: bool,
    /// What it does to the local variable slots its argument names (the
    /// verifier's definite-assignment rule, src/verify/locals.rs).
    pub locals: LocalUse,
    /// The jump lands past the instructions at its target, which must be
    /// these, in order: 3.12+ `FOR_ITER`, when the iterator is exhausted,
    /// skips the `END_FOR` it names (3.13: and the `POP_TOP` after it,
    /// `JUMPBY(oparg + 2)`); any other instruction there would be skipped
    /// unrun. Empty for every other jump.
    pub lands_after: &'static [Opcode],
    /// What it does to the 3.8-3.10 block stack (`SETUP_*` push a block,
    /// `POP_BLOCK` and kin pop one; src/verify/blocks.rs).
    pub block: BlockUse,
    /// The container types it makes and needs (src/verify/kinds.rs).
    pub shapes: Shapes,
    /// What is left on the stack when it raises (src/verify/checks.rs
    /// `handler_depths`).
    pub unwind: Unwind,
    /// The tuple constant loaded right before it, which it trusts
    /// (src/verify/consts.rs).
    pub operand: ConstOperand,
    /// How it records the exception handlers around a yield, which
    /// `close()` reads (a pass adding a handler around a generator's body
    /// updates it).
    pub handler_depth: HandlerDepth,
    /// The interpreter reads the argument byte though `dis` gives the
    /// opcode no argument: 3.8-3.10 `END_ASYNC_FOR` ends its loop with
    /// `JUMPBY(oparg)` (ceval.c; the compiler writes 0), so a stray byte
    /// there is a hidden jump.
    pub reads_arg_byte: bool,
}

/// Where the count of exception handlers around a yield is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerDepth {
    /// Nowhere.
    None,
    /// 3.12 `YIELD_VALUE`: its argument is the count.
    Arg,
    /// 3.13+ `RESUME` after a yield: bit 4 of the argument says the count
    /// is exactly one (the generator's own StopIteration wrapper).
    Depth1Bit,
}

/// A tuple constant an instruction takes from the `LOAD_CONST` right
/// before it and reads without checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstOperand {
    /// None.
    None,
    /// A tuple of exactly `oparg` keys (3.12+ `BUILD_CONST_KEY_MAP`).
    KeysOfArg,
    /// A tuple of at most `oparg` strings, the keyword names of a call
    /// (`CALL_FUNCTION_KW`, 3.13+ `CALL_KW`).
    KwNamesWithinArg,
}

/// The stack an instruction leaves when it raises, where the 3.11+
/// unwinder starts popping down to the handler's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwind {
    /// It does not raise (`PUSH_EXC_INFO`, `SWAP`, `COPY`, `NOP`, ...).
    Never,
    /// It has popped the values it consumes (those read minus
    /// [`StackKinds::keep`]): bytecodes.c's `pop_N_error`.
    Consumed,
    /// Everything it read is still counted: a `throw()` into a generator
    /// unwinds at its `YIELD_VALUE`, whose slot the sent value fills.
    KeepsAll,
}

/// A container type the interpreter casts to without checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `tuple`.
    Tuple,
    /// A `tuple` of three items (3.12+ `INTRINSIC_TYPEALIAS`: name, type
    /// parameters, value function).
    Triple,
    /// `list`.
    List,
    /// A `list` of exceptions (or None): what `except*` collects for
    /// `PREP_RERAISE_STAR`, which reads each item as an exception.
    ExceptionList,
    /// `dict`.
    Dict,
    /// A function object (`MAKE_FUNCTION`'s result), which 3.13+
    /// `SET_FUNCTION_ATTRIBUTE` and the type-parameter intrinsic cast to
    /// `PyFunctionObject *`.
    Function,
    /// A code object, which `MAKE_FUNCTION` hands to the function
    /// constructor as `PyCodeObject *` (only an assert checks it).
    Code,
}

/// What container types an instruction makes and needs: the interpreter
/// uses some operands through `PyTupleObject *`, `PyListObject *` or
/// `PyDictObject *` casts with only debug-build asserts, and CPython's
/// compiler only ever hands them what it just built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shapes {
    /// The type of the value it pushes on top (`BUILD_TUPLE`, `BUILD_LIST`,
    /// `BUILD_MAP` and kin); `None`: any object.
    pub makes: Option<Shape>,
    /// Which operand must be of which type.
    pub needs: ShapeNeed,
}

impl Shapes {
    /// Makes and needs no particular type.
    pub const NONE: Shapes = Shapes {
        makes: None,
        needs: ShapeNeed::None,
    };
}

/// Which operand of an instruction must be a particular container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeNeed {
    /// None.
    None,
    /// The deepest value read, the container it adds to (`LIST_APPEND`,
    /// `LIST_EXTEND`: a list; `MAP_ADD`: a dict).
    Deepest(Shape),
    /// The top value read (3.11+ `MATCH_KEYS`: the keys, a tuple).
    Top(Shape),
    /// `MAKE_FUNCTION` (3.8-3.12): with flag 8 the closure is a tuple
    /// and defaults a tuple (or, in generic functions, a value passed in
    /// through a parameter); `above` values (the code object, and before
    /// 3.11 the qualified name) lie over the flagged ones.
    FunctionParts {
        /// Values over the flagged operands.
        above: u8,
        /// 3.10+: the annotations (flag 4) are a tuple of name, value
        /// pairs, which `func_get_annotation_dict` (funcobject.c) walks
        /// two items at a time up to its size with only a debug assert
        /// that the size is even; before, the compiler builds a dict.
        pair_annotations: bool,
    },
    /// 3.13+ `SET_FUNCTION_ATTRIBUTE`: the top is a function; with
    /// argument 8 (closure) the value under it is a tuple of cells, with 1
    /// (defaults) a tuple or a value from a local, with 4 (annotations) a
    /// tuple of even length or a dict (see `FunctionParts`).
    FunctionAttribute,
    /// `CALL_INTRINSIC_1`: what [`OpTable::intrinsic1_needs`] says for
    /// the function its argument picks.
    Intrinsic1,
    /// `CALL_INTRINSIC_2`: likewise, [`OpTable::intrinsic2_needs`].
    Intrinsic2,
}

/// An instruction's effect on the frame's block stack (3.8-3.10 only;
/// from 3.11 exception tables replaced it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockUse {
    /// None.
    None,
    /// Pushes a block (`SETUP_FINALLY`, `SETUP_WITH`, `SETUP_ASYNC_WITH`)
    /// whose handler is the jump target.
    Push,
    /// Pops one (`POP_BLOCK`, `POP_EXCEPT`, `END_ASYNC_FOR` when it ends
    /// the loop); with none there the interpreter aborts.
    Pop,
    /// 3.8 `END_FINALLY` and `POP_FINALLY`: pop the `EXCEPT_HANDLER` block
    /// the unwinder pushed when the `finally` state they take is its
    /// exception (ceval.c `UNWIND_EXCEPT_HANDLER`), nothing otherwise.
    PopIfException,
}

/// What an instruction does to the local slot(s) its argument names: the
/// verifier tracks which locals may be unbound (NULL) on some path, since
/// from 3.12 `LOAD_FAST` reads its slot without checking for NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalUse {
    /// No local slot.
    None,
    /// Reads the slot(s) without a NULL check (3.12+ `LOAD_FAST`,
    /// `LOAD_FAST_LOAD_FAST`, 3.14 `LOAD_FAST_BORROW`): the compiler emits
    /// it only where the local is bound on every path (flowgraph.c).
    Read,
    /// 3.11+ deref ops: read the slot's cell pointer without a check
    /// (`PyCell_GET`/`PyCell_SET` on it): the slot must be bound and hold
    /// a cell, not an object a plain store put there.
    ReadCell,
    /// Reads the slot and raises `UnboundLocalError` on NULL
    /// (`LOAD_FAST_CHECK`; `LOAD_FAST` before 3.12): bound afterwards.
    ReadChecked,
    /// Stores the value(s) it pops (`STORE_FAST`, `STORE_FAST_STORE_FAST`);
    /// a NULL popped (restored by a 3.12+ inlined comprehension) leaves
    /// the slot unbound.
    Store,
    /// 3.13+ `STORE_FAST_LOAD_FAST`: stores into the first slot, then reads
    /// the second without a check.
    StoreThenRead,
    /// Leaves the slot NULL (`DELETE_FAST`, `LOAD_FAST_AND_CLEAR`).
    Clear,
    /// Binds the slot (`MAKE_CELL` puts a new cell there).
    Bind,
    /// `COPY_FREE_VARS n` binds the last `n` slots (the closure's cells).
    BindFree,
}

/// How an instruction treats the kinds of the stack values it reads (its
/// `pushes - net` top values) and what it pushes. The verifier's stack-kind
/// rules; docs/verifier.md gives the CPython fact behind each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackKinds {
    /// How many of the values it reads stay as they were, at the bottom of
    /// those (`LIST_APPEND n` keeps the `n` under the item, `FOR_ITER` its
    /// iterator); the others are consumed.
    pub keep: Count,
    /// What the values it reads must be.
    pub needs: Needs,
    /// What it pushes beyond the kept values (or how it shuffles).
    pub makes: Makes,
}

impl StackKinds {
    /// Consumes objects, pushes objects: most instructions.
    pub const PLAIN: StackKinds = StackKinds {
        keep: Count::Fixed(0),
        needs: Needs::Objects,
        makes: Makes::Objects,
    };
}

/// What an instruction needs of the values it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Every consumed value is an object (never NULL): it is used or
    /// released as one.
    Objects,
    /// No requirement: it handles NULL and the saved exception state
    /// (`POP_EXCEPT` 3.8-3.10, `RERAISE`, `STORE_FAST`, ...).
    Anything,
    /// Objects, the top stored into the cell the argument names
    /// (`STORE_DEREF`): into the hidden `.type_params` cell only a tuple,
    /// which `INTRINSIC_SUBSCRIPT_GENERIC` reads unchecked.
    CellStore,
    /// The deepest value read is an iterator (made by `GET_ITER` and its
    /// kin): `FOR_ITER`, `SEND`, `YIELD_FROM` call its `tp_iternext`.
    IterDeepest,
    /// The deepest value read may be NULL (the callable-or-NULL slot of
    /// `CALL_METHOD` 3.8-3.10 and `CALL` 3.11/3.12); the rest are objects.
    NullDeepest,
    /// The second deepest value read may be NULL (`self_or_null` of
    /// `CALL`/`CALL_KW` 3.13+); the rest are objects.
    NullSecond,
    /// The top value read is an exception the unwinder or its kin made:
    /// 3.11+ `PUSH_EXC_INFO`, `RERAISE`, `WITH_EXCEPT_START` use it as one
    /// unchecked; what lies below is not checked.
    ExceptionTop,
    /// 3.11+ `POP_EXCEPT`: the top value is an exception or the previous
    /// exception `PUSH_EXC_INFO` saved (None when there was none), which it
    /// puts back as the handled exception.
    ExceptionOrPreviousTop,
    /// 3.9/3.10 `RERAISE`, `WITH_EXCEPT_START`: the top three values are
    /// the exception triple the unwinder pushed (type on top), which they
    /// restore or pass on unchecked.
    ExceptionTriple,
    /// 3.8 `POP_FINALLY`: with a nonzero argument the top value read is
    /// an object (the value it keeps over the `finally` state it pops);
    /// the state under it is one, as for `END_FINALLY`.
    PreservedTop,
    /// 3.9/3.10 `POP_EXCEPT`: the three values read are the saved
    /// exception state a handler's entry pushed; it puts them back as the
    /// thread's current exception (type, value, traceback) unchecked.
    SavedState,
    /// 3.11+ `CHECK_EG_MATCH`: the deepest value read (the exception it
    /// splits) is an exception the unwinder or its kin made.
    ExceptionDeepest,
    /// 3.8 `WITH_CLEANUP_START`: the top value is a `finally` entry's
    /// state (`BEGIN_FINALLY`'s NULL or the unwinder's exception), which it
    /// tells apart to find the exit function under it; the rest may be
    /// anything.
    FinallyTop,
    /// 3.8 `END_FINALLY`: the top value is a `finally` entry's state (NULL,
    /// `CALL_FINALLY`'s return address, or the unwinder's exception), which
    /// it tells apart at run time; any other object is taken for an
    /// exception type and a triple is read under it.
    FinallyState,
    /// 3.8 `WITH_CLEANUP_FINISH`: the value under the exit function's
    /// result is the copy `WITH_CLEANUP_START` pushed (None, or the
    /// unwinder's exception type): with anything else but None and a true
    /// result it pops an `EXCEPT_HANDLER` block and unwinds to it.
    CleanupCopy,
}

/// What an instruction pushes (after the kept values), or how it
/// rearranges the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Makes {
    /// Objects.
    Objects,
    /// An iterator on top (`GET_ITER`, `GET_YIELD_FROM_ITER`,
    /// `GET_AWAITABLE`, `GET_ANEXT`).
    Iterator,
    /// Possibly NULL (`PUSH_NULL`, 3.12+ `LOAD_FAST_AND_CLEAR`).
    Null,
    /// Two values, the lower possibly NULL (`LOAD_METHOD` 3.8-3.11).
    NullBelow,
    /// Two values, the upper possibly NULL (`LOAD_SPECIAL` 3.14).
    NullAbove,
    /// With argument bit 0 set, a possibly-NULL value under the result
    /// (`LOAD_GLOBAL` 3.11/3.12, `LOAD_ATTR`/`LOAD_SUPER_ATTR` 3.12).
    NullBelowIfBit0,
    /// With argument bit 0 set, a possibly-NULL value over the result
    /// (`LOAD_GLOBAL`, `LOAD_ATTR`, `LOAD_SUPER_ATTR` 3.13+).
    NullAboveIfBit0,
    /// The state of a 3.8 `finally` entered normally: `BEGIN_FINALLY`
    /// pushes one NULL where the compiler counts six slots; none of them
    /// is an object, and none is the exception state a handler saves
    /// (`WITH_CLEANUP_START` tells the two apart by the NULL).
    FinallyNull,
    /// 3.8-3.10 `SETUP_WITH`, `BEFORE_ASYNC_WITH`: the context manager's
    /// `__exit__` under the second value, the function 3.8's
    /// `WITH_CLEANUP_START` and 3.9/3.10's `WITH_EXCEPT_START` find under
    /// the handler's state and call.
    ExitBelow,
    /// 3.8 `WITH_CLEANUP_FINISH`: nothing new, but the six slots it leaves
    /// for `END_FINALLY` are a `finally` state again: one NULL when
    /// `__exit__` swallowed the exception (ceval.c unwinds the handler's
    /// block and pushes NULL), as `BEGIN_FINALLY` makes.
    FinallyStateLeft,
    /// 3.8 `WITH_CLEANUP_START`: a copy of the `finally` state's top (None
    /// or the exception type) under the exit function's result, the pair
    /// `WITH_CLEANUP_FINISH` takes.
    CleanupCopy,
    /// A cell (`LOAD_CLOSURE` 3.8-3.12): a `BUILD_TUPLE` of cells only is
    /// a closure.
    Cell,
    /// A constant: a generator's code object is told apart, so that the
    /// function made from it is known to return an iterator.
    Const,
    /// A function (`MAKE_FUNCTION`): a generator function when made from a
    /// generator's code object.
    Function,
    /// The value it consumed on top, unchanged in kind
    /// (`SET_FUNCTION_ATTRIBUTE` returns its function).
    SameAsTop,
    /// The content of a cell (`LOAD_DEREF`, `LOAD_FROM_DICT_OR_DEREF`): a
    /// tuple when the cell is the compiler's hidden `.type_params`
    /// variable (3.12+), else an object.
    CellContent,
    /// A local variable: an iterator when it is the implicit `.0` argument
    /// of a comprehension or generator expression (the caller made it with
    /// `GET_ITER`), else an object.
    Local,
    /// A copy of the value this deep (`DUP_TOP`, `COPY`).
    Copy(Count),
    /// Copies of the top two (`DUP_TOP_TWO`).
    CopyTwo,
    /// Swaps the top with the value this deep (`ROT_TWO`, `SWAP`).
    Swap(Count),
    /// Moves the top down to this depth (`ROT_THREE`, `ROT_FOUR`, `ROT_N`).
    Rotate(Count),
    /// Exceptions or None (3.11+ `CHECK_EG_MATCH`: rest and match;
    /// `PREP_RERAISE_STAR`).
    Exceptions,
    /// 3.11+ `PUSH_EXC_INFO`: the previous exception (None when no
    /// exception was being handled) under the new one.
    PreviousAndException,
    /// An exception when the argument is this intrinsic
    /// (`CALL_INTRINSIC_1` STOPITERATION_ERROR, `CALL_INTRINSIC_2`
    /// PREP_RERAISE_STAR, 3.12+).
    ExceptionIfArg(u32),
}

impl OpFacts {
    /// The facts of a byte the version does not define.
    pub const UNDEFINED: OpFacts = OpFacts {
        name_shift: 0,
        local_pair: false,
        terminator: false,
        jump_use: None,
        argrepr: ArgRepr::Kind,
        pushes: None,
        fresh_pushes: None,
        retarget: None,
        kinds: StackKinds::PLAIN,
        generator_only: false,
        locals: LocalUse::None,
        lands_after: &[],
        block: BlockUse::None,
        shapes: Shapes::NONE,
        unwind: Unwind::Consumed,
        operand: ConstOperand::None,
        handler_depth: HandlerDepth::None,
        reads_arg_byte: false,
    };
}

/// A stack-slot count that may depend on the argument `a`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    /// Always this many.
    Fixed(u8),
    /// `a` (`SWAP`, `ROT_N`, the container operands, `UNPACK_SEQUENCE`).
    Arg,
    /// `a + 1` (`COPY`).
    ArgPlus1,
    /// `1 + (a & 1)` (3.12+ `LOAD_ATTR`, `LOAD_SUPER_ATTR`: method loads push two).
    OnePlusBit0,
    /// `(a & 0xff) + (a >> 8) + 1` (`UNPACK_EX`).
    UnpackEx,
}

impl Count {
    /// The count for argument `a`.
    #[inline]
    pub fn of(self, a: u32) -> u32 {
        match self {
            Count::Fixed(n) => u32::from(n),
            Count::Arg => a,
            Count::ArgPlus1 => a.saturating_add(1),
            Count::OnePlusBit0 => 1 + (a & 1),
            Count::UnpackEx => (a & 0xff) + (a >> 8) + 1,
        }
    }
}

/// How an instruction's jump argument is followed by control flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JumpUse {
    /// An ordinary jump: control may continue at the target.
    Flow,
    /// 3.8-3.10 `SETUP_FINALLY` / `SETUP_WITH` / `SETUP_ASYNC_WITH`: the
    /// target is the handler entered when an exception is raised later
    /// (the instruction pushes a handler).
    Setup,
    /// 3.8 `CALL_FINALLY`: runs the `finally` block, which returns to the
    /// next instruction through `POP_FINALLY`/`END_FINALLY`.
    CallFinally,
    /// The argument names an instruction but control never goes there from
    /// this one (3.14 `END_ASYNC_FOR` records where its loop's `SEND` is,
    /// for `sys.monitoring`).
    Reference,
}

/// How `dis` renders an argument where its [`ArgKind`] alone does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgRepr {
    /// As the argument kind says.
    Kind,
    /// No text (3.11 constants other than `LOAD_CONST`'s, 3.8/3.9 absolute jumps).
    Blank,
    /// A name whose flag bit reads `NULL` (`LOAD_GLOBAL`), not `NULL|self`.
    GlobalNull,
    /// `FORMAT_VALUE` (before 3.13): converter and `with format`.
    FormatValue,
    /// Function attribute flags (`MAKE_FUNCTION` before 3.13, `SET_FUNCTION_ATTRIBUTE`).
    FunctionFlags,
    /// `CONVERT_VALUE`'s converter name.
    ConvertValue,
    /// 3.14 `IS_OP`: `is` / `is not`.
    IsNot,
    /// 3.14 `CONTAINS_OP`: `in` / `not in`.
    NotIn,
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
    /// What each `intrinsic1` function needs of its operand (on top).
    pub intrinsic1_needs: &'static [ShapeNeed],
    /// What each `intrinsic2` function needs of its operands.
    pub intrinsic2_needs: &'static [ShapeNeed],
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
    /// The byte of each [`Opcode`] (`None`: not in this version).
    pub codes: &'static [Option<u8>; Opcode::COUNT],
    /// The row of each [`Opcode`] (`ops[codes[op]]`, precomputed: the IR
    /// looks rows up by opcode on every instruction).
    pub rows: &'static [Option<&'static OpInfo>; Opcode::COUNT],
    /// A `hascompare` argument holds the `cmp_op` index `arg >> compare_shift`
    /// (0 before 3.12, 4 on 3.12, 5 from 3.13; from `dis`'s rendering).
    pub compare_shift: u8,
    /// Bit 4 of a compare argument means "result converted to bool" (3.13+).
    pub compare_bool_bit: bool,
    /// `dis` prints a name's flag after it (`x + NULL`, 3.13+) rather than
    /// before (`NULL + x`).
    pub null_after_name: bool,
    /// `dis` decides whether a byte takes an argument by `byte >=
    /// HAVE_ARGUMENT` (before 3.12: `opcode` has no `hasarg` list; this
    /// differs from the row for 3.11's specialized opcodes), not by the row.
    pub arg_by_threshold: bool,
    /// Locals, cells and free variables share one index space,
    /// `co_localsplusnames` (3.11+), rather than varnames and cells+frees.
    pub localsplus: bool,
}

impl OpTable {
    /// The row of `op`, if this version defines it.
    #[inline]
    pub fn get(&self, op: impl OpKey) -> Option<&OpInfo> {
        op.row(self)
    }

    /// The row facts of `op` ([`OpFacts::UNDEFINED`] for unused bytes and
    /// opcodes this version lacks).
    #[inline]
    pub fn facts(&self, op: impl OpKey) -> &OpFacts {
        match self.get(op) {
            Some(i) => &i.facts,
            None => &OpFacts::UNDEFINED,
        }
    }

    /// The [`Opcode`] of byte `op`, if this version defines it.
    #[inline]
    pub fn opcode(&self, op: u8) -> Option<Opcode> {
        self.ops[op as usize].as_ref().map(|i| i.op)
    }

    /// This version's byte for `op`, if it has that opcode.
    #[inline]
    pub fn code(&self, op: Opcode) -> Option<u8> {
        self.codes[op as usize]
    }

    /// `op`, if this version has it (for building instructions).
    #[inline]
    pub fn have(&self, op: Opcode) -> Option<Opcode> {
        self.code(op).map(|_| op)
    }

    /// The row of `op`, if this version has it.
    pub fn info(&self, op: Opcode) -> Option<&OpInfo> {
        self.get(self.code(op)?)
    }

    /// True when `op` is opcode `want` and this version has it.
    #[inline]
    pub fn is(&self, op: impl OpKey, want: Opcode) -> bool {
        self.code(want).is_some_and(|c| op.byte(self) == Some(c))
    }

    /// The opcode called `name` (base, specialized or instrumented).
    pub fn by_name(&self, name: &str) -> Option<&OpInfo> {
        self.info(Opcode::from_name(name)?)
    }

    /// Whether byte `op` uses its argument byte, as `dis` decides (see
    /// [`OpTable::arg_by_threshold`]); false for unused bytes from 3.12.
    #[inline]
    pub fn takes_arg(&self, op: impl OpKey) -> bool {
        let Some(op) = op.byte(self) else {
            return false;
        };
        if self.arg_by_threshold {
            op >= self.have_argument
        } else {
            self.ops[op as usize].as_ref().is_some_and(|i| i.has_arg)
        }
    }

    /// Bytes per jump-argument unit (the rows' unit: 1 before 3.10, 2 from 3.10 on).
    pub fn jump_unit_bytes(&self) -> u32 {
        self.ops
            .iter()
            .flatten()
            .find_map(|o| o.jump)
            .map_or(2, |j| u32::from(j.unit_bytes))
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
    pub fn stack_effect(&self, op: impl OpKey, oparg: u32, jump: Option<bool>) -> Option<i32> {
        (self.stack_effect)(op.byte(self)?, oparg, jump)
    }

    /// Byte offset `dis` reports as the target of jump `op` with (full,
    /// EXTENDED_ARG-merged) argument `arg` at byte `offset`; `None` when
    /// `op` is no jump. May be negative or past the end for bogus input.
    pub fn jump_target(&self, op: impl OpKey, arg: u32, offset: u32) -> Option<i64> {
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
    /// converted to bool" (`bool(<)` in `dis`) from 3.13 (the table's
    /// `compare_shift` and `compare_bool_bit` columns).
    pub fn compare_op(&self, arg: u32) -> Option<(&'static str, bool)> {
        let idx = arg >> self.compare_shift;
        let to_bool = self.compare_bool_bit && arg & 16 != 0;
        self.cmp_op.get(idx as usize).map(|s| (*s, to_bool))
    }

    /// Decodes the argument of a `hasname` opcode `op` (by the opcode it
    /// deoptimizes to); see [`NameArg`].
    pub fn name_arg(&self, op: impl OpKey, arg: u32) -> NameArg {
        let shift = op
            .byte(self)
            .map_or(0, |b| self.facts(self.deopt(b)).name_shift);
        NameArg::split(shift, arg)
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

impl NameArg {
    /// Splits a `hasname` argument whose opcode packs `shift` flag bits
    /// ([`OpFacts::name_shift`]): `LOAD_GLOBAL` is `index << 1 | push_null`
    /// from 3.11, `LOAD_ATTR` `index << 1 | is_method` from 3.12,
    /// `LOAD_SUPER_ATTR` (3.12+) `index << 2 | two_args << 1 | is_method`;
    /// all others are the plain index.
    #[inline]
    pub fn split(shift: u8, arg: u32) -> NameArg {
        NameArg {
            index: arg >> shift,
            low_bit: shift > 0 && arg & 1 != 0,
            super_two_args: shift == 2 && arg & 2 != 0,
        }
    }
}

/// Splits a `hasname` argument of opcode `name` (deoptimized) in version
/// `v`, by that version's row; see [`NameArg::split`].
pub fn name_arg(v: PyVersion, name: &str, arg: u32) -> NameArg {
    let shift = table(v)
        .and_then(|t| t.by_name(name))
        .map_or(0, |i| i.facts.name_shift);
    NameArg::split(shift, arg)
}

/// True for the opcodes whose argument packs two local indices in some
/// version's rows: 3.13+ `LOAD_FAST_LOAD_FAST`, `STORE_FAST_LOAD_FAST`,
/// `STORE_FAST_STORE_FAST`, and 3.14's `LOAD_FAST_BORROW_LOAD_FAST_BORROW`.
/// Prefer [`OpFacts::local_pair`] of the version at hand.
pub fn is_local_pair(name: &str) -> bool {
    any_row(name, |i| i.facts.local_pair)
}

/// True when some supported version's row called `name` says `pred`.
pub fn any_row(name: &str, pred: impl Fn(&OpInfo) -> bool) -> bool {
    PyVersion::SUPPORTED
        .iter()
        .filter_map(|&v| table(v))
        .filter_map(|t| t.by_name(name))
        .any(pred)
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
    // NB: the one place that maps a version to its table.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row's opcode is its name, and `code`/`opcode` invert each other.
    #[test]
    fn rows_map_bytes_and_opcodes_both_ways() {
        for v in PyVersion::SUPPORTED {
            let t = table(v).expect("supported");
            for b in 0..=255u8 {
                if let Some(op) = t.opcode(b) {
                    assert_eq!(t.code(op), Some(b), "{v} byte {b}");
                    assert_eq!(Opcode::from_name(op.name()), Some(op));
                    assert_eq!(t.get(b).map(|i| i.name), Some(op.name()));
                }
            }
            let n = Opcode::ALL
                .iter()
                .filter(|&&op| t.code(op).is_some())
                .count();
            assert_eq!(n, t.ops.iter().flatten().count(), "{v}");
            let shift = |n: &str| t.by_name(n).map(|i| t.facts(i.code).name_shift);
            assert_eq!(shift("LOAD_NAME"), Some(0));
            assert_eq!(shift("LOAD_GLOBAL"), Some(u8::from(v.at_least(11))));
        }
    }

    /// Push counts never undercut the net effect (pops = pushes - net >= 0),
    /// and a retarget names a jump of this version going the other way.
    #[test]
    fn row_facts_agree_with_the_rest_of_the_row() {
        for v in PyVersion::SUPPORTED {
            let t = table(v).expect("supported");
            for o in t.ops.iter().flatten() {
                for count in [o.facts.pushes, o.facts.fresh_pushes].into_iter().flatten() {
                    for a in 0..40u32 {
                        if let Some(net) = t.stack_effect(o.code, a, Some(false)) {
                            assert!(
                                i64::from(count.of(a)) - i64::from(net) >= 0,
                                "{v} {} arg {a}",
                                o.name
                            );
                        }
                    }
                }
                if let Some(r) = o.facts.retarget {
                    let other = t
                        .info(r)
                        .unwrap_or_else(|| panic!("{v} {}: retarget {r:?} missing", o.name));
                    let (a, b) = (o.jump.expect("a jump"), other.jump.expect("a jump"));
                    assert!(
                        a.backward != b.backward || a.relative != b.relative,
                        "{v} {} -> {}",
                        o.name,
                        other.name
                    );
                }
                assert_eq!(
                    o.facts.fresh_pushes.is_some(),
                    !v.at_least(10),
                    "{v} {}",
                    o.name
                );
            }
        }
    }
}
