//! The argument text (`argrepr`) `dis` prints in parentheses, per version.

use super::{CodeView, Instr};
use crate::error::Result;
use crate::opcodes::{self, ArgKind, ArgRepr};

/// `dis` 3.13+ hard-codes `CONVERT_VALUE`'s argument names (the opcode
/// tables carry `FORMAT_VALUE_CONVERTERS` only where `dis` has that table).
const CONVERT_VALUE_NAMES: [&str; 4] = ["", "str", "repr", "ascii"];

/// Byte offset a jump instruction targets, as `dis` computes it: relative
/// jumps count from the next instruction, plus its inline caches (3.11
/// jumps carry none, which is why 3.11's `dis` not adding them agrees);
/// `None` for non-jumps.
pub fn jump_target(view: &CodeView, ins: &Instr) -> Option<i64> {
    let info = ins.info?;
    let j = info.jump?;
    let arg = ins.arg?;
    let dist = arg * i64::from(j.unit_bytes);
    if !j.relative {
        return Some(dist);
    }
    let _ = view;
    let next = i64::from(ins.offset) + 2 + 2 * i64::from(info.cache_entries);
    Some(if j.backward { next - dist } else { next + dist })
}

/// The text in parentheses after the argument (empty: none shown).
/// `jump_text` renders a jump target offset (`to 12` or `to L3`).
pub fn argrepr(
    view: &CodeView,
    ins: &Instr,
    jump_text: &dyn Fn(i64) -> Result<String>,
) -> Result<String> {
    let (Some(info), Some(arg)) = (ins.info, ins.arg) else {
        return Ok(String::new());
    };
    let t = view.table;
    let idx = |i: i64| -> usize { usize::try_from(i).unwrap_or(usize::MAX) };
    // NB: specialized opcodes take their argument kind from their base.
    let base = t.get(t.deopt(ins.op)).map_or(info.name, |i| i.name);
    Ok(match (info.arg, info.facts.argrepr) {
        (_, ArgRepr::Blank) | (ArgKind::None, _) => String::new(),
        (ArgKind::Const, _) => view.const_repr(arg)?,
        (ArgKind::Name, how) => {
            let n = opcodes::NameArg::split(info.facts.name_shift, arg as u32);
            let name = view.name_in(view.names, i64::from(n.index), "name")?;
            if !n.low_bit {
                name
            } else {
                let extra = if how == ArgRepr::GlobalNull {
                    "NULL"
                } else {
                    "NULL|self"
                };
                if t.null_after_name {
                    format!("{name} + {extra}")
                } else {
                    format!("{extra} + {name}")
                }
            }
        }
        (ArgKind::Jump, _) => match jump_target(view, ins) {
            Some(target) => jump_text(target)?,
            None => String::new(),
        },
        (ArgKind::Local, _) if info.facts.local_pair => {
            let (a, b) = opcodes::local_pair(arg as u32);
            let a = view.name_in(view.varnames, i64::from(a), "local")?;
            let b = view.name_in(view.varnames, i64::from(b), "local")?;
            format!("{a}, {b}")
        }
        (ArgKind::Local, _) => view.name_in(view.varnames, arg, "local")?,
        (ArgKind::Free, _) => {
            if t.localsplus {
                view.name_in(view.varnames, arg, "cell/free")?
            } else {
                view.name_in(&view.cells, arg, "cell/free")?
            }
        }
        (ArgKind::Compare, _) => match t.compare_op(arg as u32) {
            Some((op, true)) => format!("bool({op})"),
            Some((op, false)) => op.to_string(),
            None => {
                return Err(super::invalid(format!(
                    "compare argument {arg} out of range"
                )))
            }
        },
        (ArgKind::BinaryOp, _) => pick(t.nb_ops, idx(arg), base)?.1.to_string(),
        (ArgKind::Intrinsic1, _) => pick(t.intrinsic1, idx(arg), base)?.to_string(),
        (ArgKind::Intrinsic2, _) => pick(t.intrinsic2, idx(arg), base)?.to_string(),
        (ArgKind::SpecialMethod, _) => pick(t.special_method_names, idx(arg), base)?.to_string(),
        (ArgKind::CommonConstant, _) => pick(t.common_constants, idx(arg), base)?.to_string(),
        (ArgKind::Int, how) => int_argrepr(view, how, info.name, arg)?,
    })
}

/// Plain-number arguments `dis` still explains (the row's [`ArgRepr`]).
fn int_argrepr(view: &CodeView, how: ArgRepr, what: &str, arg: i64) -> Result<String> {
    let t = view.table;
    let flags = |names: &[&str]| -> String {
        names
            .iter()
            .enumerate()
            .filter(|(i, _)| arg & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(match how {
        ArgRepr::FormatValue => {
            let mut s = t
                .format_value_converters
                .get((arg & 3) as usize)
                .copied()
                .unwrap_or("")
                .to_string();
            if arg & 4 != 0 {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str("with format");
            }
            s
        }
        ArgRepr::FunctionFlags => flags(t.function_attr_flags),
        ArgRepr::ConvertValue => pick(
            &CONVERT_VALUE_NAMES,
            usize::try_from(arg).unwrap_or(usize::MAX),
            what,
        )?
        .to_string(),
        ArgRepr::IsNot => (if arg != 0 { "is not" } else { "is" }).to_string(),
        ArgRepr::NotIn => (if arg != 0 { "not in" } else { "in" }).to_string(),
        ArgRepr::Kind | ArgRepr::Blank | ArgRepr::GlobalNull => String::new(),
    })
}

fn pick<'t, T>(table: &'t [T], i: usize, what: &str) -> Result<&'t T> {
    table
        .get(i)
        .ok_or_else(|| super::invalid(format!("{what} argument {i} out of range")))
}
