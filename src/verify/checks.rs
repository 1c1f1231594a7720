//! The structural, per-instruction, control-flow and stack checks.

use super::{Invariant as I, Limits, Sink};
use crate::asm;
use crate::cfg::Cfg;
use crate::ir::{Arg, Function, Instr, Label};
use crate::opcodes::{self, ArgKind, OpInfo, OpKind, OpTable, Opcode, Unwind};
use crate::stackdepth::{self, DepthErrorKind};
use std::collections::HashMap;

/// `co_localspluskinds` bits for cell and free variables (3.11+).
const CO_FAST_CELL: u8 = 0x40;
const CO_FAST_FREE: u8 = 0x80;
/// `co_flags` bits for `*args` and `**kwargs`.
const CO_VARARGS: u32 = 0x04;
const CO_VARKEYWORDS: u32 = 0x08;

/// Opcodes that are in the tables but never in a code object on disk
/// (instrumented ones are excluded by their kind).
fn never_on_disk(op: Opcode) -> bool {
    matches!(
        op,
        Opcode::Cache
            | Opcode::ExtendedArg
            | Opcode::Reserved
            | Opcode::EnterExecutor
            // NB: only in the trampoline code object CPython builds at run
            // time (3.11+); anywhere else it leaves the eval loop mid-frame.
            | Opcode::InterpreterExit
    )
}

pub(super) fn run(f: &Function, limits: &Limits, depths: &stackdepth::Analysis, sink: &mut Sink) {
    let Some(t) = opcodes::table(f.version) else {
        sink.func(
            I::UnknownOpcode,
            format!("no opcode table for Python {}", f.version),
        );
        return;
    };
    if f.blocks.iter().all(|b| b.instrs.is_empty()) {
        sink.func(
            I::NoCode,
            "the function has no instruction (CPython code always ends in a return or raise)"
                .into(),
        );
        return;
    }
    labels(f, sink);
    locals_table(f, sink);
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            instruction(f, t, bi, k, ins, sink);
        }
    }
    // NB: one graph for both checks that need it.
    let graph = Cfg::new(f).ok();
    targets(f, t, graph.as_ref(), sink);
    if let Some(g) = &graph {
        prologue_entries(f, g, sink);
    }
    send_handlers(f, t, sink);
    stack(f, depths, sink);
    code_size(f, t, limits, sink);
}

fn labels(f: &Function, sink: &mut Sink) {
    let mut seen: HashMap<Label, usize> = HashMap::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        if let Some(prev) = seen.insert(b.label, bi) {
            sink.at(
                f,
                I::DuplicateLabel,
                bi,
                None,
                format!("label {} is also block {prev}'s", b.label),
            );
        }
        if b.label.0 >= f.next_label {
            sink.at(
                f,
                I::LabelBeyondNext,
                bi,
                None,
                format!("label {} is not below next_label {}", b.label, f.next_label),
            );
        }
    }
}

fn locals_table(f: &Function, sink: &mut Sink) {
    let n = f.localsplus.len();
    if f.version.localsplus_layout() {
        if f.localspluskinds.len() != n {
            sink.func(
                I::LocalsTable,
                format!(
                    "{} localsplus names but {} kinds",
                    n,
                    f.localspluskinds.len()
                ),
            );
        }
    } else {
        if !f.localspluskinds.is_empty() {
            sink.func(
                I::LocalsTable,
                "localspluskinds exist only from 3.11 on".into(),
            );
        }
        if f.nlocals as usize != n {
            sink.func(
                I::LocalsTable,
                format!("co_nlocals is {} but co_varnames has {n} names", f.nlocals),
            );
        }
    }
    if f.posonlyargcount < 0 || f.kwonlyargcount < 0 || f.argcount < f.posonlyargcount {
        sink.func(
            I::LocalsTable,
            format!(
                "bad argument counts: argcount {}, posonly {}, kwonly {}",
                f.argcount, f.posonlyargcount, f.kwonlyargcount
            ),
        );
    }
    let args = i64::from(f.argcount)
        + i64::from(f.kwonlyargcount)
        + i64::from(f.flags & CO_VARARGS != 0)
        + i64::from(f.flags & CO_VARKEYWORDS != 0);
    if args > n as i64 {
        sink.func(
            I::LocalsTable,
            format!("{args} arguments but only {n} local names"),
        );
    }
}

