//! `wrap`: enter, exit and error hooks around every function body, as a handler region.

use super::emit::{self, ins, load_callable, load_const, name_index};
use super::inject_hook::{const_arg, hook_args, insert_at_entry, HookArg};
use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo, RuntimeImport};
use super::switch::OffSwitch;
use crate::cfg::{self, Cfg};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Block, ConstIdx, Function, Handler, Instr, Label, Loc};
use crate::marshal::Value;
use crate::opcodes::{HandlerDepth, Opcode as O};

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "wrap", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Wraps the body of every function, method, lambda, generator, coroutine and
async generator (not class or module bodies) in three hooks, each given as
`module:function` and each optional:

- `enter(qualname, *extra)` before the body runs; what it returns is the
  call's *token*, kept in a hidden local (`local`, default
  `__pyrewrite_token__`). Without `enter` the token is `None`.
- `exit(token, value)` when the function returns `value`;
- `error(token, exc)` when an exception propagates out of the body. The
  exception then propagates unchanged, with its traceback as it was.

`extra` lists constant arguments passed after the qualified name, as
inject-hook's `args` (`name`, `filename`, `firstlineno`). With
`args = true`, `enter` also gets a dict of the call's parameters, name to
value, as its last argument.

The body becomes a handler region: a `SETUP_FINALLY` block on 3.8-3.10,
exception table entries on 3.11+ (every body instruction no `try` of its
own covers), whose handler calls `error` and re-raises (3.11+: `RERAISE`
with the saved offset, so `f_lineno` is kept). Each `return` calls `exit`
just before it, outside the region, so an exception raised by `exit`
propagates without an `error` call. Generators, coroutines and async
generators call `enter` on their first resumption, `exit` when they return
or are exhausted, `exit(token, None)` when they are closed (the
`GeneratorExit` that `close()` throws in), and `error` for any other
exception that escapes. With `resumes = true`, `suspend(token, value)` is
also called before each `yield` (and each suspension of an `await`, 3.11+)
and `resume(token)` when the generator is resumed there, so time spent
suspended can be told apart; on 3.8-3.10 an `await` or `yield from`
suspends inside one instruction, so its suspensions are not events there
(plain `yield`s are).

