//! `coverage`: records each executed line in a dict of the runtime, with a probe per line start and no call.

use super::params::{ParamKind, ParamSpec, Params};
use super::emit::{name_index, new_const, op};
use super::{emit, Changed, Cx, Pass, PassInfo, RuntimeImport};
use crate::cfg::{self, Cfg};
use crate::error::Result;
use crate::ir::{Arg, Block, Function, Instr, Loc};
use crate::marshal::Value;
use crate::opcodes::Opcode as O;

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
LCOV and JSON.

The probe takes the line of the instruction it precedes and joins its
line record (3.8/3.9: the record starts at the probe), so no new line
appears in `co_lines`, no extra line event fires, tracebacks and
`f_lineno` are those of the original instruction; on 3.11+ the probe is
covered by the handler of that instruction. Probes go after the
prologue (`RESUME`, `GEN_START`), never into it. A function run with
foreign globals (`types.FunctionType(code, {})`) fails on the first probe
with a NameError. Hits since the last flush are lost on a crash or
`os._exit`.

Not yet: `branch = true` (arcs) is refused.

## Example

```toml
[[pass]]
name = "coverage"
```
"#;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "global", kind: ParamKind::Text, default: Some("__pyrewrite_cov__"), help: "the reserved global holding the hits dict" },
    ParamSpec { name: "branch", kind: ParamKind::Bool, default: Some("false"), help: "also record arcs (not yet supported)" },
];

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let global = p.text("global");
    if !emit::is_identifier(global) {
        return Err(format!("global {global:?} is not an identifier"));
    }
    if p.bool("branch") {
        return Err("branch = true: arcs are not implemented yet".to_string());
    }
    Ok(Box::new(Coverage { global: global.to_string() }))
}

/// The configured pass.
pub struct Coverage {
    global: String,
}

/// The runtime module and the dict it exports.
const RUNTIME: &str = "pyrewrite.coverage";
const HITS: &str = "HITS";

impl Coverage {
    /// `from pyrewrite.coverage import HITS` stored into the reserved global.
    fn prologue(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
        emit::import_into_global(cx.table, cx.m, f, RUNTIME, HITS, &self.global, false)
    }

    /// The probe for `line`, located like `next` (the instruction it precedes).
    fn probe(&self, cx: &mut Cx<'_>, f: &mut Function, line: i32, next: &Instr) -> Result<Vec<Instr>> {
        let t = cx.table;
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
    #[allow(clippy::needless_range_loop)]
    fn add_probes(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<usize> {
        let graph = Cfg::new(f)?;
        let start = cfg::body_start(f, &graph)?;
        let (sb, si) = (start.at.block.index(), start.at.instr);
        let lnotab = f.version.lnotab();
        let t = cx.table;
        // NB: inside a record, 3.8 fires a line event only after a
        // backward jump: a forward jump (an exception handler after its
        // `try`) into a record's middle fires none. 3.9 also fires one
        // after an exception is handled (measured on the corpus).
        let only_backward = f.version.major == 3 && f.version.minor == 8;
        let mut back = vec![!only_backward; f.blocks.len()];
        for (src, b) in f.blocks.iter().enumerate() {
            for ins in &b.instrs {
                if let Arg::Jump(l) = ins.arg {
                    if let Some(dst) = f.block_index(l) {
                        back[dst] |= dst <= src;
                    }
                }
            }
        }
        let mut n = 0;
        for bi in sb..f.blocks.len() {
            let mut k = if bi == sb { si } else { 0 };
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
                let starts = (k == 0 && (!lnotab || back[bi])) || (body_first && k == si) || if lnotab { ins.starts_line } else { prev != ins.loc.line };
                prev = ins.loc.line;
                // NB: FOR_ITER leaves the loop past the END_FOR at its target
                // (3.12; 3.13: past END_FOR and the POP_TOP after it), so
                // nothing may go there: those two carry the `for` line,
                // recorded by the loop head already.
                let end_for = t.code(O::EndFor);
                let after_end_for =
                    k > 0 && Some(f.blocks[bi].instrs[k - 1].op) == end_for && Some(ins.op) == t.code(O::PopTop);
                let starts = starts && Some(ins.op) != end_for && !after_end_for;
                let Some(l) = line.filter(|_| starts) else {
                    k += 1;
                    continue;
                };
                let mut seq = self.probe(cx, f, l, &ins)?;
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
                n += 1;
            }
        }
        Ok(n)
    }
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
        vec![RuntimeImport { name: self.global.clone(), module: RUNTIME.to_string(), attr: HITS.to_string(), builtins: false }]
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        let n = self.add_probes(cx, f)?;
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
