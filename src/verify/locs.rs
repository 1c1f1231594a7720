//! Location checks: every instruction's [`Loc`] can be written in the
//! version's line table and read back as the same thing.

use super::{Invariant as I, Sink};
use crate::ir::{Function, Loc};

pub(super) fn run(f: &Function, sink: &mut Sink) {
    for (bi, b) in f.blocks.iter().enumerate() {
        for (k, ins) in b.instrs.iter().enumerate() {
            if let Err(m) = check(f, &ins.loc) {
                sink.at(f, I::Location, bi, Some(k), m);
            }
        }
    }
}

/// Why `loc` cannot be written for `f`'s version, if it cannot.
fn check(f: &Function, loc: &Loc) -> Result<(), String> {
    let v = f.version;
    if !v.localsplus_layout() {
        // NB: 3.8-3.10 tables hold lines only; columns would be dropped.
        if loc.end_line.is_some() || loc.col.is_some() || loc.end_col.is_some() {
            return Err(format!("{v} line tables store no end line or columns"));
        }
        if !v.lnotab() && loc.line.is_some_and(|l| l < 0) {
            return Err(format!(
                "line {} is negative: 3.10 reads -1 as \"no line\"",
                loc.line.unwrap_or(0)
            ));
        }
        return Ok(());
    }
    let Some(line) = loc.line else {
        if loc.end_line.is_some() || loc.col.is_some() || loc.end_col.is_some() {
            return Err("no line but an end line or column (3.11+ cannot write that)".into());
        }
        return Ok(());
    };
    if line < 0 {
        return Err(format!(
            "line {line} is negative: 3.11+ reads -1 as \"no line\""
        ));
    }
    let Some(end_line) = loc.end_line else {
        return Err("a line but no end line (3.11+ writes both)".into());
    };
    if end_line < line {
        return Err(format!(
            "end line {end_line} before line {line} (the table stores end_line - line unsigned)"
        ));
    }
    if loc.col.is_some_and(|c| c < 0) || loc.end_col.is_some_and(|c| c < 0) {
        return Err("negative column (columns are stored plus one, 0 meaning none)".into());
    }
    let one_line = end_line == line;
    match (loc.col, loc.end_col) {
        (Some(_), Some(_)) => Ok(()),
        (None, None) if one_line => Ok(()),
        // NB: behaviour of 3.11's location encoder.
        _ if !v.at_least(12) => {
            Err("3.11 writes both columns or neither, and no end line without columns".into())
        }
        _ if one_line => {
            Err("a single column on a one-line span (3.12+ writes it as no columns)".into())
        }
        _ => Ok(()),
    }
}