fn kind_name(a: &Arg) -> &'static str {
    match a {
        Arg::None => "none",
        Arg::Int(_) => "Int",
        Arg::Const(_) => "Const",
        Arg::Name { .. } => "Name",
        Arg::Local(_) => "Local",
        Arg::LocalPair(..) => "LocalPair",
        Arg::Free(_) => "Free",
        Arg::Compare(_) => "Compare",
        Arg::BinaryOp(_) => "BinaryOp",
        Arg::Jump(_) => "Jump",
    }
}

fn instruction(f: &Function, t: &OpTable, bi: usize, k: usize, ins: &Instr, sink: &mut Sink) {
    let mut err = |inv: I, msg: String| sink.at(f, inv, bi, Some(k), msg);
    let Some(info) = t.get(ins.op) else {
        err(
            I::UnknownOpcode,
            format!("{} does not exist in Python {}", ins.op.name(), f.version),
        );
        return;
    };
    let name = info.name;
    if info.kind != OpKind::Base || never_on_disk(info.op) {
        let what = match info.kind {
            OpKind::Specialized => "a specialized opcode the interpreter writes at run time",
            OpKind::Instrumented => "an instrumented opcode used by sys.monitoring",
            OpKind::Base => "never part of a code object on disk",
        };
        err(I::NotBaseOpcode, format!("{name} is {what}"));
    }
    if ins.ext > 3 {
        err(
            I::ArgRange,
            format!("{name} has {} EXTENDED_ARG prefixes (at most 3)", ins.ext),
        );
    }
    if !argument_kind(t, info, ins, &mut err) {
        return;
    }
    argument_range(f, t, info, ins, &mut err);
    if ins.handler.is_some() && !f.version.localsplus_layout() {
        err(
            I::Handler,
            format!(
                "{name} has an exception handler, but {} has no exception table (use SETUP_*)",
                f.version
            ),
        );
    }
}

/// The argument kinds the lifter produces for `info`'s opcode.
fn expected_kinds(t: &OpTable, info: &OpInfo) -> &'static [&'static str] {
    if !t.takes_arg(info.code) {
        &["none"]
    } else if info.jump.is_some() {
        &["Jump"]
    } else {
        match info.arg {
            ArgKind::None
            | ArgKind::Jump
            | ArgKind::Int
            | ArgKind::Intrinsic1
            | ArgKind::Intrinsic2
            | ArgKind::SpecialMethod
            | ArgKind::CommonConstant => &["Int"],
            ArgKind::Const => &["Const"],
            ArgKind::Name => &["Name"],
            ArgKind::Local if info.facts.local_pair => &["LocalPair"],
            ArgKind::Local => &["Local"],
            ArgKind::Free => &["Free"],
            ArgKind::Compare => &["Compare"],
            ArgKind::BinaryOp => &["BinaryOp"],
        }
    }
}

/// The argument is of the kind the lifter produces; false (reported) when not.
fn argument_kind(t: &OpTable, info: &OpInfo, ins: &Instr, err: &mut impl FnMut(I, String)) -> bool {
    let name = info.name;
    let expected = expected_kinds(t, info);
    let found = kind_name(&ins.arg);
    // NB: CPython 3.10 leaves stray argument bytes on argument-less
    // opcodes (ROT_TWO 2 where it rewrote a SWAP, NOP n where it removed
    // an instruction); the interpreter ignores that byte, so a small Int
    // without prefixes is accepted there, except where it reads it.
    let stray_byte =
        expected == ["none"] && matches!(ins.arg, Arg::Int(n) if n <= 0xff) && ins.ext == 0;
    if stray_byte && info.facts.reads_arg_byte {
        err(
            I::ArgKind,
            format!("{name} carries {:?}: dis shows no argument, but the interpreter jumps that far when the loop ends (JUMPBY(oparg))", ins.arg),
        );
        return false;
    }
    if !expected.contains(&found) && !stray_byte {
        let msg = if expected == ["none"] {
            format!("{name} takes no argument but carries {:?}", ins.arg)
        } else {
            format!("{name} takes a {} argument, found {found}", expected[0])
        };
        err(I::ArgKind, msg);
        return false;
    }
    true
}

