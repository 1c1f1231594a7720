//! `python`: a pass written in Python (`function = "module:function"`),
//! run by the Python package, which registers the [`Resolver`] that turns
//! the name into a [`ModulePass`].
//!
//! The engine cannot call Python by itself, so this pass is a slot: the
//! `pyrewrite` binary refuses it with a message that names the command that
//! can run it (`python -m pyrewrite`, the same command line compiled into
//! the package). Unlike the built-in passes, which edit one lifted
//! function at a time, it takes the whole marshalled module (or live code
//! object) and gives back a new one, which the manager reads back and
//! lifts again; the Python side assembles and verifies every code object
//! it changed with this library's assembler and verifier
//! (`Bytecode.to_code`), so "verify after each pass" still holds.

use super::params::{ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::Function;
use crate::version::PyVersion;
use std::sync::OnceLock;

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "python", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Runs a pass written in Python: `function = "module:function"` names a
function that takes a `pyrewrite.Bytecode` and returns a `Bytecode` (or
`None` for "unchanged"). It is called on every code object of the module,
nested ones first, and each code object it changes is assembled and
verified by pyrewrite before the next pass runs. In a config file the
short form `python = "module:function"` is the same as `name = "python"`
plus `function = ...`. Only the Python package can run it (`python -m
pyrewrite ...`, `pyrewrite.Pipeline(config=...)`, the import hook and
`python -m pyrewrite run`), on code of the interpreter that runs it: the
`pyrewrite` binary refuses it. See docs/python.md, "Passes written in
Python".

## Example

```toml
[[pass]]
python = "mypasses:drop_asserts"
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const FUNCTION: ParamSpec = ParamSpec { name: "function", kind: ParamKind::Text, default: None, help: "the pass, as module:function (importable where it runs)" };
}

const PARAMS: &[ParamSpec] = &[
    param::FUNCTION,
];

/// A pass that rewrites a whole marshalled code object at once.
pub trait ModulePass: Send + Sync {
    /// Why it cannot run on code of version `v` (a Python pass needs the
    /// running interpreter's own version).
    fn check_version(&self, v: PyVersion) -> std::result::Result<(), String>;
    /// The rewritten marshal bytes of `code` (a module's, or a live code
    /// object's), or `None` when nothing changed; an error message when
    /// the pass failed or refused.
    fn rewrite(&self, code: &[u8], v: PyVersion) -> std::result::Result<Option<Vec<u8>>, String>;
}

/// Turns `module:function` into a runnable pass (the Python package's).
pub type Resolver = dyn Fn(&str) -> std::result::Result<Box<dyn ModulePass>, String> + Send + Sync;

static RESOLVER: OnceLock<Box<Resolver>> = OnceLock::new();

/// Registers how `python` passes are resolved; the first registration wins
/// (one per process: the Python extension's, at import).
pub fn set_resolver(r: Box<Resolver>) {
    let _ = RESOLVER.set(r);
}

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let target = p.text(&param::FUNCTION).trim();
    let valid = target.split_once(':').is_some_and(|(m, f)| !m.is_empty() && !f.is_empty());
    if !valid {
        return Err(format!("function = {target:?}: expected module:function (e.g. \"mypasses:drop_asserts\")"));
    }
    let Some(resolve) = RESOLVER.get() else {
        return Err(format!(
            "{target} is written in Python: the pyrewrite binary cannot run it; use the Python package's \
             command line, `python -m pyrewrite` with the same arguments (pip install pyrewrite)"
        ));
    };
    Ok(Box::new(PythonPass { inner: resolve(target)? }))
}

struct PythonPass {
    inner: Box<dyn ModulePass>,
}

impl Pass for PythonPass {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn run(&self, _cx: &mut Cx<'_>, _f: &mut Function) -> Result<Changed> {
        // NB: the manager runs module passes through `module_pass`.
        Err(Error::new(ErrorKind::Invalid("the python pass runs on whole modules, not single functions".into())))
    }

    fn check_version(&self, v: PyVersion) -> std::result::Result<(), String> {
        self.inner.check_version(v)
    }

    fn module_pass(&self) -> Option<&dyn ModulePass> {
        Some(self.inner.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_python_package_it_names_the_command_that_runs_it() {
        let e = INFO.configure(&[("function".into(), super::super::RawValue::Text("m:f".into()))]).err().unwrap();
        assert!(e.to_string().contains("python -m pyrewrite"), "{e}");
        let e = INFO.configure(&[("function".into(), super::super::RawValue::Text("nocolon".into()))]).err().unwrap();
        assert!(e.to_string().contains("expected module:function"), "{e}");
        assert!(INFO.configure(&[]).is_err());
    }
}
