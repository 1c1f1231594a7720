//! Inspection models behind `pyrewrite info`, `diff` and `dis --json`: plain serde structs, so the JSON output is the same data the text shows.
//!
//! [`info`] describes one file (header and every code object), [`diff`]
//! compares two files code object by code object, [`instr`] lists decoded
//! instructions with their resolved arguments.

pub mod diff;
pub mod info;
pub mod instr;

use crate::marshal::{Marshal, ObjId, Value};
use crate::pyrepr;

/// `repr()` of a constant for display and comparison: nested code objects
/// are shown as `<code NAME>` (their real repr carries an address that says
/// nothing about the content), everything else as Python prints it.
pub fn const_repr(m: &Marshal, id: ObjId) -> String {
    match m.get(id) {
        Value::Code(c) => {
            let name = m
                .str(c.name)
                .map(|s| s.into_owned())
                .unwrap_or_else(|| "?".into());
            format!("<code {name}>")
        }
        _ => pyrepr::repr(m, id),
    }
}

/// Lowercase hex of a byte string.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}
