//! Checks on a code object's own bytes, before lifting: the exception
//! table's ranges and targets fall on instruction boundaries.
//!
//! The lifter attaches a handler to every instruction whose start lies in
//! a range, so a range that starts or ends inside an instruction (between
//! an `EXTENDED_ARG` and its opcode, or among inline caches) would be
//! silently widened or narrowed; this check catches such input first.

use super::{Invariant as I, Location, VerifierError};
use crate::exctable;
use crate::lift;
use crate::marshal::{Marshal, ObjId, Value};
use crate::opcodes;
use std::collections::BTreeSet;

/// Checks code object `code` of `m`: `co_code` decodes, and (3.11+) every
/// exception-table entry starts and ends on an instruction boundary and
/// targets the start of an instruction. Errors carry byte offsets only.
pub fn verify_code(m: &Marshal, code: ObjId) -> Result<(), Vec<VerifierError>> {
    let at = |offset: Option<u32>, inv: I, message: String| VerifierError {
        invariant: inv,
        location: Location {
            offset,
            ..Location::default()
        },
        message,
    };
    let Value::Code(c) = m.get(code) else {
        return Err(vec![at(None, I::NoCode, "not a code object".into())]);
    };
    let Some(t) = opcodes::table(m.version) else {
        return Err(vec![at(
            None,
            I::UnknownOpcode,
            format!("no opcode table for Python {}", m.version),
        )]);
    };
    let bytes = m.bytes(c.code).unwrap_or(&[]);
    let raw = match lift::decode(t, bytes) {
        Ok(r) => r,
        Err(e) => {
            return Err(vec![at(
                e.offset().map(|o| o as u32),
                I::UnknownOpcode,
                e.kind().to_string(),
            )])
        }
    };
    // NB: CPython writes inline caches zeroed (the compiler, marshal and
    // `co_code` of live code alike); the specializing interpreter trusts
    // what they hold (counters, type versions, cached pointers), so garbage
    // there is a crash (seed 31415 on 3.11: a cache byte made an opcode).
    let mut errors: Vec<VerifierError> = raw
        .iter()
        .filter(|r| r.dirty_cache)
        .map(|r| {
            let name = t.get(r.op).map_or("?", |i| i.name);
            at(
                Some(r.op_offset),
                I::InlineCache,
                format!("{name} at byte {}: its inline cache holds nonzero bytes (CPython writes it zeroed, and the specializer trusts it)", r.op_offset),
            )
        })
        .collect();
    if !m.version.localsplus_layout() {
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        };
    }
    let Some(tab) = c.exceptiontable.and_then(|e| m.bytes(e)) else {
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        };
    };
    let entries = match exctable::decode(tab, bytes.len()) {
        Ok(e) => e,
        Err(e) => {
            errors.push(at(None, I::Handler, format!("exception table: {e}")));
            return Err(errors);
        }
    };
    let starts: BTreeSet<u32> = raw.iter().map(|r| r.start).collect();
    let end = bytes.len() as u32;
    for (i, e) in entries.iter().enumerate() {
        let mut bad = |off: u32, what: &str| {
            errors.push(at(
                Some(off),
                I::Handler,
                format!(
                    "exception entry {i} ({}..{} -> {}): {what} at byte {off} is inside an instruction",
                    e.start, e.end, e.target
                ),
            ));
        };
        if !starts.contains(&e.start) {
            bad(e.start, "range start");
        }
        if e.end != end && !starts.contains(&e.end) {
            bad(e.end, "range end");
        }
        if !starts.contains(&e.target) {
            bad(e.target, "handler target");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
