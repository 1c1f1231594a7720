//! `inject-hook`: calls `module:function` with the qualified name at the entry of every function.

use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{emit, Changed, Cx, Pass, PassInfo, RuntimeImport};
use super::switch::OffSwitch;
use crate::cfg::{self, Cfg};
use crate::error::Result;
use crate::ir::{Arg, Block, Function, Instr, Loc};
use crate::marshal::Value;
use crate::opcodes::Opcode as O;

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "inject-hook", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Calls a hook at the entry of every function, method, lambda, comprehension,
generator, coroutine and async generator: `hook = "pkg.mod:func"` is called
as `func("<qualname>")` (plus the extra arguments chosen by `args`) before
the first line of the body runs. Generators, coroutines and async
generators call it on their first resumption (first `next()`/`send()`/
`await`), not when they are created. CPython 3.12+ inlines list, set
and dict comprehensions into their function (no code object, so no entry
of their own); generator expressions keep theirs. Each module's code starts with
`from pkg.mod import func` stored into a reserved global (`global`,
default `__pyrewrite_hook__`); functions load it with `LOAD_GLOBAL`. Class
bodies are not hooked unless `classes = true`; the module body itself never
is. With `builtins = true` the prologue stores the hook as an attribute
of the `builtins` module instead (LOAD_GLOBAL finds it there when the
module's globals lack it): functions then also find it when run with
foreign globals (`types.FunctionType(code, {})`). Neither placement
survives every stage of interpreter shutdown: a `__del__` or weakref
callback entering a hooked function after CPython cleared the module's
globals (or the builtins) fails there with "'NoneType' object is not
callable" (or a NameError) where the original ran. With `switch = "module:NAME"` each entry first reads `module.NAME` (the
module is bound to a reserved global next to the hook's): while it is
false the hook is not called, and the entry costs only that test. With
`switch = "builtins:NAME"` the flag is the builtin `NAME`, read with one
`LOAD_GLOBAL` and created as `False` by each module's code when missing
(as in wrap).
`qualname` (glob) selects code objects by qualified name (`co_qualname`
on 3.11+, computed from the nesting as `__qualname__` would be before).
`args` lists what is passed, in order, from `qualname`, `name` (co_name),
`filename` (co_filename) and `firstlineno` (co_firstlineno): default
`qualname`.

The injected instructions have no source location (3.10+: "no line",
3.11+: no position), so tracebacks, `co_positions`/`co_lines` of the
original instructions and line events are unchanged. 3.8/3.9 line tables
cannot say "no line": there the injected code joins the line record of the
body's first instruction (one line event, as before, now just before the
hook runs). On 3.11+ the call is covered by the prologue's exception
handler (3.12+ generators: the StopIteration-to-RuntimeError wrapper), not
by a `try` that starts the body. The hook module must not import modules
that are themselves instrumented before it defines the hook (circular
import); a hook that raises propagates like any call. The rewrite mode
never instruments the hook's own module: found in the tree, it is copied
unchanged with a note. Each hooked entry counts as one site.

## Example

```text
pyrewrite --pass inject-hook --param hook=pyrewrite_hook_print:hook in/ out/
```