/// The argument indexes inside its table and fits its encoding.
fn argument_range(
    f: &Function,
    t: &OpTable,
    info: &OpInfo,
    ins: &Instr,
    err: &mut impl FnMut(I, String),
) {
    let name = info.name;
    let ranged = |what: &str, n: u32, len: usize| {
        (n as usize >= len).then(|| format!("{name}: {what} {n} out of range (table has {len})"))
    };
    match ins.arg {
        Arg::Int(n) => {
            // NB: index 0 is INTRINSIC_*_INVALID, which the compiler never
            // emits: 3.12's binary table has no function there (a NULL call,
            // SIGSEGV, seed 9999), 3.13+ raise SystemError.
            let invalid = |n: u32| {
                (n == 0)
                    .then(|| format!("{name}: intrinsic 0 is the INVALID placeholder, no function"))
            };
            let over = match info.arg {
                ArgKind::Intrinsic1 => {
                    invalid(n).or_else(|| ranged("intrinsic", n, t.intrinsic1.len()))
                }
                ArgKind::Intrinsic2 => {
                    invalid(n).or_else(|| ranged("intrinsic", n, t.intrinsic2.len()))
                }
                ArgKind::SpecialMethod => ranged("special method", n, t.special_method_names.len()),
                ArgKind::CommonConstant => ranged("common constant", n, t.common_constants.len()),
                _ => None,
            };
            if let Some(m) = over {
                err(I::ArgRange, m);
            }
        }
        Arg::BinaryOp(n) => {
            if let Some(m) = ranged("binary operator", n, t.nb_ops.len()) {
                err(I::ArgRange, m);
            }
        }
        Arg::Compare(n) => match t.compare_op(n) {
            None => err(
                I::ArgRange,
                format!("{name}: comparison argument {n} names no operator"),
            ),
            // NB: 3.8's table ends with the placeholder "BAD", on which
            // ceval.c's cmp_outcome aborts.
            Some(("BAD", _)) => err(
                I::ArgRange,
                format!("{name}: comparison argument {n} names the placeholder BAD"),
            ),
            Some(_) => {}
        },
        Arg::Const(c) => {
            if let Some(m) = ranged("constant", c.0, f.consts.len()) {
                err(I::ConstIndex, m);
            }
        }
        Arg::Name { index, flags } => {
            let s = u32::from(info.facts.name_shift);
            if u32::from(flags) >> s != 0 {
                err(
                    I::ArgRange,
                    format!("{name}: flags {flags} do not fit in {s} bit(s)"),
                );
            }
            if u64::from(index.0) << s > u64::from(u32::MAX) {
                err(
                    I::ArgRange,
                    format!("{name}: name index {} too large to encode", index.0),
                );
            }
            if let Some(m) = ranged("name", index.0, f.names.len()) {
                err(I::NameIndex, m);
            }
        }
        Arg::Local(i) => {
            if let Some(m) = ranged("local", i.0, f.localsplus.len()) {
                err(I::LocalIndex, m);
            }
        }
        Arg::LocalPair(a, b) => {
            if a.0 > 15 || b.0 > 15 {
                err(
                    I::ArgRange,
                    format!("{name}: local pair ({a}, {b}) does not fit in 4 bits each"),
                );
            }
            for i in [a, b] {
                if let Some(m) = ranged("local", i.0, f.localsplus.len()) {
                    err(I::LocalIndex, m);
                }
            }
        }
        Arg::Free(i) => free_index(f, name, info.op, i.0, err),
        Arg::None | Arg::Jump(_) => {}
    }
}

