//! `wrap`: enter, exit and error hooks around every function body, as a handler region.

use super::emit::{self, ins, load_callable, load_const, name_index};
use super::inject_hook::{const_arg, hook_args, insert_at_entry, HookArg};
use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo, RuntimeImport};
use super::frame::{self, Event, FrameEvents, Unwinding};
use super::switch::OffSwitch;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, FreeIdx, Function, Instr, LocalIdx};
use crate::marshal::Value;
use crate::opcodes::Opcode as O;

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

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const ENTER: ParamSpec = ParamSpec { name: "enter", kind: ParamKind::OptText, default: Some(""), help: "module:function called before the body; returns the token" };
    pub const EXIT: ParamSpec = ParamSpec { name: "exit", kind: ParamKind::OptText, default: Some(""), help: "module:function called as exit(token, value) on return" };
    pub const ERROR: ParamSpec = ParamSpec { name: "error", kind: ParamKind::OptText, default: Some(""), help: "module:function called as error(token, exc) when an exception escapes" };
    pub const EXTRA: ParamSpec = ParamSpec { name: "extra", kind: ParamKind::OptText, default: Some(""), help: "constant arguments of enter after the qualname: name, filename, firstlineno" };
    pub const ARGS: ParamSpec = ParamSpec { name: "args", kind: ParamKind::Bool, default: Some("false"), help: "also pass enter a dict of the call's parameters" };
    pub const QUALNAME: ParamSpec = ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" };
    pub const GLOBAL: ParamSpec = ParamSpec { name: "global", kind: ParamKind::Text, default: Some("__pyrewrite_wrap"), help: "prefix of the reserved globals holding the hooks" };
    pub const LOCAL: ParamSpec = ParamSpec { name: "local", kind: ParamKind::Text, default: Some("__pyrewrite_token__"), help: "the hidden local holding the token" };
    pub const RESUMES: ParamSpec = ParamSpec { name: "resumes", kind: ParamKind::Bool, default: Some("false"), help: "also call suspend and resume around every yield of generators and coroutines" };
    pub const SUSPEND: ParamSpec = ParamSpec { name: "suspend", kind: ParamKind::OptText, default: Some(""), help: "module:function called as suspend(token, value) before each yield (resumes = true)" };
    pub const RESUME: ParamSpec = ParamSpec { name: "resume", kind: ParamKind::OptText, default: Some(""), help: "module:function called as resume(token) when execution comes back after a yield (resumes = true)" };
    pub const SWITCH: ParamSpec = ParamSpec { name: "switch", kind: ParamKind::OptText, default: Some(""), help: "module:NAME (or builtins:NAME), a flag read at each call: while false no hook runs" };
}

const PARAMS: &[ParamSpec] = &[
    param::ENTER,
    param::EXIT,
    param::ERROR,
    param::EXTRA,
    param::ARGS,
    param::QUALNAME,
    param::GLOBAL,
    param::LOCAL,
    param::RESUMES,
    param::SUSPEND,
    param::RESUME,
    param::SWITCH,
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
    let prefix = p.text(&param::GLOBAL);
    if !emit::is_identifier(prefix) {
        return Err(format!("global {prefix:?} is not an identifier"));
    }
    let hook = |spec: &ParamSpec| -> std::result::Result<Option<Hook>, String> {
        let Some(text) = p.opt_text(spec) else {
            return Ok(None);
        };
        let which = spec.name;
        let (module, function) = emit::hook_ref(which, text)?;
        Ok(Some(Hook { module, function, global: format!("{prefix}_{which}__") }))
    };
    let (enter, exit, error) = (hook(&param::ENTER)?, hook(&param::EXIT)?, hook(&param::ERROR)?);
    let (suspend, resume) = (hook(&param::SUSPEND)?, hook(&param::RESUME)?);
    match (p.bool(&param::RESUMES), suspend.is_some() || resume.is_some()) {
        (true, false) => return Err("resumes = true needs a suspend or resume hook".to_string()),
        (false, true) => return Err("suspend and resume are called only with resumes = true".to_string()),
        _ => {}
    }
    if enter.is_none() && exit.is_none() && error.is_none() {
        return Err("give at least one of enter, exit, error".to_string());
    }
    let local = p.text(&param::LOCAL);
    if !emit::is_identifier(local) {
        return Err(format!("local {local:?} is not an identifier"));
    }
    Ok(Box::new(Wrap {
        enter,
        exit,
        error,
        extra: hook_args("extra", p.opt_text(&param::EXTRA).unwrap_or(""))?,
        args: p.bool(&param::ARGS),
        qualname: p.glob(&param::QUALNAME).clone(),
        local: local.to_string(),
        switch: p.opt_text(&param::SWITCH).map(|s| OffSwitch::parse(s, format!("{prefix}_switch__"))).transpose()?,
        suspend,
        resume,
    }))
}

