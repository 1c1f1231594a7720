//! Rewrite passes: the [`Pass`] trait, the registry ([`PASSES`]) and the
//! [`manager`] that runs a pipeline over every code object of a file.
//!
//! A pass is one module here plus one line in [`declare_passes!`]: it
//! exports `pub const INFO: PassInfo` (name, user documentation, typed
//! parameters, constructor) and a type implementing [`Pass`], whose
//! [`Pass::run`] edits one lifted [`Function`] at a time. The manager lifts,
//! runs, verifies, recomputes `co_stacksize` and assembles; see docs/passes.md.

pub mod config;
mod emit;
mod error;
mod frame;
pub mod literal;
pub mod manager;
pub mod params;
mod switch;

use crate::error::Result;
use crate::ir::Function;
use crate::marshal::{Marshal, ObjId};
use crate::opcodes::OpTable;
use crate::version::PyVersion;

pub use error::ConfigError;
pub use manager::{PassStats, Pipeline};
pub use params::{ParamKind, ParamSpec, Params, RawValue};

/// Whether a pass changed the function it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Changed {
    /// Nothing was edited.
    No,
    /// Something was edited: the manager verifies and re-assembles it.
    Yes,
}

impl Changed {
    /// `Yes` when `b`.
    pub fn from_bool(b: bool) -> Self {
        if b {
            Changed::Yes
        } else {
            Changed::No
        }
    }
}

/// What a pass sees besides the function: the arena (for constants), which
/// code object this is, and the version's opcode table.
pub struct Cx<'a> {
    /// The file's marshal arena; new constants are pushed here.
    pub m: &'a mut Marshal,
    /// The code object's node.
    pub code: ObjId,
    /// Its qualified name (`Box.get`, `f.<locals>.g`; the module's is `<module>`).
    pub qualname: &'a str,
    /// Nesting depth (0 for the module).
    pub depth: usize,
    /// True for the module's own code object.
    pub is_module: bool,
    /// The file's CPython version.
    pub version: PyVersion,
    /// That version's opcodes.
    pub table: &'static OpTable,
    /// This step's site counts in this file so far (a pass adds what it
    /// matched and changed; `occurrence` counts across code objects).
    pub sites: &'a mut Sites,
}

/// Sites (constants, instructions, function entries) one pipeline step
/// matched and changed in one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sites {
    /// Sites that matched the pass's `from` (and `line`, when given), in
    /// `dis` order: code objects depth first, instructions in order.
    pub matched: usize,
    /// Sites the pass changed.
    pub changed: usize,
}

/// `line = N` / `occurrence = K`: which of the matching sites of a file a
/// pass changes (0 = any), so that one run touches exactly one place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteFilter {
    /// Only sites on this source line.
    pub line: Option<i32>,
    /// Only the K-th matching site of the file (1-based), after `line`.
    pub occurrence: Option<usize>,
}

impl SiteFilter {
    /// The `line` and `occurrence` parameters ([`SITE_PARAMS`]).
    pub fn from_params(p: &Params) -> std::result::Result<Self, String> {
        let line = match p.int(&param::LINE) {
            0 => None,
            n => Some(i32::try_from(n).map_err(|_| format!("line {n} is too large"))?),
        };
        let occurrence = match p.int(&param::OCCURRENCE) {
            0 => None,
            n => Some(n as usize),
        };
        Ok(SiteFilter { line, occurrence })
    }

    /// True when only some of the matching sites are changed.
    pub fn is_narrow(&self) -> bool {
        self.line.is_some() || self.occurrence.is_some()
    }

    /// Counts a site that matched on `line` in `sites` and says whether
    /// this one is selected.
    pub fn take(&self, sites: &mut Sites, line: Option<i32>) -> bool {
        if self.line.is_some() && line != self.line {
            return false;
        }
        sites.matched += 1;
        self.occurrence.is_none_or(|k| sites.matched == k)
    }
}

/// The parameters that build a [`SiteFilter`].
pub const SITE_PARAMS: [ParamSpec; 2] = [param::LINE, param::OCCURRENCE];

/// The site parameters, by name (see [`SITE_PARAMS`]).
pub(crate) mod param {
    use super::{ParamKind, ParamSpec};

    pub const LINE: ParamSpec = ParamSpec {
        name: "line",
        kind: ParamKind::Int,
        default: Some("0"),
        help: "only sites on this source line (0: any)",
    };
    pub const OCCURRENCE: ParamSpec = ParamSpec {
        name: "occurrence",
        kind: ParamKind::Int,
        default: Some("0"),
        help: "only the K-th matching site of each file, in dis order (0: all)",
    };
}

