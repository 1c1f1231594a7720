//! The argument text (`argrepr`) `dis` prints in parentheses, per version.

use super::{CodeView, Instr};
use crate::error::Result;
use crate::opcodes::{self, ArgKind};

/// `dis` 3.13+ hard-codes `CONVERT_VALUE`'s argument names (the opcode
/// tables carry `FORMAT_VALUE_CONVERTERS` only where `dis` has that table).
const CONVERT_VALUE_NAMES: [&str; 4] = ["", "str", "repr", "ascii"];

/// Byte offset a jump instruction targets, as `dis` computes it: relative
/// jumps count from the next instruction, plus its inline caches from 3.12
/// (3.11's `dis` does not add them); `None` for non-jumps.
pub fn jump_target(view: &CodeView, ins: &Instr) -> Option<i64> {
    let info = ins.info?;
    let j = info.jump?;
    let arg = ins.arg?;
    let dist = arg * i64::from(j.unit_bytes);
    if !j.relative {
        return Some(dist);
    }
    let mut next = i64::from(ins.offset) + 2;
    if view.table.version.at_least(12) {
        next += 2 * i64::from(info.cache_entries);
    }
    Some(if j.backward { next - dist } else { next + dist })
}

/// The text in parentheses after the argument (empty: none shown).
/// `jump_text` renders a jump target offset (`to 12` or `to L3`).
pub fn argrepr(view: &CodeView, ins: &Instr, jump_text: &dyn Fn(i64) -> Result<String>) -> Result<String> {
    let (Some(info), Some(arg)) = (ins.info, ins.arg) else { return Ok(String::new()) };
    let t = view.table;
    let v = t.version;
    let idx = |i: i64| -> usize { usize::try_from(i).unwrap_or(usize::MAX) };
    Ok(match info.arg {
        ArgKind::None => String::new(),
        ArgKind::Const => {
            // NB: 3.11's dis only dereferences LOAD_CONST (KW_NAMES shows no text).
            if v.minor == 11 && info.name != "LOAD_CONST" {
                String::new()
            } else {
                view.const_repr(arg)?
            }
        }
        ArgKind::Name => {
            let n = opcodes::name_arg(v, info.name, arg as u32);
            let name = view.name_in(view.names, i64::from(n.index), "name")?;
            if !n.low_bit {
                name
            } else {
                let extra = if info.name == "LOAD_GLOBAL" { "NULL" } else { "NULL|self" };
                if v.at_least(13) {
                    format!("{name} + {extra}")
                } else {
                    format!("{extra} + {name}")
                }
            }
        }
        // NB: 3.8/3.9 dis explains relative jumps only (absolute ones show the bare offset).
        ArgKind::Jump if !v.at_least(10) && info.jump.is_some_and(|j| !j.relative) => String::new(),
        ArgKind::Jump => match jump_target(view, ins) {
            Some(target) => jump_text(target)?,
            None => String::new(),
        },
        ArgKind::Local if v.at_least(13) && opcodes::is_local_pair(info.name) => {
            let (a, b) = opcodes::local_pair(arg as u32);
            let a = view.name_in(view.varnames, i64::from(a), "local")?;
            let b = view.name_in(view.varnames, i64::from(b), "local")?;
            format!("{a}, {b}")
        }
        ArgKind::Local => view.name_in(view.varnames, arg, "local")?,
        ArgKind::Free => {
            if v.at_least(11) {
                view.name_in(view.varnames, arg, "cell/free")?
            } else {
                view.name_in(&view.cells, arg, "cell/free")?
            }
        }
        ArgKind::Compare => match t.compare_op(arg as u32) {
            Some((op, true)) => format!("bool({op})"),
            Some((op, false)) => op.to_string(),
            None => return Err(super::invalid(format!("compare argument {arg} out of range"))),
        },
        ArgKind::BinaryOp => pick(t.nb_ops, idx(arg), "BINARY_OP")?.1.to_string(),
        ArgKind::Intrinsic1 => pick(t.intrinsic1, idx(arg), "CALL_INTRINSIC_1")?.to_string(),
        ArgKind::Intrinsic2 => pick(t.intrinsic2, idx(arg), "CALL_INTRINSIC_2")?.to_string(),
        ArgKind::SpecialMethod => pick(t.special_method_names, idx(arg), "LOAD_SPECIAL")?.to_string(),
        ArgKind::CommonConstant => pick(t.common_constants, idx(arg), "LOAD_COMMON_CONSTANT")?.to_string(),
        ArgKind::Int => int_argrepr(view, info.name, arg)?,
    })
}

/// Opcodes whose plain-number argument `dis` still explains.
fn int_argrepr(view: &CodeView, name: &str, arg: i64) -> Result<String> {
    let t = view.table;
    let v = t.version;
    let flags = |names: &[&str]| -> String {
        names.iter().enumerate().filter(|(i, _)| arg & (1 << i) != 0).map(|(_, s)| *s).collect::<Vec<_>>().join(", ")
    };
    Ok(match name {
        "FORMAT_VALUE" if !v.at_least(13) => {
            let mut s = t.format_value_converters.get((arg & 3) as usize).copied().unwrap_or("").to_string();
            if arg & 4 != 0 {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str("with format");
            }
            s
        }
        "MAKE_FUNCTION" if !v.at_least(13) => flags(t.function_attr_flags),
        "SET_FUNCTION_ATTRIBUTE" => flags(t.function_attr_flags),
        "CONVERT_VALUE" => pick(&CONVERT_VALUE_NAMES, usize::try_from(arg).unwrap_or(usize::MAX), name)?.to_string(),
        "IS_OP" if v.at_least(14) => (if arg != 0 { "is not" } else { "is" }).to_string(),
        "CONTAINS_OP" if v.at_least(14) => (if arg != 0 { "not in" } else { "in" }).to_string(),
        _ => String::new(),
    })
}

fn pick<'t, T>(table: &'t [T], i: usize, what: &str) -> Result<&'t T> {
    table.get(i).ok_or_else(|| super::invalid(format!("{what} argument {i} out of range")))
}
