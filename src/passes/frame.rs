//! Code around a whole frame, shared by the passes that see calls end
//! (wrap, coverage with branches): an entry that sets a hidden local (the
//! token), code before each return, and a handler region that runs code
//! when an exception escapes (or `close()` ends a generator) and re-raises
//! it unchanged. The region is a `SETUP_FINALLY` block on 3.8-3.10 and
//! exception-table entries on 3.11+. What runs at each event is the
//! pass's ([`FrameEvents`]).

use super::emit::{self, ins, name_index};
use super::switch::OffSwitch;
use super::Cx;
use crate::cfg::{self, Cfg};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Block, ConstIdx, Function, Handler, Instr, Label, Loc, LocalIdx};
use crate::marshal::Value;
use crate::opcodes::{HandlerDepth, Opcode as O};

/// `co_flags`: generator, coroutine, iterable coroutine, async generator:
/// code that `close()` ends by throwing GeneratorExit in.
pub(super) const CO_GENERATOR_LIKE: u32 = 0x20 | 0x80 | 0x100 | 0x200;

/// Where a frame's control passes that a [`FrameEvents`] can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// Before each return; the value on top, kept.
    Return,
    /// An exception escapes; it is on top, kept.
    Error,
    /// `close()` threw GeneratorExit in and it escapes; nothing on top.
    Close,
    /// Before each `yield`; the value on top, kept.
    Suspend,
    /// Control is back after a `yield`; nothing on top.
    Resume,
}