/// A configured rewrite pass, run once per code object.
pub trait Pass: Send + Sync {
    /// The registry name (`swap-const`).
    fn name(&self) -> &'static str;
    /// Edits `f` (the code object described by `cx`) in place. An error
    /// stops the whole file: nothing is written.
    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed>;

    /// Why this configuration cannot apply to files of version `v` (an
    /// operator that version cannot encode), checked once per version
    /// before any file is read.
    fn check_version(&self, _v: PyVersion) -> std::result::Result<(), String> {
        Ok(())
    }

    /// What the rewritten code finds at run time under a global name (a
    /// hook). A module's own code binds it (inject-hook's prologue); code
    /// rewritten on its own ([`Pipeline::run_code`]) relies on the caller
    /// to bind it, as the Python package's `patch()` does.
    fn runtime_imports(&self) -> Vec<RuntimeImport> {
        Vec::new()
    }

    /// Modules the rewritten code imports at run time (inject-hook's hook
    /// module): they must not be instrumented themselves.
    fn runtime_modules(&self) -> Vec<String> {
        self.runtime_imports()
            .into_iter()
            .map(|r| r.module)
            .collect()
    }

    /// A pass that rewrites the whole marshalled code object at once (the
    /// `python` pass) instead of one lifted function at a time.
    fn module_pass(&self) -> Option<&dyn python::ModulePass> {
        None
    }
}

/// A global the rewritten code loads: `name = module.attr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeImport {
    /// The global (or builtin) name the code loads.
    pub name: String,
    /// The module it comes from (dotted).
    pub module: String,
    /// The attribute of that module; empty: the module itself (an off
    /// switch, whose flag the code reads at each call).
    pub attr: String,
    /// True when it is bound in `builtins` rather than the module's globals.
    pub builtins: bool,
}

/// A registry entry: everything known about a pass before it is configured.
pub struct PassInfo {
    /// The name used by `--pass` and `name = ...` in a config.
    pub name: &'static str,
    /// User documentation in Markdown: `## What it does` and `## Example`
    /// sections; printed by `pyrewrite passes` and copied into docs/passes.md.
    pub doc: &'static str,
    /// Declared parameters.
    pub params: &'static [ParamSpec],
    /// Builds the pass from checked parameters (may reject combinations).
    pub build: fn(&Params) -> std::result::Result<Box<dyn Pass>, String>,
}

impl PassInfo {
    /// The first sentence of the "What it does" section, for one-line listings.
    pub fn summary(&self) -> &'static str {
        let body = self
            .doc
            .split("## What it does")
            .nth(1)
            .unwrap_or(self.doc)
            .trim_start();
        let para = body.split("\n\n").next().unwrap_or(body);
        match para.find(". ") {
            Some(i) => para[..=i].trim(),
            None => para.trim(),
        }
    }

    /// Checks `raw` parameters and builds the pass.
    pub fn configure(
        &self,
        raw: &[(String, RawValue)],
    ) -> std::result::Result<Box<dyn Pass>, ConfigError> {
        let p = Params::parse(self.name, self.params, raw)?;
        (self.build)(&p).map_err(|message| ConfigError::Invalid {
            pass: self.name,
            message,
        })
    }

    /// The text `pyrewrite passes` prints for this pass: name, parameters
    /// (type, default or "required", help) and the documentation.
    pub fn describe(&self) -> String {
        let mut s = format!("{}\n", self.name);
        if self.params.is_empty() {
            s.push_str("  parameters: none\n");
        } else {
            s.push_str("  parameters:\n");
            for p in self.params {
                let d = p
                    .default
                    .map_or("required".to_string(), |d| format!("default {d}"));
                s.push_str(&format!(
                    "    {:<10} {} ({d}): {}\n",
                    p.name,
                    p.kind.describe(),
                    p.help
                ));
            }
        }
        for line in self.doc.trim().lines() {
            s.push_str(if line.is_empty() { "" } else { "  " });
            s.push_str(line);
            s.push('\n');
        }
        s
    }
}

/// Declares the pass modules and the registry in one place.
/// NB: adding a pass = its module file + one name here.
macro_rules! declare_passes {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// Every available pass, in listing order.
        pub const PASSES: &[&PassInfo] = &[$(&$module::INFO),*];
    };
}

declare_passes! {
    swap_const,
    replace_op,
    inject_hook,
    fold_constants,
    coverage,
    wrap,
    python,
}

/// The pass called `name`, or an error listing the valid names.
pub fn lookup(name: &str) -> std::result::Result<&'static PassInfo, ConfigError> {
    PASSES
        .iter()
        .copied()
        .find(|p| p.name == name)
        .ok_or_else(|| ConfigError::UnknownPass {
            name: name.to_string(),
            valid: PASSES.iter().map(|p| p.name).collect(),
        })
}
