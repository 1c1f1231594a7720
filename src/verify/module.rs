//! Whole-file verification: every code object of a marshal tree, changed or
//! not, checked as the pass manager checks what a pass changed. This is
//! what `pyrewrite verify` and `--check` run: an input CPython's compiler
//! would never produce (say, more arguments than local names) is reported
//! before a pass touches it, not after.

use super::{Invariant, VerifierError};
use crate::code;
use crate::lift;
use crate::marshal::{Marshal, Value};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// One problem in one code object of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeProblem {
    /// Qualified name of the code object (`<module>`, `C.f.<locals>.g`).
    pub qualname: String,
    /// Its `co_firstlineno`.
    pub firstlineno: i32,
    /// The invariant broken; `None` when the code object cannot be lifted
    /// at all (then `message` is the lifter's error).
    pub invariant: Option<Invariant>,
    /// Byte offset in `co_code`, when known.
    pub offset: Option<u64>,
    /// What is wrong, with the block and instruction when the IR has them.
    pub message: String,
}

impl fmt::Display for CodeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (line {})", self.qualname, self.firstlineno)?;
        if let Some(o) = self.offset {
            write!(f, " offset {o}")?;
        }
        match self.invariant {
            Some(i) => write!(f, ": [{}] {}", i.name(), self.message),
            None => write!(f, ": [lift] {}", self.message),
        }
    }
}

/// Checks every code object of `m` (shared ones once): its raw bytes
/// ([`super::verify_code`]), then the lifted IR with the constants
/// ([`super::verify_in`]). Returns every problem, code objects in file
/// order; empty when the file is valid.
pub fn verify_module(m: &Marshal) -> Vec<CodeProblem> {
    let names: HashMap<_, _> = code::qualnames(m).into_iter().collect();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (id, _) in m.code_objects() {
        if !seen.insert(id) {
            continue;
        }
        let Value::Code(c) = m.get(id) else {
            continue;
        };
        let qualname = names.get(&id).cloned().unwrap_or_else(|| "<?>".into());
        let problem = |e: &VerifierError| CodeProblem {
            qualname: qualname.clone(),
            firstlineno: c.firstlineno,
            invariant: Some(e.invariant),
            offset: e.location.offset.map(u64::from),
            message: strip_offset(e),
        };
        if let Err(errs) = super::verify_code(m, id) {
            out.extend(errs.iter().map(problem));
            continue;
        }
        match lift::lift(m, id) {
            Err(e) => out.push(CodeProblem {
                qualname: qualname.clone(),
                firstlineno: c.firstlineno,
                invariant: None,
                offset: e.offset(),
                message: e.kind().to_string(),
            }),
            Ok(f) => {
                if let Err(errs) = super::verify_in(&f, m) {
                    out.extend(errs.iter().map(problem));
                }
            }
        }
    }
    out
}

/// The error's text without the offset, which [`CodeProblem`] prints itself.
fn strip_offset(e: &VerifierError) -> String {
    let mut bare = e.clone();
    bare.location.offset = None;
    let text = bare.to_string();
    // NB: `function: [inv] msg` / `L3 instr 2: [inv] msg`: keep the place,
    // drop the invariant (printed by CodeProblem).
    let tag = format!(": [{}] ", e.invariant.name());
    match text.split_once(&tag) {
        Some((place, msg)) if place == "function" => msg.to_string(),
        Some((place, msg)) => format!("{place}: {msg}"),
        None => text,
    }
}