```toml
[[pass]]
name = "inject-hook"
hook = "pyrewrite_hook_print:hook"
args = "qualname,filename,firstlineno"
qualname = "Client.*"
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const HOOK: ParamSpec = ParamSpec { name: "hook", kind: ParamKind::Text, default: None, help: "the hook as module:function (module may be dotted)" };
    pub const QUALNAME: ParamSpec = ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" };
    pub const ARGS: ParamSpec = ParamSpec { name: "args", kind: ParamKind::Text, default: Some("qualname"), help: "comma-separated hook arguments from qualname, name, filename, firstlineno" };
    pub const GLOBAL: ParamSpec = ParamSpec { name: "global", kind: ParamKind::Text, default: Some("__pyrewrite_hook__"), help: "the reserved global holding the hook" };
    pub const CLASSES: ParamSpec = ParamSpec { name: "classes", kind: ParamKind::Bool, default: Some("false"), help: "also hook class bodies" };
    pub const SWITCH: ParamSpec = ParamSpec { name: "switch", kind: ParamKind::OptText, default: Some(""), help: "module:NAME (or builtins:NAME), a flag read at each entry: while false the hook is not called" };
    pub const BUILTINS: ParamSpec = ParamSpec { name: "builtins", kind: ParamKind::Bool, default: Some("false"), help: "store the hook in the builtins module instead of each module's globals" };
}

const PARAMS: &[ParamSpec] = &[
    param::HOOK,
    param::QUALNAME,
    param::ARGS,
    param::GLOBAL,
    param::CLASSES,
    param::SWITCH,
    param::BUILTINS,
];

/// One argument passed to the hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HookArg {
    Qualname,
    Name,
    Filename,
    FirstLineNo,
}

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let (module, function) = emit::hook_ref("hook", p.text(&param::HOOK))?;
    let global = p.text(&param::GLOBAL);
    if !emit::is_identifier(global) {
        return Err(format!("global {global:?} is not an identifier"));
    }
    let args = hook_args("args", p.text(&param::ARGS))?;
    Ok(Box::new(InjectHook {
        module,
        function,
        global: global.to_string(),
        args,
        qualname: p.glob(&param::QUALNAME).clone(),
        classes: p.bool(&param::CLASSES),
        builtins: p.bool(&param::BUILTINS),
        switch: p.opt_text(&param::SWITCH).map(|s| OffSwitch::parse(s, format!("{global}_switch"))).transpose()?,
    }))
}

/// The constant hook arguments named in `text` (comma-separated).
pub(super) fn hook_args(param: &str, text: &str) -> std::result::Result<Vec<HookArg>, String> {
    let mut args = Vec::new();
    for a in text.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        args.push(match a {
            "qualname" => HookArg::Qualname,
            "name" => HookArg::Name,
            "filename" => HookArg::Filename,
            "firstlineno" => HookArg::FirstLineNo,
            _ => return Err(format!("{param}: unknown argument {a:?} (use qualname, name, filename, firstlineno)")),
        });
    }
    Ok(args)
}

/// The configured pass.
pub struct InjectHook {
    module: String,
    function: String,
    global: String,
    args: Vec<HookArg>,
    qualname: Glob,
    classes: bool,
    builtins: bool,
    /// The off switch.
    switch: Option<OffSwitch>,
}

/// `co_flags` CO_NEWLOCALS: set on functions, lambdas, comprehensions,
/// generators, coroutines; not on module or class bodies.
const CO_NEWLOCALS: u32 = 0x0002;

impl InjectHook {
    /// `from MODULE import FUNCTION` stored into the reserved global.
    fn prologue(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
        emit::import_into_global(cx.table, cx.m, f, &self.module, &self.function, &self.global, self.builtins)
    }

    /// `hook(args...)` with the result dropped, in this version's call form.
    fn call(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Vec<Instr>> {
        let t = cx.table;
        let mut seq = vec![emit::load_callable(t, cx.m, f, &self.global)?];
        for a in &self.args {
            let value = const_arg(cx, f, *a);
            seq.push(emit::load_const(t, cx.m, f, value)?);
        }
        seq.extend(emit::call(t, self.args.len() as u32)?);
        seq.push(emit::ins(t, O::PopTop, Arg::None)?);
        Ok(seq)
    }
}

/// The constant passed for `a`.
pub(super) fn const_arg(cx: &Cx<'_>, f: &Function, a: HookArg) -> Value {
    match a {
        HookArg::Qualname => Value::Str(cx.qualname.as_bytes().into()),
        HookArg::Name => Value::Str(cx.m.str(f.name).unwrap_or_default().as_bytes().into()),
        HookArg::Filename => Value::Str(cx.m.str(f.filename).unwrap_or_default().as_bytes().into()),
        HookArg::FirstLineNo => Value::Int(i64::from(f.firstlineno)),
    }
}

/// Puts `seq` where the body starts on the first resumption
/// ([`cfg::body_start`]), giving it no location (3.10+) or the body's first
/// line record (3.8/3.9), and on 3.11+ the handler of the prologue.
pub(super) fn insert_at_entry(f: &mut Function, mut seq: Vec<Instr>) -> Result<()> {
    let graph = Cfg::new(f)?;
    let start = cfg::body_start(f, &graph)?;
    let bi = start.at.block.index();
    let k = start.at.instr;
    if f.version.localsplus_layout() {
        // NB: the instruction before is the RESUME ending the prologue; a
        // `try` opening the body must not catch what the hook raises.
        let handler = if k > 0 { f.blocks[bi].instrs[k - 1].handler } else { None };
        for ins in &mut seq {
            ins.handler = handler;
        }
    } else if f.version.lnotab() {
        // NB: 3.8/3.9 lnotab has no "no line": join the first body
        // instruction's record, which now starts at the injected code.
        let next = f.blocks[bi..].iter().flat_map(|b| b.instrs.iter()).nth(k).copied();
        if let Some(next) = next {
            for ins in &mut seq {
                ins.loc = Loc { line: next.loc.line, ..Loc::default() };
            }
            seq[0].starts_line = true;
            seq[0].ghosts = next.ghosts;
            let first = f.blocks[bi..].iter_mut().flat_map(|b| b.instrs.iter_mut()).nth(k).expect("found above");
            first.starts_line = false;
            first.ghosts = None;
        }
    }
    if start.shared {
        // NB: the body's first block is also a loop head: run the hook once,
        // from a block of its own that falls into it.
        let label = f.new_label();
        f.blocks.insert(bi, Block { label, instrs: seq });
    } else {
        f.blocks[bi].instrs.splice(k..k, seq);
    }
    Ok(())
}

impl Pass for InjectHook {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn runtime_imports(&self) -> Vec<RuntimeImport> {
        let mut out = vec![RuntimeImport {
            name: self.global.clone(),
            module: self.module.clone(),
            attr: self.function.clone(),
            builtins: self.builtins,
        }];
        if let Some(sw) = &self.switch {
            out.push(sw.runtime_import(self.builtins));
        }
        out
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        let seq = if cx.is_module {
            let mut seq = self.prologue(cx, f)?;
            if let Some(sw) = &self.switch {
                seq.extend(sw.prologue(cx.table, cx.m, f)?);
            }
            seq
        } else {
            let function_like = f.flags & CO_NEWLOCALS != 0;
            if !(function_like || self.classes) || !self.qualname.matches(cx.qualname) {
                return Ok(Changed::No);
            }
            // NB: a site is a hooked entry; the module prologue only serves them.
            cx.sites.matched += 1;
            cx.sites.changed += 1;
            let call = self.call(cx, f)?;
            if let Some(sw) = &self.switch {
                // NB: while off, the test jumps straight to the body.
                let body = f.new_label();
                let test = sw.test(cx.table, cx.m, f, body)?;
                emit::place_entry(f, call, Some(emit::Switch { test, off_label: None }))?;
                return Ok(Changed::Yes);
            }
            call
        };
        insert_at_entry(f, seq)?;
        Ok(Changed::Yes)
    }
}
