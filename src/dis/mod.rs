//! Disassembly text identical to what each version's `dis.dis(code)` prints.
//!
//! [`decode`] walks `co_code` the way that version's `dis._unpack_opargs`
//! does; [`args`] resolves each argument to the text `dis` shows; then one
//! of two formatters lays the lines out: [`classic`] for 3.8..3.12 (offsets,
//! `>>` markers) and [`labels`] for 3.13+ (`L1:` labels, no offsets).
//! See docs/dis.md for the per-version facts this follows.

mod args;
mod classic;
mod decode;
mod labels;

use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{Code, Marshal, ObjId, Value};
use crate::opcodes::{self, OpTable};
use crate::pyrepr;

pub use decode::{decode, Instr};

/// What `dis.dis(m.root)` prints for a module code object (and everything
/// nested in its constants), including the final newline.
pub fn dis_module(m: &Marshal) -> Result<String> {
    dis_code(m, m.root)
}

/// What `dis.dis(code)` prints for the code object `code_id`, recursing into
/// nested code objects in `co_consts` order as `dis` does.
pub fn dis_code(m: &Marshal, code_id: ObjId) -> Result<String> {
    let mut out = String::new();
    recurse(m, code_id, &mut out)?;
    Ok(out)
}

/// What `dis.disassemble(code)` prints: one code object, no recursion.
pub fn disassemble(m: &Marshal, code_id: ObjId) -> Result<String> {
    let mut out = String::new();
    let view = CodeView::new(m, code_id)?;
    // NB: behaviour of dis: 3.13 prints jump targets as labels.
    if view.table.version.at_least(13) {
        labels::disassemble(&view, &mut out)?;
    } else {
        classic::disassemble(&view, &mut out)?;
    }
    Ok(out)
}

fn recurse(m: &Marshal, code_id: ObjId, out: &mut String) -> Result<()> {
    out.push_str(&disassemble(m, code_id)?);
    let view = CodeView::new(m, code_id)?;
    for &k in view.consts {
        if matches!(m.get(k), Value::Code(_)) {
            out.push('\n');
            out.push_str("Disassembly of ");
            pyrepr::write_repr(m, k, out);
            out.push_str(":\n");
            recurse(m, k, out)?;
        }
    }
    Ok(())
}

/// A code object with the pieces `dis` looks at, resolved from the arena.
pub(crate) struct CodeView<'a> {
    pub m: &'a Marshal,
    pub code: &'a Code,
    pub table: &'static OpTable,
    pub co_code: &'a [u8],
    pub consts: &'a [ObjId],
    pub names: &'a [ObjId],
    /// `co_varnames` (3.8..3.10) or `co_localsplusnames` (3.11+).
    pub varnames: &'a [ObjId],
    /// `co_cellvars + co_freevars` (3.8..3.10 only).
    pub cells: Vec<ObjId>,
    /// The code object's name, for error messages.
    pub name: String,
}

impl<'a> CodeView<'a> {
    pub fn new(m: &'a Marshal, id: ObjId) -> Result<Self> {
        let Value::Code(code) = m.get(id) else {
            return Err(invalid(format!("object #{} is not a code object", id.0)));
        };
        let table = opcodes::table(m.version).ok_or_else(|| {
            Error::new(ErrorKind::Unsupported(format!("disassembly of Python {}", m.version)))
        })?;
        let co_code = m.bytes(code.code).ok_or_else(|| invalid("co_code is not bytes".into()))?;
        let mut cells = Vec::new();
        if !table.localsplus {
            cells.extend_from_slice(code.cellvars.map_or(&[][..], |c| m.items(c)));
            cells.extend_from_slice(code.freevars.map_or(&[][..], |c| m.items(c)));
        }
        Ok(CodeView {
            m,
            code,
            table,
            co_code,
            consts: m.items(code.consts),
            names: m.items(code.names),
            varnames: m.items(code.varnames),
            cells,
            name: m.str(code.name).map(|s| s.into_owned()).unwrap_or_default(),
        })
    }

    /// Text of the str at `ids[i]` (what `dis` prints for a name), or an
    /// error naming the table, as Python's IndexError would stop `dis`.
    pub fn name_in(&self, ids: &[ObjId], i: i64, what: &str) -> Result<String> {
        let id = usize::try_from(i).ok().and_then(|i| ids.get(i)).ok_or_else(|| {
            invalid(format!("{what} index {i} out of range ({} entries) in code object {}", ids.len(), self.name))
        })?;
        Ok(match self.m.get(*id) {
            Value::Str(s) => pyrepr::decode_marshal_str(s).into_iter().collect(),
            _ => pyrepr::repr(self.m, *id),
        })
    }

    /// `repr(co_consts[i])`.
    pub fn const_repr(&self, i: i64) -> Result<String> {
        let id = usize::try_from(i).ok().and_then(|i| self.consts.get(i)).ok_or_else(|| {
            invalid(format!("const index {i} out of range ({} entries) in code object {}", self.consts.len(), self.name))
        })?;
        Ok(pyrepr::repr(self.m, *id))
    }

    /// Decoded line table entries.
    pub fn line_starts(&self) -> Result<Vec<(u32, Option<i32>)>> {
        let v = self.m.version;
        let table = self.m.bytes(self.code.linetable).ok_or_else(|| invalid("line table is not bytes".into()))?;
        let entries = crate::locations::decode(v, table, self.code.firstlineno, self.co_code.len())?;
        Ok(crate::locations::line_starts(v, &entries, self.co_code.len()))
    }

    /// Exception table entries as `dis._parse_exception_table` reads them (3.11+).
    pub fn exception_entries(&self) -> Result<Vec<crate::exctable::ExcEntry>> {
        match self.code.exceptiontable {
            None => Ok(Vec::new()),
            Some(t) => {
                let raw = self.m.bytes(t).ok_or_else(|| invalid("exception table is not bytes".into()))?;
                crate::exctable::decode(raw, self.co_code.len())
            }
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::Invalid(msg))
}