fn free_index(f: &Function, name: &str, op: Opcode, i: u32, err: &mut impl FnMut(I, String)) {
    if f.version.localsplus_layout() {
        match f.localspluskinds.get(i as usize) {
            None => err(
                I::FreeIndex,
                format!(
                    "{name}: variable {i} out of range ({} localsplus)",
                    f.localsplus.len()
                ),
            ),
            Some(&k) if k & (CO_FAST_CELL | CO_FAST_FREE) == 0 => err(
                I::FreeIndex,
                format!("{name}: localsplus {i} is no cell or free variable (kind {k:#04x})"),
            ),
            Some(_) => {}
        }
    } else {
        let n = f.cellvars.len() + f.freevars.len();
        if i as usize >= n {
            err(
                I::FreeIndex,
                format!("{name}: variable {i} out of range ({n} cell and free variables)"),
            );
        } else if op == Opcode::LoadClassderef && (i as usize) < f.cellvars.len() {
            // NB: ceval.c takes its name from co_freevars[i - ncells] with
            // only an assert that i names a free variable (a seed 31337
            // mutant on 3.8 read co_freevars[-1]).
            err(
                I::FreeIndex,
                format!("{name}: variable {i} is a cell; it reads free variables only"),
            );
        }
    }
}

/// Jump and handler targets: an existing block from which an instruction
/// is reached in layout order.
fn targets(f: &Function, t: &OpTable, graph: Option<&Cfg>, sink: &mut Sink) {
    // NB: the first block of a label wins, as in the assembler.
    let index = crate::ir::LabelIndex::new(&f.blocks).0;
    // NB: an empty block's label means the next instruction laid out.
    let mut leads_to_code = vec![false; f.blocks.len()];
    let mut any = false;
    for i in (0..f.blocks.len()).rev() {
        any |= !f.blocks[i].instrs.is_empty();
        leads_to_code[i] = any;
    }
    // The block control reaches at label `l` (its instructions, then the
    // next blocks', are what runs there, in layout order).
    let resolve = |l: Label| -> Result<usize, String> {
        match index.get(l) {
            None => Err(format!("{l} is no block")),
            Some(i) if !leads_to_code[i] => Err(format!("{l} is past the last instruction")),
            Some(i) => Ok(i),
        }
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            if let Arg::Jump(l) = ins.arg {
                let name = t.get(ins.op).map_or("?", |i| i.name);
                match resolve(l) {
                    Err(m) => sink.at(
                        f,
                        I::JumpTarget,
                        bi,
                        Some(k),
                        format!("{name} jumps to {m}"),
                    ),
                    Ok(i) => {
                        // NB: the instructions it skips must be these, in order.
                        let mut at = f.blocks[i..].iter().flat_map(|b| b.instrs.iter());
                        for &want in t.facts(ins.op).lands_after {
                            let there = at.next().map(|i| i.op);
                            if there == Some(want) {
                                continue;
                            }
                            let there = there.and_then(|o| t.get(o)).map_or("nothing", |i| i.name);
                            let want = t.info(want).map_or("?", |i| i.name);
                            sink.at(
                                f,
                                I::JumpTarget,
                                bi,
                                Some(k),
                                format!("{name} lands past the instructions at its target, which must be {} (it skips them unrun), but {want} is {there} there", skipped(t, t.facts(ins.op).lands_after)),
                            );
                            break;
                        }
                    }
                }
            }
            if let Some(h) = ins.handler {
                if let Err(m) = resolve(h.target) {
                    sink.at(f, I::Handler, bi, Some(k), format!("handler {m}"));
                }
                let need = i64::from(h.depth) + 1 + i64::from(h.lasti);
                if need > i64::from(f.stacksize) {
                    sink.at(
                        f,
                        I::Handler,
                        bi,
                        Some(k),
                        format!(
                            "handler {} needs depth {} + 1{} = {need} > co_stacksize {}",
                            h.target,
                            h.depth,
                            if h.lasti { " + lasti" } else { "" },
                            f.stacksize
                        ),
                    );
                }
            }
        }
    }
    if let Some(cfg) = graph {
        // NB: only reachable code counts: 3.8 leaves dead code such as
        // END_FINALLY; POP_TOP after the last return of a `finally`.
        if cfg.falls_off_end() && cfg.reachable().last().copied().unwrap_or(false) {
            let last = f.blocks.len() - 1;
            let n = f.blocks[last].instrs.len();
            sink.at(
                f,
                I::FallsOffEnd,
                last,
                n.checked_sub(1),
                "the last block does not end in a return, raise or unconditional jump".into(),
            );
        }
    }
}