/// `co_flags`: CO_NEWLOCALS (functions, not module or class bodies).
const CO_NEWLOCALS: u32 = 0x0002;
/// `co_flags`: *args, **kwargs.
const CO_VARARGS: u32 = 0x0004;
const CO_VARKEYWORDS: u32 = 0x0008;
/// `co_localspluskinds` bit of a cell (3.11+).
const CO_FAST_CELL: u8 = 0x40;

fn unsupported(what: String) -> Error {
    Error::new(ErrorKind::Unsupported(what))
}

impl Wrap {
    /// The hook an event calls: `exit` on return and on close().
    fn hook(&self, e: Event) -> Option<&Hook> {
        match e {
            Event::Return | Event::Close => self.exit.as_ref(),
            Event::Error => self.error.as_ref(),
            Event::Suspend => self.suspend.as_ref(),
            Event::Resume => self.resume.as_ref(),
        }
    }

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
            let Some(&name) = f.localsplus.get(LocalIdx(slot as u32)) else { break };
            let text = cx.m.str(name).unwrap_or_default().to_string();
            seq.push(load_const(t, cx.m, f, Value::Str(text.as_bytes().into()))?);
            // NB: a parameter that is also a cell lives in its cell: 3.11+
            // after MAKE_CELL in its own slot, before in the cell array.
            let load = if f.version.localsplus_layout() {
                if f.localspluskinds.get(slot).is_some_and(|k| k & CO_FAST_CELL != 0) {
                    ins(t, O::LoadDeref, Arg::Free(FreeIdx(slot as u32)))?
                } else {
                    ins(t, O::LoadFast, Arg::Local(LocalIdx(slot as u32)))?
                }
            } else if let Some(cell) = f.cellvars.iter().position(|&c| cx.m.str(c) == cx.m.str(name)) {
                ins(t, O::LoadDeref, Arg::Free(FreeIdx(cell as u32)))?
            } else {
                ins(t, O::LoadFast, Arg::Local(LocalIdx(slot as u32)))?
            };
            seq.push(load);
        }
        seq.push(ins(t, O::BuildMap, Arg::Int(n.max(0) as u32))?);
        Ok(seq)
    }

    /// `token = enter(qualname, *extra[, args])` (or `token = None`).
    fn entry(&self, cx: &mut Cx<'_>, f: &mut Function, tok: LocalIdx) -> Result<Vec<Instr>> {
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
    fn call_with_top(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, hook: &Hook, tok: LocalIdx) -> Result<Vec<Instr>> {
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
    fn call_with_none(&self, cx: &mut Cx<'_>, f: &mut Function, hook: &Hook, tok: LocalIdx) -> Result<Vec<Instr>> {
        let t = cx.table;
        let mut seq = vec![load_callable(t, cx.m, f, &hook.global)?, ins(t, O::LoadFast, Arg::Local(tok))?];
        seq.push(load_const(t, cx.m, f, Value::None)?);
        seq.extend(emit::call(t, 2)?);
        seq.push(ins(t, O::PopTop, Arg::None)?);
        Ok(seq)
    }
}

impl FrameEvents for Wrap {
    fn entry(&self, cx: &mut Cx<'_>, f: &mut Function, tok: LocalIdx) -> Result<Vec<Instr>> {
        Wrap::entry(self, cx, f, tok)
    }

    fn has(&self, e: Event) -> bool {
        self.hook(e).is_some()
    }

    fn code(&self, cx: &mut Cx<'_>, f: &mut Function, u: &Unwinding, e: Event, tok: LocalIdx, _line: Option<i32>) -> Result<Vec<Instr>> {
        let h = self.hook(e).ok_or_else(|| unsupported(format!("no hook for {e:?}")))?;
        match e {
            Event::Return | Event::Error | Event::Suspend => self.call_with_top(cx, f, u, h, tok),
            Event::Close => self.call_with_none(cx, f, h, tok),
            Event::Resume => {
                let t = cx.table;
                let mut seq = vec![load_callable(t, cx.m, f, &h.global)?, ins(t, O::LoadFast, Arg::Local(tok))?];
                seq.extend(emit::call(t, 1)?);
                seq.push(ins(t, O::PopTop, Arg::None)?);
                Ok(seq)
            }
        }
    }
}

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
        let tok = frame::hidden_local(cx, f, &self.local)?;
        frame::wrap_frame(self, cx, f, tok, self.switch.as_ref())?;
        cx.sites.changed += 1;
        Ok(Changed::Yes)
    }
}