/// What a pass runs at a frame's events.
pub(super) trait FrameEvents {
    /// The entry's code: it must store the token into local `tok`.
    fn entry(&self, cx: &mut Cx<'_>, f: &mut Function, tok: LocalIdx) -> Result<Vec<Instr>>;
    /// Whether anything runs at `e`.
    fn has(&self, e: Event) -> bool;
    /// Whether 3.8-3.10's `YIELD_FROM` (`await`, `yield from`) counts as
    /// a suspension too: Suspend before it, Resume after it (it suspends
    /// inside the one instruction, so Resume runs once, when it is done).
    fn yield_from_suspends(&self) -> bool {
        false
    }
    /// The code of `e` (asked only when [`FrameEvents::has`] it): it
    /// leaves the stack as it found it. `line`: the line of the `return`
    /// or `yield` it goes with (none for the handler's events).
    fn code(
        &self,
        cx: &mut Cx<'_>,
        f: &mut Function,
        u: &Unwinding,
        e: Event,
        tok: LocalIdx,
        line: Option<i32>,
    ) -> Result<Vec<Instr>>;
}

fn unsupported(what: String) -> Error {
    Error::new(ErrorKind::Unsupported(what))
}

/// Adds the hidden local `name` to `f` and returns its slot; refuses a
/// code object that has it already (wrapped twice).
pub(super) fn hidden_local(cx: &mut Cx<'_>, f: &mut Function, name: &str) -> Result<LocalIdx> {
    if f.localsplus
        .iter()
        .any(|&n| cx.m.str(n).is_some_and(|s| s == name))
    {
        return Err(unsupported(format!(
            "{} already has a local {name:?} (wrapped twice?)",
            cx.qualname
        )));
    }
    let id = cx.m.push(Value::Str(name.as_bytes().into()));
    f.add_local(id)
        .map_err(|e| unsupported(format!("{}: {e}", cx.qualname)))
}

/// How this version unwinds to a handler.
pub(super) struct Unwinding {
    /// 3.11+: exception tables (else the 3.8-3.10 block stack).
    pub table: bool,
}

/// Puts `ev`'s code around `f`'s body, the token in the local `tok`
/// (see [`hidden_local`]), guarded by `switch` when given.
pub(super) fn wrap_frame(
    ev: &dyn FrameEvents,
    cx: &mut Cx<'_>,
    f: &mut Function,
    tok: LocalIdx,
    switch: Option<&OffSwitch>,
) -> Result<()> {
    let t = cx.table;
    let u = Unwinding {
        table: f.version.localsplus_layout(),
    };
    let generator = f.flags & CO_GENERATOR_LIKE != 0;
    let needs_handler = ev.has(Event::Error) || (generator && ev.has(Event::Close));
    let graph = Cfg::new(f)?;
    let start = cfg::body_start(f, &graph)?;
    let (sb, si) = (start.at.block.index(), start.at.instr);
    // NB: switched off, a call runs an untouched copy of the body: it
    // costs the test alone (taken before anything here edits the body).
    let copy = switch.map(|_| clone_body(f, sb, si));
    let h_label = f.new_label();
    // 3.11+: the handler covers what no `try` of the body covers.
    if u.table && needs_handler {
        let h = Handler {
            target: h_label,
            depth: 0,
            lasti: true,
        };
        for (bi, b) in f.blocks.iter_mut().enumerate().skip(sb) {
            let from = if bi == sb { si } else { 0 };
            for i in &mut b.instrs[from..] {
                if i.handler.is_none() {
                    i.handler = Some(h);
                }
            }
        }
    }
    // NB: 3.12+ generators: the StopIteration wrapper covers the
    // prologue's RESUME too, and the region covers the wrapper, so the
    // handler can run before the entry: the token starts as a marker
    // meaning "no hooks for this call", which the off switch sets too.
    let prologue_covered = needs_handler
        && f.blocks.iter().enumerate().take(sb + 1).any(|(bi, b)| {
            b.instrs
                .iter()
                .take(if bi == sb { si } else { usize::MAX })
                .any(|i| i.handler.is_some())
        });
    let marker = if prologue_covered {
        let s =
            cx.m.push(Value::Str(b"pyrewrite: not entered".as_slice().into()));
        Some(emit::new_const(cx.m, f, Value::Tuple(vec![s].into())))
    } else {
        None
    };
    exits(ev, cx, f, &u, tok, sb, si, needs_handler, h_label)?;
    if generator {
        yields(ev, cx, f, &u, tok, sb, si)?;
    }
    if let (true, Some(c)) = (prologue_covered, marker) {
        let first = f
            .blocks
            .iter()
            .position(|b| !b.instrs.is_empty())
            .unwrap_or(0);
        let init = [
            ins(t, O::LoadConst, Arg::Const(c))?,
            ins(t, O::StoreFast, Arg::Local(tok))?,
        ];
        f.blocks[first].instrs.splice(0..0, init);
    }
    let handler = if needs_handler {
        handler(ev, cx, f, &u, tok, h_label, marker)?
    } else {
        Vec::new()
    };
    let mut seq = ev.entry(cx, f, tok)?;
    // NB: only 3.8-3.10 have SETUP_FINALLY (a block-stack region).
    if needs_handler && !u.table {
        seq.push(ins(t, O::SetupFinally, Arg::Jump(h_label))?);
    }
    let switch = match (switch, &copy) {
        (Some(sw), Some((_, entry))) => {
            let test = sw.test(t, cx.m, f, *entry)?;
            Some(emit::Switch {
                test,
                off_label: Some(*entry),
            })
        }
        _ => None,
    };
    emit::place_entry(f, seq, switch)?;
    f.blocks.extend(handler);
    if u.table && needs_handler && generator {
        one_more_handler_around_yields(t, f);
    }
    if let Some((blocks, _)) = copy {
        f.blocks.extend(blocks);
    }
    Ok(())
}

/// The exception handler's blocks, entered at `entry` with the
/// exception the body raised: `[lasti, exc]` (3.11+) or the six values
/// of a `SETUP_FINALLY` block (3.8-3.10, type on top). With `marker`,
/// a token still equal to it means the entry has not run.
fn handler(
    ev: &dyn FrameEvents,
    cx: &mut Cx<'_>,
    f: &mut Function,
    u: &Unwinding,
    tok: LocalIdx,
    entry: Label,
    marker: Option<ConstIdx>,
) -> Result<Vec<Block>> {
    let t = cx.table;
    let generator = f.flags & CO_GENERATOR_LIKE != 0;
    // NB: 3.11+ RERAISE 2 finds the saved lasti under the previous
    // exception PUSH_EXC_INFO kept; before, the triple is on top.
    // 3.8 has no RERAISE: a bare `raise` re-raises the exception the
    // handler's entry made current, adding no traceback entry.
    let reraise = || -> Result<Instr> {
        if u.table {
            ins(t, O::Reraise, Arg::Int(2))
        } else if let Some(r) = t.info(O::Reraise) {
            Ok(Instr::new(
                r.op,
                if r.has_arg { Arg::Int(0) } else { Arg::None },
            ))
        } else {
            ins(t, O::RaiseVarargs, Arg::Int(0))
        }
    };
    // Layout: the entry block, then the ones it jumps to.
    let mut head = Vec::new();
    let mut tail = Vec::new();
    if u.table {
        head.push(ins(t, O::PushExcInfo, Arg::None)?);
    }
    if let Some(marker) = marker {
        // NB: raised before the entry ran (a throw() into a generator
        // not started yet) or with the switch off: no hook, as no
        // enter was seen.
        let quiet = f.new_label();
        head.extend(emit::local_is_const(t, tok, marker)?);
        head.push(Instr::new(emit::cond_jump(t, true)?, Arg::Jump(quiet)));
        tail.push(Block {
            label: quiet,
            instrs: vec![reraise()?],
        });
    }
    let mut err = Vec::new();
    let err_label = f.new_label();
    if generator && ev.has(Event::Close) {
        // NB: close() throws GeneratorExit in: that is an exit.
        let ge = name_index(cx.m, f, "GeneratorExit");
        let load_ge = ins(
            t,
            O::LoadGlobal,
            Arg::Name {
                index: ge,
                flags: 0,
            },
        )?;
        if let Some(check) = t.have(O::CheckExcMatch) {
            head.extend([
                load_ge,
                Instr::new(check, Arg::None),
                Instr::new(emit::cond_jump(t, false)?, Arg::Jump(err_label)),
            ]);
        } else if let Some(jump) = t.have(O::JumpIfNotExcMatch) {
            head.extend([
                ins(t, O::DupTop, Arg::None)?,
                load_ge,
                Instr::new(jump, Arg::Jump(err_label)),
            ]);
        } else {
            let matches = t
                .cmp_op
                .iter()
                .position(|&c| c == "exception match")
                .ok_or_else(|| {
                    unsupported(format!("exception matching on Python {}", t.version))
                })?;
            head.extend([
                ins(t, O::DupTop, Arg::None)?,
                load_ge,
                ins(t, O::CompareOp, Arg::Compare(matches as u32))?,
                Instr::new(emit::cond_jump(t, false)?, Arg::Jump(err_label)),
            ]);
        }
        head.extend(ev.code(cx, f, u, Event::Close, tok, None)?);
        head.push(reraise()?);
    } else {
        // NB: no test: the error path is the entry block itself.
        err = std::mem::take(&mut head);
    }
    if ev.has(Event::Error) {
        // NB: 3.8-3.10 [tb, v, t]: the value goes on top and back.
        if !u.table {
            err.push(ins(t, O::RotTwo, Arg::None)?);
        }
        err.extend(ev.code(cx, f, u, Event::Error, tok, None)?);
        if !u.table {
            err.push(ins(t, O::RotTwo, Arg::None)?);
        }
    }
    err.push(reraise()?);
    let mut blocks = Vec::new();
    if head.is_empty() {
        blocks.push(Block {
            label: entry,
            instrs: err,
        });
    } else {
        blocks.push(Block {
            label: entry,
            instrs: head,
        });
        blocks.push(Block {
            label: err_label,
            instrs: err,
        });
    }
    blocks.extend(tail);
    if u.table {
        // NB: the compiler's cleanup of an `except` body: restore the
        // previous exception, re-raise with the lasti just pushed.
        let cleanup = f.new_label();
        let handled = Handler {
            target: cleanup,
            depth: 2,
            lasti: true,
        };
        for b in &mut blocks {
            for i in &mut b.instrs {
                i.handler = Some(handled);
            }
        }
        blocks.push(Block {
            label: cleanup,
            instrs: vec![
                ins(t, O::Copy, Arg::Int(3))?,
                ins(t, O::PopExcept, Arg::None)?,
                ins(t, O::Reraise, Arg::Int(1))?,
            ],
        });
    } else if f.version.lnotab() {
        // NB: 3.8/3.9 have no "no line" (3.10 has): stay in the last
        // line record, starting none.
        let line = f.instrs().last().and_then(|i| i.loc.line);
        for b in &mut blocks {
            for i in &mut b.instrs {
                i.loc = Loc {
                    line,
                    ..Loc::default()
                };
            }
        }
    }
    Ok(blocks)
}

/// With `resumes`: `suspend(token, value)` before each `YIELD_VALUE`
/// of the body and `resume(token)` once control is back (after the
/// `RESUME` that follows it, 3.11+), in the yield's own region. 3.8-3.10
/// `YIELD_FROM` (`await`, `yield from`) suspends inside one
/// instruction: it counts only where the pass asks for it
/// ([`FrameEvents::yield_from_suspends`]).
fn yields(
    ev: &dyn FrameEvents,
    cx: &mut Cx<'_>,
    f: &mut Function,
    u: &Unwinding,
    tok: LocalIdx,
    sb: usize,
    si: usize,
) -> Result<()> {
    let t = cx.table;
    let (Some(yv), resume_op) = (t.have(O::YieldValue), t.have(O::Resume)) else {
        return Ok(());
    };
    let yf = t.have(O::YieldFrom).filter(|_| ev.yield_from_suspends());
    if !ev.has(Event::Suspend) && !ev.has(Event::Resume) {
        return Ok(());
    }
    for bi in sb..f.blocks.len() {
        let mut k = if bi == sb { si } else { 0 };
        while k < f.blocks[bi].instrs.len() {
            let y = f.blocks[bi].instrs[k];
            if y.op != yv && Some(y.op) != yf {
                k += 1;
                continue;
            }
            let mut before = if ev.has(Event::Suspend) {
                ev.code(cx, f, u, Event::Suspend, tok, y.loc.line)?
            } else {
                Vec::new()
            };
            for i in &mut before {
                i.loc = y.loc;
                i.handler = y.handler;
            }
            if !before.is_empty() && f.version.lnotab() {
                before[0].starts_line = y.starts_line;
                before[0].ghosts = y.ghosts;
                let orig = &mut f.blocks[bi].instrs[k];
                orig.starts_line = false;
                orig.ghosts = None;
            }
            let n = before.len();
            f.blocks[bi].instrs.splice(k..k, before);
            k += n + 1;
            // NB: 3.11+ the RESUME after the yield stays right after it.
            let next = f.blocks[bi].instrs.get(k).copied();
            if next.is_some_and(|x| Some(x.op) == resume_op) {
                k += 1;
            }
            if ev.has(Event::Resume) {
                let like = next.unwrap_or(y);
                let mut after = ev.code(cx, f, u, Event::Resume, tok, y.loc.line)?;
                for i in &mut after {
                    i.loc = if f.version.lnotab() {
                        Loc {
                            line: like.loc.line,
                            ..Loc::default()
                        }
                    } else {
                        like.loc
                    };
                    i.handler = like.handler;
                }
                let n = after.len();
                f.blocks[bi].instrs.splice(k..k, after);
                k += n;
            }
        }
    }
    Ok(())
}

/// Each return of the body: `exit(token, value)` before it, outside
/// the handler region (3.8-3.10: after a POP_BLOCK closing it).
#[allow(clippy::too_many_arguments)]
fn exits(
    ev: &dyn FrameEvents,
    cx: &mut Cx<'_>,
    f: &mut Function,
    u: &Unwinding,
    tok: LocalIdx,
    sb: usize,
    si: usize,
    region: bool,
    h: Label,
) -> Result<()> {
    let t = cx.table;
    let (ret, ret_const) = (t.have(O::ReturnValue), t.have(O::ReturnConst));
    let mut bi = sb;
    while bi < f.blocks.len() {
        let mut k = if bi == sb { si } else { 0 };
        while k < f.blocks[bi].instrs.len() {
            let r = f.blocks[bi].instrs[k];
            if Some(r.op) != ret && (ret_const.is_none() || Some(r.op) != ret_const) {
                k += 1;
                continue;
            }
            // NB: what covered the return before the wrap.
            let handler = r.handler.filter(|x| x.target != h);
            let mut seq = Vec::new();
            if Some(r.op) == ret_const {
                seq.push(ins(t, O::LoadConst, r.arg)?);
            }
            if region && !u.table {
                seq.push(ins(t, O::PopBlock, Arg::None)?);
            }
            if ev.has(Event::Return) {
                seq.extend(ev.code(cx, f, u, Event::Return, tok, r.loc.line)?);
            }
            let mut back = Instr {
                op: ret.ok_or_else(|| unsupported(O::ReturnValue.name().into()))?,
                arg: Arg::None,
                handler,
                ext: 0,
                ..r
            };
            for i in &mut seq {
                i.loc = r.loc;
                i.handler = handler;
            }
            if !seq.is_empty() && f.version.lnotab() {
                seq[0].starts_line = r.starts_line;
                seq[0].ghosts = r.ghosts;
                back.starts_line = false;
                back.ghosts = None;
            }
            seq.push(back);
            let n = seq.len();
            f.blocks[bi].instrs.splice(k..=k, seq);
            k += n;
        }
        bi += 1;
    }
    Ok(())
}

/// A copy of the body (from `sb`/`si` to the end) with fresh labels, and
/// the label of its first block: jumps and handlers inside it lead to the
/// copy. (Nothing leads into the prologue, the verifier's rule.)
fn clone_body(f: &mut Function, sb: usize, si: usize) -> (Vec<Block>, Label) {
    let mut map = std::collections::HashMap::new();
    let mut blocks = Vec::new();
    for bi in sb..f.blocks.len() {
        let label = f.new_label();
        // NB: the first block's label names the prologue when the body
        // starts inside it: not mapped.
        if bi > sb || si == 0 {
            map.insert(f.blocks[bi].label, label);
        }
        let from = if bi == sb { si } else { 0 };
        blocks.push(Block {
            label,
            instrs: f.blocks[bi].instrs[from..].to_vec(),
        });
    }
    for i in blocks.iter_mut().flat_map(|b| b.instrs.iter_mut()) {
        if let Arg::Jump(l) = i.arg {
            i.arg = Arg::Jump(*map.get(&l).unwrap_or(&l));
        }
        if let Some(h) = &mut i.handler {
            h.target = *map.get(&h.target).unwrap_or(&h.target);
        }
    }
    let entry = blocks[0].label;
    (blocks, entry)
}

/// Every yield of the body now has one more handler around it: tell
/// `close()`, which otherwise finishes a generator suspended with only its
/// StopIteration wrapper around it without throwing GeneratorExit in (and
/// so without running the handler). The rows say where the count lives.
fn one_more_handler_around_yields(t: &crate::opcodes::OpTable, f: &mut Function) {
    for i in f.blocks.iter_mut().flat_map(|b| b.instrs.iter_mut()) {
        i.arg = match (t.facts(i.op).handler_depth, i.arg) {
            (HandlerDepth::Arg, Arg::Int(n)) => Arg::Int(n + 1),
            (HandlerDepth::Depth1Bit, Arg::Int(n)) => Arg::Int(n & !DEPTH1_BIT),
            (_, a) => a,
        };
    }
}

/// RESUME_OPARG_DEPTH1_MASK (3.13+).
const DEPTH1_BIT: u32 = 4;