/// No jump or handler leads into the prologue (3.10 `GEN_START`, 3.11+
/// everything up to the first `RESUME`: `MAKE_CELL`, `COPY_FREE_VARS`,
/// `RETURN_GENERATOR`): CPython runs it once, on entry. A loop back into
/// it re-runs `RETURN_GENERATOR` inside the generator it made, or
/// `MAKE_CELL` over a live cell (a seed 31337 mutant: a generator
/// expression's `JUMP_BACKWARD` retargeted to offset 0).
fn prologue_entries(f: &Function, graph: &Cfg, sink: &mut Sink) {
    let Ok(start) = crate::cfg::body_start(f, graph) else {
        return;
    };
    let (sb, si) = (start.at.block.index(), start.at.instr);
    let in_prologue = |l: Label| {
        f.block_index(l)
            .is_some_and(|b| b < sb || (b == sb && si > 0))
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            let jump = match ins.arg {
                Arg::Jump(l) => Some(l),
                _ => None,
            };
            for l in jump.into_iter().chain(ins.handler.map(|h| h.target)) {
                if in_prologue(l) {
                    sink.at(f, I::JumpTarget, bi, Some(k), format!("{l} is in the prologue, which runs once on entry (before the body's first instruction)"));
                }
            }
        }
    }
}

/// 3.13+: when the awaitable a `SEND` drives raises, CPython looks up the
/// handler at the code unit before the `SEND` (docs/ir.md), so the
/// instruction laid out there must have the `SEND`'s handler.
fn send_handlers(f: &Function, t: &OpTable, sink: &mut Sink) {
    // NB: behaviour, not an opcode fact: 3.11/3.12 look the handler up at the SEND itself.
    if !f.version.at_least(13) {
        return;
    }
    if t.code(Opcode::Send).is_none() {
        return;
    }
    let mut prev: Option<&Instr> = None;
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            if ins.op == Opcode::Send {
                let before = prev.and_then(|p| p.handler).map(|h| h.target);
                if prev.is_some_and(|p| p.handler != ins.handler) {
                    let show = |l: Option<Label>| l.map_or("none".to_string(), |l| l.to_string());
                    sink.at(
                        f,
                        I::Handler,
                        bi,
                        Some(k),
                        format!(
                            "the instruction before SEND has handler {} but the SEND has {}; {} looks up a SEND's handler at the instruction before it",
                            show(before),
                            show(ins.handler.map(|h| h.target)),
                            f.version
                        ),
                    );
                }
            }
            prev = Some(ins);
        }
    }
}

fn stack(f: &Function, depths: &stackdepth::Analysis, sink: &mut Sink) {
    let Ok((d, errors)) = depths else {
        return;
    };
    for e in errors {
        // NB: missing targets are reported by `targets` already.
        if e.kind != DepthErrorKind::MissingTarget {
            sink.at(f, I::Stack, e.block, Some(e.instr), e.message.clone());
        }
    }
    if d.max > f.stacksize {
        sink.func(
            I::Stack,
            format!(
                "co_stacksize is {} but the code needs {}",
                f.stacksize, d.max
            ),
        );
    }
    reads_and_arguments(f, d, sink);
    handler_depths(f, d, sink);
}

/// The unwinder pops down to the handler's depth, and it starts from the
/// stack an erring instruction leaves: 3.11+ instructions pop their inputs
/// before they jump to the error label (`pop_N_error`), and the unwinder
/// only asserts, in debug builds, that the level is not below the
/// handler's. Below it, the handler reads slots nobody wrote. So the
/// handler's depth is at most the depth before the instruction minus what
/// it reads.
fn handler_depths(f: &Function, d: &stackdepth::StackDepths, sink: &mut Sink) {
    let Some(t) = opcodes::table(f.version) else {
        return;
    };
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            let (Some(h), Some(depth)) = (ins.handler, d.before(bi, k)) else {
                continue;
            };
            let raw = stackdepth::raw_arg(t, ins.op, ins.arg);
            let facts = t.facts(ins.op);
            let reads = t
                .stack_effect(ins.op, raw, Some(false))
                .map_or(0, |net| super::reach::reads(t, ins.op, raw, net));
            let kept = i64::from(facts.kinds.keep.of(raw));
            let left = match facts.unwind {
                Unwind::Never => continue,
                Unwind::KeepsAll => i64::from(depth),
                Unwind::Consumed => i64::from(depth) - (reads - kept).max(0),
            };
            if i64::from(h.depth) > left {
                sink.at(
                    f,
                    I::Handler,
                    bi,
                    Some(k),
                    format!(
                        "handler {} depth {} is above the stack depth {left} {} leaves when it raises ({depth} before, {reads} read, {kept} kept in place)",
                        h.target,
                        h.depth,
                        t.get(ins.op).map_or("?", |i| i.name)
                    ),
                );
            }
        }
    }
}

