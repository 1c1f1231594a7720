//! The text form of a [`Function`]: one `L<n>:` line per block, one line per
//! instruction, stable for snapshot tests.
//!
//! ```text
//! L0:
//!     RESUME               0                       # 1:0-1:0
//!     LOAD_CONST           1 (42)                  # 5:4-5:6  -> L4 [1] lasti
//!     POP_JUMP_IF_FALSE    L2
//! ```
//!
//! The comment shows the location when it differs from the previous
//! instruction's (`5` = line only, `-` = no line, `5:4-6:10` = line:col to
//! end line:end col) and the exception handler when there is one, as
//! `-> target [depth]` plus `lasti`, like `dis`'s exception table.

use super::{Arg, Function, Instr, Loc};
use crate::marshal::Marshal;
use crate::opcodes::{self, OpTable, Opcode};
use crate::pyrepr;
use std::fmt::Write;

/// Appends the text form of `f` to `out`. `m` is the arena `f` refers to
/// (for constant values and names).
pub fn write_function(f: &Function, m: &Marshal, out: &mut String) {
    let table = opcodes::table(f.version);
    let mut prev: Option<Loc> = None;
    for b in &f.blocks {
        let _ = writeln!(out, "{}:", b.label);
        for ins in &b.instrs {
            let mut line = format!(
                "    {:<20} {}",
                op_name(table, ins.op),
                arg_text(f, m, table, ins)
            );
            if ins.ext > 0 {
                let _ = write!(line, " ext={}", ins.ext);
            }
            let mut comment = String::new();
            if prev != Some(ins.loc) {
                comment.push_str(&loc_text(&ins.loc));
                prev = Some(ins.loc);
            }
            if let Some(h) = ins.handler {
                if !comment.is_empty() {
                    comment.push_str("  ");
                }
                let _ = write!(
                    comment,
                    "-> {} [{}]{}",
                    h.target,
                    h.depth,
                    if h.lasti { " lasti" } else { "" }
                );
            }
            if !comment.is_empty() {
                let _ = write!(
                    line,
                    "{:pad$}# {comment}",
                    "",
                    pad = 48usize.saturating_sub(line.len()).max(1)
                );
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

/// The opcode's name; one this version lacks is shown as `<NAME?>`.
fn op_name(table: Option<&OpTable>, op: Opcode) -> String {
    match table.and_then(|t| t.get(op)) {
        Some(i) => i.name.to_string(),
        None => format!("<{}?>", op.name()),
    }
}

/// `5` (line only, or a one-line span without columns), `-`, or
/// `5:4-6:10` (missing parts as `?`).
fn loc_text(l: &Loc) -> String {
    let Some(line) = l.line else {
        return "-".into();
    };
    if l.end_line.map_or(true, |e| e == line) && l.col.is_none() && l.end_col.is_none() {
        return line.to_string();
    }
    let o = |x: Option<i32>| x.map_or("?".to_string(), |v| v.to_string());
    format!("{line}:{}-{}:{}", o(l.col), o(l.end_line), o(l.end_col))
}

fn arg_text(f: &Function, m: &Marshal, table: Option<&OpTable>, ins: &Instr) -> String {
    let name_of = |ids: &[crate::marshal::ObjId], i: u32| -> String {
        ids.get(i as usize)
            .and_then(|&id| m.str(id))
            .map_or("<?>".into(), |s| s.into_owned())
    };
    match ins.arg {
        Arg::None => String::new(),
        Arg::Int(n) => n.to_string(),
        Arg::Const(c) => match f.consts.get(c) {
            Some(&id) => format!("{} ({})", c.0, pyrepr::repr(m, id)),
            None => format!("{} (<?>)", c.0),
        },
        Arg::Name { index, flags } => {
            let mut s = format!("{} ({})", index.0, name_of(&f.names, index.0));
            if flags != 0 {
                let _ = write!(s, " flags={flags}");
            }
            s
        }
        Arg::Local(i) => format!("{i} ({})", name_of(&f.localsplus, i.0)),
        Arg::LocalPair(a, b) => {
            format!(
                "{a},{b} ({}, {})",
                name_of(&f.localsplus, a.0),
                name_of(&f.localsplus, b.0)
            )
        }
        Arg::Free(i) => {
            let n = f
                .free_name(i)
                .and_then(|id| m.str(id))
                .map_or("<?>".into(), |s| s.into_owned());
            format!("{i} ({n})")
        }
        Arg::Compare(raw) => match table.and_then(|t| t.compare_op(raw)) {
            Some((op, true)) => format!("{raw} (bool({op}))"),
            Some((op, false)) => format!("{raw} ({op})"),
            None => raw.to_string(),
        },
        Arg::BinaryOp(raw) => match table.and_then(|t| t.nb_ops.get(raw as usize)) {
            Some((_, op)) => format!("{raw} ({op})"),
            None => raw.to_string(),
        },
        Arg::Jump(l) => l.to_string(),
    }
}

/// A [`Function`] with its arena, printable with `{}`.
pub struct Show<'a>(pub &'a Function, pub &'a Marshal);

impl std::fmt::Display for Show<'_> {
    fn fmt(&self, fm: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        write_function(self.0, self.1, &mut s);
        fm.write_str(&s)
    }
}