With `switch = "module:NAME"`, each call first reads `module.NAME` (the
module is imported into a reserved global by each module's code): while
it is false the call runs an untouched copy of the body, so it costs that
test alone (the code object holds the body twice). With `switch =
"builtins:NAME"` the flag is the builtin `NAME` instead (`builtins.NAME =
True` turns it on): one flag for the whole process, read with a single
`LOAD_GLOBAL`, the cheapest test there is; each module's code creates it
as `False` when it is missing, and a module global of that name would
shadow it. The flag can be
flipped at any time; a call that started with it on ends with its `exit`
or `error` event even when it is turned off meanwhile, and one that
started with it off records nothing.

The hooks are imported by each module's code into reserved globals
(`global` prefix, default `__pyrewrite_wrap`: `__pyrewrite_wrap_enter__`
and so on), like inject-hook's. The added instructions carry the location
of the `return` they precede (3.8/3.9: its line record), or none (the
handler and the entry), so tracebacks, `co_lines` and line events of the
original code do not change. A function run with foreign globals
(`types.FunctionType(code, {})`) fails at its first hook with a NameError.

## Example

```toml
[[pass]]
name = "wrap"
enter = "mytimer:enter"
exit = "mytimer:exit"
error = "mytimer:error"
```

with `mytimer.py`:

```python
import time

def enter(qualname):
    return (qualname, time.perf_counter())

def exit(token, value):
    qualname, t0 = token
    print(f"{qualname}: {time.perf_counter() - t0:.6f} s")

def error(token, exc):
    qualname, t0 = token
    print(f"{qualname}: raised {type(exc).__name__}")
```
"#;

const PARAMS: &[ParamSpec] = &[
    ParamSpec { name: "enter", kind: ParamKind::OptText, default: Some(""), help: "module:function called before the body; returns the token" },
    ParamSpec { name: "exit", kind: ParamKind::OptText, default: Some(""), help: "module:function called as exit(token, value) on return" },
    ParamSpec { name: "error", kind: ParamKind::OptText, default: Some(""), help: "module:function called as error(token, exc) when an exception escapes" },
    ParamSpec { name: "extra", kind: ParamKind::OptText, default: Some(""), help: "constant arguments of enter after the qualname: name, filename, firstlineno" },
    ParamSpec { name: "args", kind: ParamKind::Bool, default: Some("false"), help: "also pass enter a dict of the call's parameters" },
    ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" },
    ParamSpec { name: "global", kind: ParamKind::Text, default: Some("__pyrewrite_wrap"), help: "prefix of the reserved globals holding the hooks" },
    ParamSpec { name: "local", kind: ParamKind::Text, default: Some("__pyrewrite_token__"), help: "the hidden local holding the token" },
    ParamSpec { name: "resumes", kind: ParamKind::Bool, default: Some("false"), help: "also call suspend and resume around every yield of generators and coroutines" },
    ParamSpec { name: "suspend", kind: ParamKind::OptText, default: Some(""), help: "module:function called as suspend(token, value) before each yield (resumes = true)" },
    ParamSpec { name: "resume", kind: ParamKind::OptText, default: Some(""), help: "module:function called as resume(token) when execution comes back after a yield (resumes = true)" },
    ParamSpec { name: "switch", kind: ParamKind::OptText, default: Some(""), help: "module:NAME (or builtins:NAME), a flag read at each call: while false no hook runs" },
];

/// One configured hook and the global it is bound to.
struct Hook {
    module: String,
    function: String,
    global: String,
}

/// The configured pass.
pub struct Wrap {
    enter: Option<Hook>,
    exit: Option<Hook>,
    error: Option<Hook>,
    extra: Vec<HookArg>,
    args: bool,
    qualname: Glob,
    local: String,
    switch: Option<OffSwitch>,
    suspend: Option<Hook>,
    resume: Option<Hook>,
}

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let prefix = p.text("global");
    if !emit::is_identifier(prefix) {
        return Err(format!("global {prefix:?} is not an identifier"));
    }
    let hook = |which: &str| -> std::result::Result<Option<Hook>, String> {
        let Some(text) = p.opt_text(which) else {
            return Ok(None);
        };
        let (module, function) = emit::hook_ref(which, text)?;
        Ok(Some(Hook { module, function, global: format!("{prefix}_{which}__") }))
    };
    let (enter, exit, error) = (hook("enter")?, hook("exit")?, hook("error")?);
    let (suspend, resume) = (hook("suspend")?, hook("resume")?);
    match (p.bool("resumes"), suspend.is_some() || resume.is_some()) {
        (true, false) => return Err("resumes = true needs a suspend or resume hook".to_string()),
        (false, true) => return Err("suspend and resume are called only with resumes = true".to_string()),
        _ => {}
    }
    if enter.is_none() && exit.is_none() && error.is_none() {
        return Err("give at least one of enter, exit, error".to_string());
    }
    let local = p.text("local");
    if !emit::is_identifier(local) {
        return Err(format!("local {local:?} is not an identifier"));
    }
    Ok(Box::new(Wrap {
        enter,
        exit,
        error,
        extra: hook_args("extra", p.opt_text("extra").unwrap_or(""))?,
        args: p.bool("args"),
        qualname: p.glob("qualname").clone(),
        local: local.to_string(),
        switch: p.opt_text("switch").map(|s| OffSwitch::parse(s, format!("{prefix}_switch__"))).transpose()?,
        suspend,
        resume,
    }))
}