/// Every reachable instruction finds on the stack the values it reads (not
/// only its net pops), and the arguments CPython trusts match what they
/// index (see `reach`).
fn reads_and_arguments(f: &Function, d: &stackdepth::StackDepths, sink: &mut Sink) {
    let Some(t) = opcodes::table(f.version) else {
        return;
    };
    let nfree = if t.localsplus {
        f.localspluskinds
            .iter()
            .filter(|&&k| k & CO_FAST_FREE != 0)
            .count()
    } else {
        f.freevars.len()
    };
    // NB: a block something jumps to (or a handler) may be entered from
    // elsewhere than the instruction laid out before it, so the pairs the
    // argument rules check do not carry across its start (seed 31415 on
    // 3.11: a JUMP_BACKWARD retargeted to a CALL skipped its PRECALL).
    let entered: std::collections::HashSet<Label> = f
        .instrs()
        .flat_map(|i| {
            let jump = match i.arg {
                Arg::Jump(l) => Some(l),
                _ => None,
            };
            jump.into_iter().chain(i.handler.map(|h| h.target))
        })
        .collect();
    let (mut prev, mut prev2): (Option<(Opcode, u32)>, Option<(Opcode, u32)>) = (None, None);
    for (bi, b) in f.blocks.iter().enumerate() {
        if entered.contains(&b.label) {
            (prev, prev2) = (None, None);
        }
        for (k, ins) in b.instrs.iter().enumerate() {
            let Some(info) = t.get(ins.op) else { continue };
            let raw = stackdepth::raw_arg(t, ins.op, ins.arg);
            if let Some(m) = super::reach::argument_rule(t, info.op, raw, nfree, prev, prev2) {
                sink.at(f, I::ArgRange, bi, Some(k), m);
            }
            // NB: a NOP changes no stack, so the rules look through it.
            if info.op != Opcode::Nop {
                (prev2, prev) = (prev, Some((info.op, raw)));
            }
            let (Some(depth), Some(net)) =
                (d.before(bi, k), t.stack_effect(ins.op, raw, Some(false)))
            else {
                continue;
            };
            let reads = super::reach::reads(t, ins.op, raw, net);
            if i64::from(depth) < reads {
                sink.at(
                    f,
                    I::Stack,
                    bi,
                    Some(k),
                    format!(
                        "{} reads {reads} stack value(s) but the stack holds {depth} here",
                        info.name
                    ),
                );
            }
        }
    }
}

/// A lower bound of the code size in code units (jumps counted with the
/// prefixes they carry, so no valid function is rejected).
fn code_size(f: &Function, t: &OpTable, limits: &Limits, sink: &mut Sink) {
    // NB: rows carry no caches before 3.11.
    let caches = |op: Opcode| t.get(op).map_or(0, |i| u64::from(i.cache_entries));
    let mut units = 0u64;
    for ins in f.instrs() {
        let needed = match ins.arg {
            Arg::Jump(_) => 0,
            a => asm::encode_arg(t, ins.op, a).map_or(0, asm::prefixes_needed),
        };
        units += 1 + u64::from(ins.ext.max(needed)) + caches(ins.op);
    }
    let max = limits
        .max_code_units
        .unwrap_or_else(|| Limits::max_code_units_for(f.version));
    if units > max {
        sink.func(
            I::CodeSize,
            format!(
                "{units} code units, more than the {max} Python {} can address",
                f.version
            ),
        );
    }
}

/// `END_FOR, POP_TOP`: the names of what a jump skips.
fn skipped(t: &OpTable, ops: &[crate::opcodes::Opcode]) -> String {
    ops.iter()
        .map(|&o| t.info(o).map_or("?", |i| i.name))
        .collect::<Vec<_>>()
        .join(", ")
}
