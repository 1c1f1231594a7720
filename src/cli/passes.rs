//! The pass registry: the seam where rewrite passes plug into the command line.
//!
//! A pass is a named function over a parsed `.pyc`. `pyrewrite --pass NAME`
//! looks names up with [`lookup`]; `pyrewrite passes` lists [`PASSES`]; the
//! rewrite mode runs the chosen passes in command-line order through [`run`].
//! No passes exist yet, so every run is an identity rewrite.

use pyrewrite::pyc::Pyc;
use pyrewrite::Result;

/// A rewrite pass.
pub struct Pass {
    /// The name given to `--pass`.
    pub name: &'static str,
    /// One line for `pyrewrite passes`.
    pub summary: &'static str,
    /// Rewrites the file in place; `options` is the pass's object from the
    /// config file's `options` (JSON `null` when none was given).
    pub apply: fn(&mut Pyc, &serde_json::Value) -> Result<()>,
}

/// Every available pass. NB: add new passes here; nothing else in the CLI
/// needs to change.
pub const PASSES: &[Pass] = &[];

/// The pass called `name`, or the user-facing error listing what exists.
pub fn lookup(name: &str) -> std::result::Result<&'static Pass, String> {
    PASSES.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PASSES.iter().map(|p| p.name).collect();
        let available = if names.is_empty() { "(none yet)".to_string() } else { names.join(", ") };
        format!("unknown pass {name}; available passes: {available}")
    })
}

/// Runs `pipeline` over `pyc` in order; `options` gives each pass its config.
pub fn run(pipeline: &[(&'static Pass, serde_json::Value)], pyc: &mut Pyc) -> Result<()> {
    for (pass, options) in pipeline {
        (pass.apply)(pyc, options).map_err(|e| e.context(format!("in pass {}", pass.name)))?;
    }
    Ok(())
}