/// `co_flags`: CO_NEWLOCALS (functions, not module or class bodies).
const CO_NEWLOCALS: u32 = 0x0002;
/// `co_flags`: *args, **kwargs.
const CO_VARARGS: u32 = 0x0004;
const CO_VARKEYWORDS: u32 = 0x0008;
/// `co_flags`: generator, coroutine, iterable coroutine, async generator:
/// code that `close()` ends by throwing GeneratorExit in.
const CO_GENERATOR_LIKE: u32 = 0x20 | 0x80 | 0x100 | 0x200;
/// `co_localspluskinds` bit of a cell (3.11+).
const CO_FAST_CELL: u8 = 0x40;

fn unsupported(what: String) -> Error {
    Error::new(ErrorKind::Unsupported(what))
}

/// How this version unwinds to a handler.
struct Unwinding {
    /// 3.11+: exception tables (else the 3.8-3.10 block stack).
    table: bool,
}

impl Wrap {
    fn hooks(&self) -> impl Iterator<Item = &Hook> {
        [&self.enter, &self.exit, &self.error, &self.suspend, &self.resume].into_iter().flatten()
    }

    /// The instructions that push the parameters as a dict, name to value.
    fn args_dict(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
        let t = cx.table;
        let n = f.argcount + f.kwonlyargcount
            + i32::from(f.flags & CO_VARARGS != 0)
            + i32::from(f.flags & CO_VARKEYWORDS != 0);
        let mut seq = Vec::new();
        for slot in 0..n.max(0) as usize {
            let Some(&name) = f.localsplus.get(slot) else { break };
            let text = cx.m.str(name).unwrap_or_default().to_string();
            seq.push(load_const(t, cx.m, f, Value::Str(text.as_bytes().into()))?);
            // NB: a parameter that is also a cell lives in its cell: 3.11+
            // after MAKE_CELL in its own slot, before in the cell array.
            let load = if f.version.localsplus_layout() {
                if f.localspluskinds.get(slot).is_some_and(|k| k & CO_FAST_CELL != 0) {
                    ins(t, O::LoadDeref, Arg::Free(slot as u32))?
                } else {
                    ins(t, O::LoadFast, Arg::Local(slot as u32))?
                }
            } else if let Some(cell) = f.cellvars.iter().position(|&c| cx.m.str(c) == cx.m.str(name)) {
                ins(t, O::LoadDeref, Arg::Free(cell as u32))?
            } else {
                ins(t, O::LoadFast, Arg::Local(slot as u32))?
            };
            seq.push(load);
        }
        seq.push(ins(t, O::BuildMap, Arg::Int(n.max(0) as u32))?);
        Ok(seq)
    }

    /// `token = enter(qualname, *extra[, args])` (or `token = None`).
    fn entry(&self, cx: &mut Cx<'_>, f: &mut Function, tok: u32) -> Result<Vec<Instr>> {
        let t = cx.table;
        let mut seq = Vec::new();
        match &self.enter {
            Some(h) => {
                seq.push(load_callable(t, cx.m, f, &h.global)?);
                let mut n = 1;
                seq.push(load_const(t, cx.m, f, Value::Str(cx.qualname.as_bytes().into()))?);
                for a in &self.extra {
                    let v = const_arg(cx, f, *a);
                    seq.push(load_const(t, cx.m, f, v)?);
                    n += 1;
                }
                if self.args {
                    seq.extend(self.args_dict(cx, f)?);
                    n += 1;
                }
                seq.extend(emit::call(t, n)?);
            }
            None => seq.push(load_const(t, cx.m, f, Value::None)?),
        }
        seq.push(ins(t, O::StoreFast, Arg::Local(tok))?);
        Ok(seq)
    }

