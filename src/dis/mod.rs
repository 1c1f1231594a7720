//! Disassembly text identical to what each version's `dis.dis(code)` prints.
//!
//! [`decode`] walks `co_code` the way that version's `dis._unpack_opargs`
//! does; [`args`] resolves each argument to the text `dis` shows; then one
//! of two formatters lays the lines out: [`classic`] for 3.8..3.12 (offsets,
//! `>>` markers) and [`labels`] for 3.13+ (`L1:` labels, no offsets).
//! See docs/dis.md for the per-version facts this follows.

mod args;
mod caches;
mod classic;
mod decode;
mod labels;

use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{Code, Marshal, ObjId, Value};
use crate::opcodes::{self, OpTable};
use crate::pyrepr;

pub use decode::{decode, Instr};

/// What `dis` shows besides the default columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `show_caches=True` (`python -m dis -C`): a `CACHE` line per inline
    /// cache unit (3.11+; named fields from 3.12).
    pub show_caches: bool,
    /// `show_offsets=True` (`-O`, 3.13+): an offset column in the label
    /// layout (before 3.13 offsets are always shown).
    pub show_offsets: bool,
    /// `show_positions=True` (3.14's `-P`): `LINE:COL-ENDLINE:ENDCOL`
    /// instead of line numbers, in the 3.13+ label layout only.
    pub show_positions: bool,
}

/// What `dis.dis(m.root)` prints for a module code object (and everything
/// nested in its constants), including the final newline.
pub fn dis_module(m: &Marshal) -> Result<String> {
    dis_code(m, m.root)
}

/// [`dis_module`] with `dis.dis`'s keyword options.
pub fn dis_module_with(m: &Marshal, opts: Options) -> Result<String> {
    let mut out = String::new();
    recurse(m, m.root, opts, &mut out)?;
    Ok(out)
}

/// What `dis.dis(code)` prints for the code object `code_id`, recursing into
/// nested code objects in `co_consts` order as `dis` does.
pub fn dis_code(m: &Marshal, code_id: ObjId) -> Result<String> {
    let mut out = String::new();
    recurse(m, code_id, Options::default(), &mut out)?;
    Ok(out)
}

/// What `dis.disassemble(code)` prints: one code object, no recursion.
pub fn disassemble(m: &Marshal, code_id: ObjId) -> Result<String> {
    disassemble_with(m, code_id, Options::default())
}

/// [`disassemble`] with `dis`'s keyword options.
pub fn disassemble_with(m: &Marshal, code_id: ObjId, opts: Options) -> Result<String> {
    let mut out = String::new();
    let view = CodeView::new(m, code_id)?;
    // NB: behaviour of dis: 3.13 prints jump targets as labels.
    if view.table.version.at_least(13) {
        labels::disassemble(&view, opts, &mut out)?;
    } else {
        classic::disassemble(&view, opts, &mut out)?;
    }
    Ok(out)
}

/// As [`dis_code`], with each code object's own listing passed through
/// `edit(code_id, text)` before it is placed. NB: the Python package uses
/// this to show a live frozenset constant in the order the running
/// interpreter iterates it (string hashes are randomised per process).
pub fn dis_code_with(
    m: &Marshal,
    code_id: ObjId,
    edit: &mut dyn FnMut(ObjId, String) -> String,
) -> Result<String> {
    let mut out = String::new();
    recurse_with(m, code_id, Options::default(), &mut out, edit)?;
    Ok(out)
}

fn recurse(m: &Marshal, code_id: ObjId, opts: Options, out: &mut String) -> Result<()> {
    recurse_with(m, code_id, opts, out, &mut |_, text| text)
}

fn recurse_with(
    m: &Marshal,
    code_id: ObjId,
    opts: Options,
    out: &mut String,
    edit: &mut dyn FnMut(ObjId, String) -> String,
) -> Result<()> {
    out.push_str(&edit(code_id, disassemble_with(m, code_id, opts)?));
    let view = CodeView::new(m, code_id)?;
    for &k in view.consts {
        if matches!(m.get(k), Value::Code(_)) {
            out.push('\n');
            out.push_str("Disassembly of ");
            pyrepr::write_repr(m, k, out);
            out.push_str(":\n");
            recurse_with(m, k, opts, out, edit)?;
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
            Error::new(ErrorKind::Unsupported(format!(
                "disassembly of Python {}",
                m.version
            )))
        })?;
        let co_code = m
            .bytes(code.code)
            .ok_or_else(|| invalid("co_code is not bytes".into()))?;
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
        let id = usize::try_from(i)
            .ok()
            .and_then(|i| ids.get(i))
            .ok_or_else(|| {
                invalid(format!(
                    "{what} index {i} out of range ({} entries) in code object {}",
                    ids.len(),
                    self.name
                ))
            })?;
        Ok(match self.m.get(*id) {
            Value::Str(s) => pyrepr::decode_marshal_str(s).into_iter().collect(),
            _ => pyrepr::repr(self.m, *id),
        })
    }

    /// `repr(co_consts[i])`.
    pub fn const_repr(&self, i: i64) -> Result<String> {
        let id = usize::try_from(i)
            .ok()
            .and_then(|i| self.consts.get(i))
            .ok_or_else(|| {
                invalid(format!(
                    "const index {i} out of range ({} entries) in code object {}",
                    self.consts.len(),
                    self.name
                ))
            })?;
        Ok(pyrepr::repr(self.m, *id))
    }

    /// Decoded line table entries.
    pub fn line_starts(&self) -> Result<Vec<(u32, Option<i32>)>> {
        let v = self.m.version;
        let table = self
            .m
            .bytes(self.code.linetable)
            .ok_or_else(|| invalid("line table is not bytes".into()))?;
        let entries =
            crate::locations::decode(v, table, self.code.firstlineno, self.co_code.len())?;
        Ok(crate::locations::line_starts(
            v,
            &entries,
            self.co_code.len(),
        ))
    }

    /// `list(co_positions())`: one position per code unit (3.11+), units
    /// the table does not cover without any.
    pub fn positions(&self) -> Result<Vec<crate::locations::Position>> {
        let v = self.m.version;
        let table = self
            .m
            .bytes(self.code.linetable)
            .ok_or_else(|| invalid("line table is not bytes".into()))?;
        let entries =
            crate::locations::decode(v, table, self.code.firstlineno, self.co_code.len())?;
        let mut out = crate::locations::positions(&entries);
        out.resize(self.co_code.len() / 2, NO_POSITION);
        Ok(out)
    }

    /// Exception table entries as `dis._parse_exception_table` reads them (3.11+).
    pub fn exception_entries(&self) -> Result<Vec<crate::exctable::ExcEntry>> {
        match self.code.exceptiontable {
            None => Ok(Vec::new()),
            Some(t) => {
                let raw = self
                    .m
                    .bytes(t)
                    .ok_or_else(|| invalid("exception table is not bytes".into()))?;
                crate::exctable::decode(raw, self.co_code.len())
            }
        }
    }
}

/// A code unit without any position.
pub(crate) const NO_POSITION: crate::locations::Position = crate::locations::Position {
    line: None,
    end_line: None,
    col: None,
    end_col: None,
};

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::Invalid(msg))
}
