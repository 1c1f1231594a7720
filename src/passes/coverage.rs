//! `coverage`: records each executed line in a dict of the runtime, with a probe per line start and no call.

use super::params::{ParamKind, ParamSpec, Params};
use super::emit::{name_index, new_const, op};
use super::frame::{self, Event, FrameEvents, Unwinding};
use super::{emit, Changed, Cx, Pass, PassInfo, RuntimeImport};
use crate::cfg::{self, BlockId, Cfg, EdgeKind};
use std::collections::{HashMap, HashSet};
use crate::error::Result;
use crate::ir::{Arg, Block, Function, Instr, Label, Loc, LocalIdx};
use crate::marshal::Value;
use crate::opcodes::{OpTable, Opcode as O};

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "coverage", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Line coverage without a trace function. Before the first instruction of
every line record of every code object it puts a probe of four
instructions and no call:

```text
LOAD_CONST None; LOAD_GLOBAL <global>; LOAD_CONST (filename, line); STORE_SUBSCR
```

that is `HITS[(filename, line)] = None` into the dict
`pyrewrite.coverage.HITS`, which each module binds to the reserved global
(`global`, default `__pyrewrite_cov__`) at its top, like inject-hook's
prologue. The runtime (python/pyrewrite/coverage.py, pure Python) writes
the hits at exit to coverage.py's data file through `CoverageData` when
coverage.py is installed (`COVERAGE_FILE`, default `.coverage`), else
LCOV and JSON. The module prologue also registers the file's executable
lines, every line a code object of the file starts in its line table
(`pyrewrite.coverage.EXECUTABLE`), so the lines that never ran are known
without source: `missing()`, and `DA:n,0` in the LCOV file.

The probe takes the line of the instruction it precedes and joins its
line record (3.8/3.9: the record starts at the probe), so no new line
appears in `co_lines`, no extra line event fires, tracebacks and
`f_lineno` are those of the original instruction; on 3.11+ the probe is
covered by the handler of that instruction. Probes go after the
prologue (`RESUME`, `GEN_START`), never into it. A function run with
foreign globals (`types.FunctionType(code, {})`) fails on the first probe
with a NameError. Hits since the last flush are lost on a crash or
`os._exit`.

With `branch = true` it records arcs instead, the `(from, to)` line pairs
coverage.py's tracer records, into `pyrewrite.coverage.ARCS`: each
probe stores `last` into the dict of its site, `(filename, line,
qualname)`, and sets a hidden local (`local`) to its line (both keys are
constants of the code object, found by identity: no tuple is built and
no key compared, so a probe near the recursion limit raises nothing); the function's entry sets it to `-co_firstlineno`, and each
return and each exception leaving the frame records the exit arc to
`-co_firstlineno` (through a handler region, as `wrap` builds it). A
line event does not fire on every way into a block: where some ways in
fire it and some do not (same line, no backward jump), the probe is
guarded by `last != line` and jumps known either way skip the guard.
Around each `yield` the local says where the generator is suspended, so
an exception thrown in there starts its arc where coverage.py starts it,
and one that leaves straight from the `yield` records no exit.

## Example