    /// `hook(token, <value on top>)`, leaving the value where it was.
    fn call_with_top(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, hook: &Hook, tok: u32) -> Result<Vec<Instr>> {
        let t = cx.table;
        let mut seq = Vec::new();
        if u.table {
            // NB: [v] -> [v, callable+NULL (2 slots), token] -> COPY 4 is v.
            seq.push(load_callable(t, cx.m, f, &hook.global)?);
            seq.push(ins(t, O::LoadFast, Arg::Local(tok))?);
            seq.push(ins(t, O::Copy, Arg::Int(4))?);
        } else {
            // NB: no COPY before 3.11: [v] -> [v, v] -> [v, hook, v] -> [v, hook, token, v].
            let global = name_index(cx.m, f, &hook.global);
            seq.extend([
                ins(t, O::DupTop, Arg::None)?,
                ins(t, O::LoadGlobal, Arg::Name { index: global, flags: 0 })?,
                ins(t, O::RotTwo, Arg::None)?,
                ins(t, O::LoadFast, Arg::Local(tok))?,
                ins(t, O::RotTwo, Arg::None)?,
            ]);
        }
        seq.extend(emit::call(t, 2)?);
        seq.push(ins(t, O::PopTop, Arg::None)?);
        Ok(seq)
    }

    /// `hook(token, None)`.
    fn call_with_none(&self, cx: &mut Cx<'_>, f: &mut Function, hook: &Hook, tok: u32) -> Result<Vec<Instr>> {
        let t = cx.table;
        let mut seq = vec![load_callable(t, cx.m, f, &hook.global)?, ins(t, O::LoadFast, Arg::Local(tok))?];
        seq.push(load_const(t, cx.m, f, Value::None)?);
        seq.extend(emit::call(t, 2)?);
        seq.push(ins(t, O::PopTop, Arg::None)?);
        Ok(seq)
    }

    /// The exception handler's blocks, entered at `entry` with the
    /// exception the body raised: `[lasti, exc]` (3.11+) or the six values
    /// of a `SETUP_FINALLY` block (3.8-3.10, type on top). With `marker`,
    /// a token still equal to it means the entry has not run.
    fn handler(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, tok: u32, entry: Label, marker: Option<ConstIdx>) -> Result<Vec<Block>> {
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
                Ok(Instr::new(r.code, if r.has_arg { Arg::Int(0) } else { Arg::None }))
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
            tail.push(Block { label: quiet, instrs: vec![reraise()?] });
        }
        let mut err = Vec::new();
        let err_label = f.new_label();
        if let (true, Some(exit)) = (generator, &self.exit) {
            // NB: close() throws GeneratorExit in: that is an exit.
            let ge = name_index(cx.m, f, "GeneratorExit");
            let load_ge = ins(t, O::LoadGlobal, Arg::Name { index: ge, flags: 0 })?;
            if let Some(check) = t.code(O::CheckExcMatch) {
                head.extend([load_ge, Instr::new(check, Arg::None), Instr::new(emit::cond_jump(t, false)?, Arg::Jump(err_label))]);
            } else if let Some(jump) = t.code(O::JumpIfNotExcMatch) {
                head.extend([ins(t, O::DupTop, Arg::None)?, load_ge, Instr::new(jump, Arg::Jump(err_label))]);
            } else {
                let matches = t
                    .cmp_op
                    .iter()
                    .position(|&c| c == "exception match")
                    .ok_or_else(|| unsupported(format!("exception matching on Python {}", t.version)))?;
                head.extend([
                    ins(t, O::DupTop, Arg::None)?,
                    load_ge,
                    ins(t, O::CompareOp, Arg::Compare(matches as u32))?,
                    Instr::new(emit::cond_jump(t, false)?, Arg::Jump(err_label)),
                ]);
            }
            head.extend(self.call_with_none(cx, f, exit, tok)?);
            head.push(reraise()?);
        } else {
            // NB: no test: the error path is the entry block itself.
            err = std::mem::take(&mut head);
        }
        if let Some(error) = &self.error {
            // NB: 3.8-3.10 [tb, v, t]: the value goes on top and back.
            if !u.table {
                err.push(ins(t, O::RotTwo, Arg::None)?);
            }
            err.extend(self.call_with_top(cx, f, u, error, tok)?);
            if !u.table {
                err.push(ins(t, O::RotTwo, Arg::None)?);
            }
        }
        err.push(reraise()?);
        let mut blocks = Vec::new();
        if head.is_empty() {
            blocks.push(Block { label: entry, instrs: err });
        } else {
            blocks.push(Block { label: entry, instrs: head });
            blocks.push(Block { label: err_label, instrs: err });
        }
        blocks.extend(tail);
        if u.table {
            // NB: the compiler's cleanup of an `except` body: restore the
            // previous exception, re-raise with the lasti just pushed.
            let cleanup = f.new_label();
            let handled = Handler { target: cleanup, depth: 2, lasti: true };
            for b in &mut blocks {
                for i in &mut b.instrs {
                    i.handler = Some(handled);
                }
            }
            blocks.push(Block {
                label: cleanup,
                instrs: vec![ins(t, O::Copy, Arg::Int(3))?, ins(t, O::PopExcept, Arg::None)?, ins(t, O::Reraise, Arg::Int(1))?],
            });
        } else if f.version.lnotab() {
            // NB: 3.8/3.9 have no "no line" (3.10 has): stay in the last
            // line record, starting none.
            let line = f.instrs().last().and_then(|i| i.loc.line);
            for b in &mut blocks {
                for i in &mut b.instrs {
                    i.loc = Loc { line, ..Loc::default() };
                }
            }
        }
        Ok(blocks)
    }

    fn wrap(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<()> {
        let t = cx.table;
        let u = Unwinding { table: f.version.localsplus_layout() };
        let name = cx.m.push(Value::Str(self.local.as_bytes().into()));
        if f.localsplus.iter().any(|&n| cx.m.str(n).is_some_and(|s| s == self.local.as_str())) {
            return Err(unsupported(format!("{} already has a local {:?} (wrapped twice?)", cx.qualname, self.local)));
        }
        let tok = f.add_local(name).map_err(|e| unsupported(format!("{}: {e}", cx.qualname)))?;
        let generator = f.flags & CO_GENERATOR_LIKE != 0;
        let needs_handler = self.error.is_some() || (generator && self.exit.is_some());
        let graph = Cfg::new(f)?;
        let start = cfg::body_start(f, &graph)?;
        let (sb, si) = (start.at.block.index(), start.at.instr);
        // NB: switched off, a call runs an untouched copy of the body: it
        // costs the test alone (taken before anything here edits the body).
        let copy = self.switch.as_ref().map(|_| clone_body(f, sb, si));
        let h_label = f.new_label();
        // 3.11+: the handler covers what no `try` of the body covers.
        if u.table && needs_handler {
            let h = Handler { target: h_label, depth: 0, lasti: true };
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
                b.instrs.iter().take(if bi == sb { si } else { usize::MAX }).any(|i| i.handler.is_some())
            });
        let marker = if prologue_covered {
            let s = cx.m.push(Value::Str(b"pyrewrite: not entered".as_slice().into()));
            Some(emit::new_const(cx.m, f, Value::Tuple(vec![s].into())))
        } else {
            None
        };
        self.exits(cx, f, &u, tok, sb, si, needs_handler, h_label)?;
        if generator {
            self.yields(cx, f, &u, tok, sb, si)?;
        }
        if let (true, Some(c)) = (prologue_covered, marker) {
            let first = f.blocks.iter().position(|b| !b.instrs.is_empty()).unwrap_or(0);
            let init = [ins(t, O::LoadConst, Arg::Const(c))?, ins(t, O::StoreFast, Arg::Local(tok))?];
            f.blocks[first].instrs.splice(0..0, init);
        }
        let handler = if needs_handler { self.handler(cx, f, &u, tok, h_label, marker)? } else { Vec::new() };
        let mut seq = self.entry(cx, f, tok)?;
        // NB: only 3.8-3.10 have SETUP_FINALLY (a block-stack region).
        if needs_handler && !u.table {
            seq.push(ins(t, O::SetupFinally, Arg::Jump(h_label))?);
        }
        let switch = match (&self.switch, &copy) {
            (Some(sw), Some((_, entry))) => {
                let test = sw.test(t, cx.m, f, *entry)?;
                Some(emit::Switch { test, off_label: Some(*entry) })
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

    /// With `resumes`: `suspend(token, value)` before each `YIELD_VALUE`
    /// of the body and `resume(token)` once control is back (after the
    /// `RESUME` that follows it, 3.11+), in the yield's own region. 3.8-3.10
    /// `YIELD_FROM` (`await`, `yield from`) suspends inside one
    /// instruction, so those suspensions are not events there.
    fn yields(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, tok: u32, sb: usize, si: usize) -> Result<()> {
        let t = cx.table;
        let (Some(yv), resume_op) = (t.code(O::YieldValue), t.code(O::Resume)) else {
            return Ok(());
        };
        if self.suspend.is_none() && self.resume.is_none() {
            return Ok(());
        }
        for bi in sb..f.blocks.len() {
            let mut k = if bi == sb { si } else { 0 };
            while k < f.blocks[bi].instrs.len() {
                let y = f.blocks[bi].instrs[k];
                if y.op != yv {
                    k += 1;
                    continue;
                }
                let mut before = match &self.suspend {
                    Some(h) => self.call_with_top(cx, f, u, h, tok)?,
                    None => Vec::new(),
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
                if let Some(h) = &self.resume {
                    let like = next.unwrap_or(y);
                    let mut after = vec![load_callable(t, cx.m, f, &h.global)?, ins(t, O::LoadFast, Arg::Local(tok))?];
                    after.extend(emit::call(t, 1)?);
                    after.push(ins(t, O::PopTop, Arg::None)?);
                    for i in &mut after {
                        i.loc = if f.version.lnotab() { Loc { line: like.loc.line, ..Loc::default() } } else { like.loc };
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
    fn exits(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, tok: u32, sb: usize, si: usize, region: bool, h: Label) -> Result<()> {
        let t = cx.table;
        let (ret, ret_const) = (t.code(O::ReturnValue), t.code(O::ReturnConst));
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
                if let Some(exit) = &self.exit {
                    seq.extend(self.call_with_top(cx, f, u, exit, tok)?);
                }
                let mut back = Instr { op: ret.ok_or_else(|| unsupported(O::ReturnValue.name().into()))?, arg: Arg::None, handler, ext: 0, ..r };
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
        blocks.push(Block { label, instrs: f.blocks[bi].instrs[from..].to_vec() });
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

impl Pass for Wrap {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn runtime_imports(&self) -> Vec<RuntimeImport> {
        let mut out: Vec<RuntimeImport> = self
            .hooks()
            .map(|h| RuntimeImport { name: h.global.clone(), module: h.module.clone(), attr: h.function.clone(), builtins: false })
            .collect();
        if let Some(sw) = &self.switch {
            out.push(sw.runtime_import(false));
        }
        out
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        if cx.is_module {
            let mut seq = Vec::new();
            for h in self.hooks() {
                seq.extend(emit::import_into_global(cx.table, cx.m, f, &h.module, &h.function, &h.global, false)?);
            }
            if let Some(sw) = &self.switch {
                seq.extend(sw.prologue(cx.table, cx.m, f)?);
            }
            insert_at_entry(f, seq)?;
            return Ok(Changed::Yes);
        }
        if f.flags & CO_NEWLOCALS == 0 || !self.qualname.matches(cx.qualname) {
            return Ok(Changed::No);
        }
        cx.sites.matched += 1;
        self.wrap(cx, f)?;
        cx.sites.changed += 1;
        Ok(Changed::Yes)
    }
}