```toml
[[pass]]
name = "coverage"
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const GLOBAL: ParamSpec = ParamSpec { name: "global", kind: ParamKind::Text, default: Some("__pyrewrite_cov__"), help: "the reserved global holding the hits dict" };
    pub const BRANCH: ParamSpec = ParamSpec { name: "branch", kind: ParamKind::Bool, default: Some("false"), help: "record arcs between lines (coverage.py's branch data) instead of lines" };
    pub const LOCAL: ParamSpec = ParamSpec { name: "local", kind: ParamKind::Text, default: Some("__pyrewrite_last__"), help: "the hidden local holding the last line (branch = true)" };
}

const PARAMS: &[ParamSpec] = &[
    param::GLOBAL,
    param::BRANCH,
    param::LOCAL,
];

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let global = p.text(&param::GLOBAL);
    if !emit::is_identifier(global) {
        return Err(format!("global {global:?} is not an identifier"));
    }
    let local = p.text(&param::LOCAL);
    if !emit::is_identifier(local) {
        return Err(format!("local {local:?} is not an identifier"));
    }
    Ok(Box::new(Coverage { global: global.to_string(), branch: p.bool(&param::BRANCH), local: local.to_string() }))
}

/// The configured pass.
pub struct Coverage {
    global: String,
    branch: bool,
    local: String,
}

/// The runtime module and the dict it exports.
const RUNTIME: &str = "pyrewrite.coverage";
const HITS: &str = "HITS";
const ARCS: &str = "ARCS";
const EXECUTABLE: &str = "EXECUTABLE";

impl Coverage {
    /// `from pyrewrite.coverage import HITS` stored into the reserved global.
    fn prologue(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
        let mut seq = emit::import_into_global(cx.table, cx.m, f, RUNTIME, self.container(), &self.global, false)?;
        seq.extend(register_executable(cx, f)?);
        Ok(seq)
    }

    /// What the reserved global holds: the hits (lines) or the arcs.
    fn container(&self) -> &'static str {
        if self.branch {
            ARCS
        } else {
            HITS
        }
    }

    /// The probe for `line`, located like `next` (the instruction it precedes).
    fn probe(&self, cx: &mut Cx<'_>, f: &mut Function, line: i32, next: &Instr, last: Option<LocalIdx>) -> Result<Vec<Instr>> {
        let t = cx.table;
        if let Some(last) = last {
            // NB: ARCS[(filename, line, qualname)][last] = None; last = line.
            let mut seq = record_arc(cx, f, &self.global, Arg::Local(last), line, false)?;
            let l = new_const(cx.m, f, Value::Int(i64::from(line)));
            seq.push(Instr::new(op(t, O::LoadConst)?, Arg::Const(l)));
            seq.push(Instr::new(op(t, O::StoreFast)?, Arg::Local(last)));
            let loc = line_loc(f, Some(line));
            for ins in &mut seq {
                ins.loc = loc;
                ins.handler = next.handler;
            }
            return Ok(seq);
        }
        let none = new_const(cx.m, f, Value::None);
        let file = cx.m.push(Value::Str(cx.m.str(f.filename).unwrap_or_default().as_bytes().into()));
        let l = cx.m.push(Value::Int(i64::from(line)));
        let key = new_const(cx.m, f, Value::Tuple(vec![file, l].into()));
        let global = name_index(cx.m, f, &self.global);
        let mut seq = vec![
            Instr::new(op(t, O::LoadConst)?, Arg::Const(none)),
            Instr::new(op(t, O::LoadGlobal)?, Arg::Name { index: global, flags: 0 }),
            Instr::new(op(t, O::LoadConst)?, Arg::Const(key)),
            Instr::new(op(t, O::StoreSubscr)?, Arg::None),
        ];
        let loc = line_loc(f, Some(line));
        for ins in &mut seq {
            ins.loc = loc;
            ins.handler = next.handler;
        }
        Ok(seq)
    }

    // NB: indices, not iterators: the loop splices probes into f.blocks.
    fn add_probes(&self, cx: &mut Cx<'_>, f: &mut Function, last: Option<LocalIdx>) -> Result<usize> {
        let graph = Cfg::new(f)?;
        let start = cfg::body_start(f, &graph)?;
        let (sb, si) = (start.at.block.index(), start.at.instr);
        let lnotab = f.version.lnotab();
        let t = cx.table;
        let fake = if lnotab { fake_record_starts(f) } else { HashSet::new() };
        let skipped = skipped_at_targets(t, f);
        // NB: lines use the same plans: a block start where no line event
        // fires gets no probe (3.9: the implicit return a forward jump
        // reaches in the middle of the last line's record); a guarded one
        // a plain probe (a line seen twice is one line).
        let plans = arc_plans(f, &graph, sb, si, &fake, &skipped, last.is_some());
        let mut n = 0;
        let mut bi = sb;
        while bi < f.blocks.len() {
            let mut k = if bi == sb { si } else { 0 };
            // NB: where `k` was before probes went in (for `fake`).
            let (orig_label, mut inserted) = (f.blocks[bi].label, 0);
            // NB: the body's first instruction always counts as a line start
            // (3.11+ an empty module runs RESUME and RETURN both at line 0).
            let mut prev: Option<i32> = None;
            let body_first = bi == sb;
            while k < f.blocks[bi].instrs.len() {
                let ins = f.blocks[bi].instrs[k];
                // NB: line 0 is real (3.11+ empty module); coverage.py reports it.
                let line = ins.loc.line.filter(|&l| l >= 0);
                // NB: 3.8/3.9 line events fire at each record start and on a
                // backward jump into the middle of a record; 3.10+ at a line
                // change or a jump target. Falling into a probed block start
                // re-records a line already recorded.
                let plan = if k == 0 && !(body_first && k == si) { plans.get(&f.blocks[bi].label).copied() } else { None };
                let starts = match plan {
                    Some(p) => p != Plan::Silent,
                    None => {
                        let record_start = ins.starts_line && !fake.contains(&(orig_label, k - inserted));
                        (body_first && k == si) || if lnotab { record_start } else { prev != ins.loc.line }
                    }
                };
                prev = ins.loc.line;
                let starts = starts && !skipped.contains(&(orig_label, k - inserted));
                let Some(l) = line.filter(|_| starts) else {
                    k += 1;
                    continue;
                };
                let mut seq = self.probe(cx, f, l, &ins, last)?;
                if let (Some(Plan::Guarded { record, body }), Some(last)) = (plan, last) {
                    // NB: [guard (the block's label)] [record] [body]: the
                    // guard skips the record when the frame's last line is
                    // this one (no line event there); jumps known to fire
                    // go to the record, those known not to, to the body.
                    let t = cx.table;
                    let eq = t.cmp_op.iter().position(|&c| c == "==").unwrap_or(2) as u32;
                    let lc = new_const(cx.m, f, Value::Int(i64::from(l)));
                    let mut guard = vec![
                        Instr::new(op(t, O::LoadFast)?, Arg::Local(last)),
                        Instr::new(op(t, O::LoadConst)?, Arg::Const(lc)),
                        Instr::new(op(t, O::CompareOp)?, Arg::Compare(super::replace_op::compare_arg(t, eq, true))),
                        Instr::new(emit::cond_jump(t, true)?, Arg::Jump(body)),
                    ];
                    for g in &mut guard {
                        g.loc = seq[0].loc;
                        g.handler = ins.handler;
                    }
                    let rest = std::mem::replace(&mut f.blocks[bi].instrs, guard);
                    f.blocks.insert(bi + 1, Block { label: record, instrs: seq });
                    f.blocks.insert(bi + 2, Block { label: body, instrs: rest });
                    bi += 2;
                    k = 1;
                    inserted = 0;
                    n += 1;
                    continue;
                }
                if lnotab && ins.starts_line {
                    seq[0].starts_line = true;
                    seq[0].ghosts = ins.ghosts;
                    let orig = &mut f.blocks[bi].instrs[k];
                    orig.starts_line = false;
                    orig.ghosts = None;
                }
                let len = seq.len();
                f.blocks[bi].instrs.splice(k..k, seq);
                k += len + 1;
                inserted += len;
                n += 1;
            }
            bi += 1;
        }
        Ok(n)
    }
}

/// The instructions a jump lands past (the row's `lands_after`: 3.12+
/// FOR_ITER skips the END_FOR at its target, 3.13+ and the POP_TOP after
/// it), by block label and index: no probe may go there, it would be
/// skipped too (they carry the `for` line, which the loop head records).
/// NB: 3.12's instruction after END_FOR is the next statement's: it gets
/// a probe.
fn skipped_at_targets(t: &OpTable, f: &Function) -> HashSet<(Label, usize)> {
    let mut out = HashSet::new();
    for i in f.blocks.iter().flat_map(|b| b.instrs.iter()) {
        if let Arg::Jump(l) = i.arg {
            for k in 0..t.facts(i.op).lands_after.len() {
                out.insert((l, k));
            }
        }
    }
    out
}

/// The line-table entries of 3.8/3.9 that repeat the line before them:
/// no record starts there (CPython's line bounds move only on a line
/// change), so no line event fires there. By block label and index.
fn fake_record_starts(f: &Function) -> HashSet<(Label, usize)> {
    let mut line = Some(f.firstlineno);
    let mut out = HashSet::new();
    for b in &f.blocks {
        for (k, i) in b.instrs.iter().enumerate() {
            if i.starts_line {
                if i.loc.line == line {
                    out.insert((b.label, k));
                }
                line = i.loc.line;
            }
        }
    }
    out
}

/// What an arc probe does at a block start, from how each edge into the
/// block meets CPython's line event there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Every way in fires the event: a plain probe.
    Fires,
    /// None does: no probe (it would record a `(line, line)` arc).
    Silent,
    /// Some do, some do not, some cannot be told apart statically: a
    /// guard (`last != line`), then the record, then the block's body.
    Guarded { record: Label, body: Label },
}

/// The plans of the body's block starts (by label), and the jumps into
/// guarded blocks retargeted: to the record when the jump fires the
/// event, to the body when it cannot. The rules, per version:
/// - 3.8/3.9: an event fires at every line-record start, and inside a
///   record only after a backward jump (3.9: also at an exception handler,
///   which CPython 3.9 fires unless the raising instruction was the first
///   of its record, e.g. the `RAISE_VARARGS` of a multi-line `raise`: that
///   case, which only the raising instruction tells, is a known
///   difference);
/// - 3.10+: when the line differs from the previous instruction's (or it
///   had none), or after a backward jump (3.12+ `sys.settrace` keeps this
///   through a `JUMP` event whose two ends share a line).
///
/// The previous instruction of an exception edge is unknown: guarded.
#[allow(clippy::too_many_arguments)]
fn arc_plans(
    f: &mut Function,
    graph: &Cfg,
    sb: usize,
    si: usize,
    fake: &HashSet<(Label, usize)>,
    skipped: &HashSet<(Label, usize)>,
    retarget_jumps: bool,
) -> HashMap<Label, Plan> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Meets {
        Fires,
        Silent,
        Unknown,
    }
    let lnotab = f.version.lnotab();
    let minor = f.version.minor;
    let mut plans = HashMap::new();
    let mut retarget = Vec::new();
    for bi in sb..f.blocks.len() {
        let Some(first) = f.blocks[bi].instrs.first() else { continue };
        let Some(line) = first.loc.line.filter(|&l| l >= 0) else { continue };
        if (bi == sb && si > 0) || skipped.contains(&(f.blocks[bi].label, 0)) {
            continue;
        }
        let mut edges = Vec::new();
        if bi == sb {
            // NB: the call itself (the body's first instruction).
            edges.push((None, Meets::Fires));
        }
        for (p, e) in graph.predecessors(BlockId(bi as u32)) {
            let p = p.index();
            let src = match e.kind {
                EdgeKind::Fallthrough => f.blocks[p].instrs.last(),
                EdgeKind::Jump => f.blocks[p].instrs.get(e.instr),
                EdgeKind::Exception => None,
            };
            // NB: 3.11+ the `await`/`yield from` loop jumps back to its SEND
            // with JUMP_BACKWARD_NO_INTERRUPT: no event (3.11 skips a
            // backward jump to SEND; 3.12+ has no JUMP event for it).
            let no_interrupt = src.is_some_and(|i| i.op == O::JumpBackwardNoInterrupt);
            // NB: 3.8's CALL_FINALLY "falls" into its next block when the
            // finally body's END_FINALLY jumps back there: a backward jump.
            let from_finally = e.kind == EdgeKind::Fallthrough && src.is_some_and(|i| i.op == O::CallFinally);
            let backward = (e.kind == EdgeKind::Jump && p >= bi && !no_interrupt) || from_finally;
            let meets = if lnotab {
                let record_start = first.starts_line && !fake.contains(&(f.blocks[bi].label, 0));
                if record_start || backward || (e.kind == EdgeKind::Exception && minor == 9) {
                    Meets::Fires
                } else {
                    Meets::Silent
                }
            } else if e.kind == EdgeKind::Exception {
                Meets::Unknown
            } else {
                let from = src.and_then(|i| i.loc.line).filter(|&l| l >= 0);
                if from != Some(line) || backward {
                    Meets::Fires
                } else {
                    Meets::Silent
                }
            };
            let jump = (e.kind == EdgeKind::Jump).then_some((p, e.instr));
            edges.push((jump, meets));
        }
        let plan = if edges.iter().all(|e| e.1 == Meets::Fires) {
            Plan::Fires
        } else if edges.iter().all(|e| e.1 == Meets::Silent) {
            Plan::Silent
        } else {
            let (record, body) = (f.new_label(), f.new_label());
            for (jump, meets) in &edges {
                if let (Some(j), Meets::Fires | Meets::Silent) = (jump, meets) {
                    retarget.push((*j, if *meets == Meets::Fires { record } else { body }));
                }
            }
            Plan::Guarded { record, body }
        };
        plans.insert(f.blocks[bi].label, plan);
    }
    for ((p, i), to) in retarget.into_iter().filter(|_| retarget_jumps) {
        f.blocks[p].instrs[i].arg = Arg::Jump(to);
    }
    plans
}

/// `ARCS[(filename, to, qualname)][<from>] = None`, `from` pushed by
/// `from` (`Arg::Local`: a local; `Arg::Const`: a constant), `to` the
/// line, or with `by_exception` the 1-tuple `(line,)`: the frame is left
/// by an exception (the runtime tells those exits apart, see its `_arc`).
// NB: the site's key is one constant of this code object and `from` is
// always one of its constants, so both lookups find their key by identity:
// no tuple is built per probe, and no key is compared, which would enter
// the interpreter's recursion check (a RecursionError "in comparison"
// from a probe near the recursion limit). The runtime's `ARCS` makes a
// site's dict on first use (`__missing__`).
fn record_arc(cx: &mut Cx<'_>, f: &mut Function, global: &str, from: Arg, line: i32, by_exception: bool) -> Result<Vec<Instr>> {
    let t = cx.table;
    let none = new_const(cx.m, f, Value::None);
    let file = cx.m.push(Value::Str(cx.m.str(f.filename).unwrap_or_default().as_bytes().into()));
    let l = cx.m.push(Value::Int(i64::from(line)));
    let to = if by_exception { cx.m.push(Value::Tuple(vec![l].into())) } else { l };
    let qualname = cx.m.push(Value::Str(cx.qualname.as_bytes().into()));
    let site = new_const(cx.m, f, Value::Tuple(vec![file, to, qualname].into()));
    let g = name_index(cx.m, f, global);
    let load_from = match from {
        Arg::Local(_) => Instr::new(op(t, O::LoadFast)?, from),
        _ => Instr::new(op(t, O::LoadConst)?, from),
    };
    Ok(vec![
        Instr::new(op(t, O::LoadConst)?, Arg::Const(none)),
        Instr::new(op(t, O::LoadGlobal)?, Arg::Name { index: g, flags: 0 }),
        Instr::new(op(t, O::LoadConst)?, Arg::Const(site)),
        // NB: BINARY_SUBSCR, or 3.14's BINARY_OP [].
        super::replace_op::binary_instr(t, "[]")
            .map_err(|e| crate::error::Error::new(crate::error::ErrorKind::Unsupported(e)))?,
        load_from,
        Instr::new(op(t, O::StoreSubscr)?, Arg::None),
    ])
}

/// The frame events of branch coverage, as coverage.py's tracer sees
/// them: a call enters from line `-co_firstlineno`, a return or an
/// escaping exception leaves to it. A generator suspended at a `yield`
/// is not left, and nor is one that an exception thrown in there
/// (`throw()`, `close()`) leaves right away: the tracer sees the `yield`
/// as the last instruction then.
struct Exits<'a> {
    global: &'a str,
}

impl FrameEvents for Exits<'_> {
    fn entry(&self, cx: &mut Cx<'_>, f: &mut Function, tok: LocalIdx) -> Result<Vec<Instr>> {
        let first = new_const(cx.m, f, Value::Int(-i64::from(f.firstlineno)));
        Ok(vec![Instr::new(op(cx.table, O::LoadConst)?, Arg::Const(first)), Instr::new(op(cx.table, O::StoreFast)?, Arg::Local(tok))])
    }

    fn has(&self, _e: Event) -> bool {
        true
    }

    // NB: coverage.py's tracer sees a generator suspended in a YIELD_FROM
    // (3.8-3.10) as suspended at a yield.
    fn yield_from_suspends(&self) -> bool {
        true
    }

    fn code(&self, cx: &mut Cx<'_>, f: &mut Function, _u: &Unwinding, e: Event, tok: LocalIdx, line: Option<i32>) -> Result<Vec<Instr>> {
        let t = cx.table;
        let first = -i64::from(f.firstlineno);
        let line = i64::from(line.unwrap_or(f.firstlineno));
        let set = |cx: &mut Cx<'_>, f: &mut Function, v: Value| -> Result<Vec<Instr>> {
            let c = new_const(cx.m, f, v);
            Ok(vec![Instr::new(op(t, O::LoadConst)?, Arg::Const(c)), Instr::new(op(t, O::StoreFast)?, Arg::Local(tok))])
        };
        match e {
            Event::Return => record_arc(cx, f, self.global, Arg::Local(tok), -f.firstlineno, false),
            Event::Error | Event::Close => record_arc(cx, f, self.global, Arg::Local(tok), -f.firstlineno, true),
            // NB: suspended, the last line is `(yield line, -first)`: an
            // exception thrown in there starts its arc at the yield's line
            // (3.11: at -first), and one that leaves the frame straight
            // from the yield is no exit (the runtime decodes both).
            Event::Suspend => {
                let (a, b) = (cx.m.push(Value::Int(line)), cx.m.push(Value::Int(first)));
                set(cx, f, Value::Tuple(vec![a, b].into()))
            }
            // NB: resumed by next()/send(): coverage.py's last line is the yield's.
            Event::Resume => set(cx, f, Value::Int(line)),
        }
    }
}

/// `EXECUTABLE[filename] = (lines...)` in the runtime: every line some
/// code object of the file starts in its line table (`dis.findlinestarts`),
/// so reports can name the lines that never ran, also without source.
fn register_executable(cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
    let t = cx.table;
    let mut lines = std::collections::BTreeSet::new();
    for (id, _) in cx.m.code_objects() {
        let view = crate::dis::CodeView::new(cx.m, id)?;
        lines.extend(view.line_starts()?.into_iter().filter_map(|(_, l)| l).filter(|&l| l >= 0));
    }
    let items = lines.into_iter().map(|l| cx.m.push(Value::Int(i64::from(l)))).collect::<Vec<_>>();
    let lines = new_const(cx.m, f, Value::Tuple(items.into()));
    let file = new_const(cx.m, f, Value::Str(cx.m.str(f.filename).unwrap_or_default().as_bytes().into()));
    let level = new_const(cx.m, f, Value::Int(0));
    let a = cx.m.push(Value::Str(EXECUTABLE.as_bytes().into()));
    let fromlist = new_const(cx.m, f, Value::Tuple(vec![a].into()));
    let module = name_index(cx.m, f, RUNTIME);
    let attr = name_index(cx.m, f, EXECUTABLE);
    let name = |index| Arg::Name { index, flags: 0 };
    // NB: [lines, module, dict] -> [lines, dict]: ROT_TWO, 3.11+ SWAP 2.
    let swap = match t.have(O::RotTwo) {
        Some(rot) => Instr::new(rot, Arg::None),
        None => Instr::new(op(t, O::Swap)?, Arg::Int(2)),
    };
    Ok(vec![
        Instr::new(op(t, O::LoadConst)?, Arg::Const(lines)),
        Instr::new(op(t, O::LoadConst)?, Arg::Const(level)),
        Instr::new(op(t, O::LoadConst)?, Arg::Const(fromlist)),
        Instr::new(op(t, O::ImportName)?, name(module)),
        Instr::new(op(t, O::ImportFrom)?, name(attr)),
        swap,
        Instr::new(op(t, O::PopTop)?, Arg::None),
        Instr::new(op(t, O::LoadConst)?, Arg::Const(file)),
        Instr::new(op(t, O::StoreSubscr)?, Arg::None),
    ])
}

/// A location with a line and no columns (3.11+ tables also want the end line).
fn line_loc(f: &Function, line: Option<i32>) -> Loc {
    let end_line = if f.version.localsplus_layout() { line } else { None };
    Loc { line, end_line, ..Loc::default() }
}

/// Puts the module prologue where the module body starts (as inject-hook does).
fn insert_at_entry(f: &mut Function, mut seq: Vec<Instr>) -> Result<()> {
    let graph = Cfg::new(f)?;
    let start = cfg::body_start(f, &graph)?;
    let bi = start.at.block.index();
    let k = start.at.instr;
    let next = f.blocks[bi..].iter().flat_map(|b| b.instrs.iter()).nth(k).copied();
    if let Some(next) = next {
        for ins in &mut seq {
            ins.loc = line_loc(f, next.loc.line);
            ins.handler = next.handler;
        }
        if f.version.lnotab() {
            seq[0].starts_line = true;
            seq[0].ghosts = next.ghosts;
            let first = f.blocks[bi..].iter_mut().flat_map(|b| b.instrs.iter_mut()).nth(k).expect("found above");
            first.starts_line = false;
            first.ghosts = None;
        }
    }
    if start.shared {
        let label = f.new_label();
        f.blocks.insert(bi, Block { label, instrs: seq });
    } else {
        f.blocks[bi].instrs.splice(k..k, seq);
    }
    Ok(())
}

impl Pass for Coverage {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn runtime_imports(&self) -> Vec<RuntimeImport> {
        vec![RuntimeImport { name: self.global.clone(), module: RUNTIME.to_string(), attr: self.container().to_string(), builtins: false }]
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        // NB: 3.14+ compiles deferred annotations into `__annotate__`
        // functions; coverage.py's sys.monitoring core (3.14's default for
        // lines) ignores them, so no line probe goes there. Its arcs take
        // another form on 3.14; arcs follow its settrace core, which
        // records them.
        if !self.branch && f.version.at_least(14) && cx.m.str(f.name).is_some_and(|n| n == "__annotate__") {
            return Ok(Changed::No);
        }
        let last = if self.branch { Some(frame::hidden_local(cx, f, &self.local)?) } else { None };
        let n = self.add_probes(cx, f, last)?;
        if let Some(last) = last {
            let ev = Exits { global: &self.global };
            frame::wrap_frame(&ev, cx, f, last, None)?;
        }
        cx.sites.matched += n;
        cx.sites.changed += n;
        if cx.is_module {
            let seq = self.prologue(cx, f)?;
            insert_at_entry(f, seq)?;
            return Ok(Changed::Yes);
        }
        Ok(if n > 0 { Changed::Yes } else { Changed::No })
    }
}
