//! Decoded instructions with resolved arguments, for `pyrewrite dis --json`.
//!
//! Decoding is [`crate::dis::decode`] (what `dis` walks); this module only
//! attaches what a JSON consumer wants next to each instruction: the
//! argument's meaning, the line, the jump target. NB: argument text follows
//! `dis`'s conventions but is lenient: an index out of range shows as
//! `<bad index N>` instead of failing, so broken files can still be inspected.

use super::const_repr;
use crate::code::{qualnames, CodeView};
use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{Marshal, ObjId};
use crate::opcodes::{self, ArgKind, ArgRepr, OpTable};
use crate::{exctable, locations};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One code object's instructions.
#[derive(Clone, Debug, Serialize)]
pub struct CodeInstructions {
    /// `co_name`.
    pub name: String,
    /// `co_qualname` (computed before 3.11).
    pub qualname: String,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// Nesting depth (module = 0).
    pub depth: usize,
    /// The instructions in offset order (inline caches skipped).
    pub instructions: Vec<Instruction>,
}

/// One instruction.
#[derive(Clone, Debug, Serialize)]
pub struct Instruction {
    /// Byte offset in `co_code`.
    pub offset: u32,
    /// The opcode byte.
    pub opcode: u8,
    /// Its name (`<N>` for a byte the version does not define).
    pub opname: String,
    /// The argument, EXTENDED_ARG prefixes merged; `None` when the opcode
    /// takes none.
    pub arg: Option<i64>,
    /// What the argument means (`dis`'s text in parentheses), `""` if nothing.
    pub argrepr: String,
    /// The source line of this instruction, if the line table gives one.
    pub line: Option<i32>,
    /// Byte offset this instruction jumps to, for jumps.
    pub jump_target: Option<i64>,
    /// Whether a jump targets this offset or an exception handler starts
    /// here (what `dis.dis` marks with `>>` before 3.13; 3.13+ labels also
    /// exception range bounds, which this does not count).
    pub is_jump_target: bool,
}

/// The instructions of every code object in `m`, in `dis`'s order
/// (depth first through `co_consts`).
pub fn instructions(m: &Marshal) -> Result<Vec<CodeInstructions>> {
    let table = opcodes::table(m.version).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "instruction decoding for Python {}",
            m.version
        )))
    })?;
    let quals: HashMap<ObjId, String> = qualnames(m).into_iter().collect();
    let mut out = Vec::new();
    for (id, depth) in m.code_objects() {
        let cv = CodeView::new(m, id).expect("code_objects yields code objects");
        let name = cv.name().into_owned();
        let instructions = code_instructions(table, &cv)
            .map_err(|e| e.context(format!("in code object {name}")))?;
        out.push(CodeInstructions {
            qualname: quals.get(&id).cloned().unwrap_or_else(|| name.clone()),
            name,
            firstlineno: cv.code.firstlineno,
            depth,
            instructions,
        });
    }
    Ok(out)
}

/// The instructions of one code object.
pub fn code_instructions(table: &'static OpTable, cv: &CodeView) -> Result<Vec<Instruction>> {
    let code = cv.bytecode();
    let v = table.version;
    let decoded = crate::dis::decode(table, code);
    let entries = locations::decode(v, cv.linetable(), cv.code.firstlineno, code.len())?;
    let exc = if v.localsplus_layout() {
        exctable::decode(cv.exceptiontable(), code.len())?
    } else {
        Vec::new()
    };
    let target_of = |i: &crate::dis::Instr| -> Option<i64> {
        i.info?.jump?;
        table.jump_target(i.op, i.arg? as u32, i.offset)
    };
    let mut targets: HashSet<i64> = decoded.iter().filter_map(target_of).collect();
    targets.extend(exc.iter().map(|e| i64::from(e.target)));
    let localsplus = cv.localsplus_names();
    let text = |i: usize, items: &[std::borrow::Cow<str>]| -> String {
        items
            .get(i)
            .map_or_else(|| format!("<bad index {i}>"), |s| s.to_string())
    };
    let names = cv.names();
    let mut e = 0usize;
    let mut out = Vec::with_capacity(decoded.len());
    for ins in &decoded {
        // NB: entries are sorted and contiguous; skip the ones that end before us.
        while e < entries.len() && entries[e].end <= ins.offset {
            e += 1;
        }
        let line = entries
            .get(e)
            .filter(|x| x.start <= ins.offset)
            .and_then(|x| x.line);
        let jump_target = target_of(ins);
        let argrepr = match (ins.info, ins.arg) {
            (Some(info), Some(arg)) => {
                let idx = usize::try_from(arg).unwrap_or(usize::MAX);
                match info.arg {
                    ArgKind::None | ArgKind::Int => String::new(),
                    ArgKind::Const => match cv.consts().get(idx) {
                        Some(&k) => const_repr(cv.m, k),
                        None => format!("<bad index {idx}>"),
                    },
                    ArgKind::Name => {
                        let n = table.name_arg(ins.op, arg as u32);
                        let s = text(n.index as usize, &names);
                        let extra = if info.facts.argrepr == ArgRepr::GlobalNull {
                            "NULL"
                        } else {
                            "NULL|self"
                        };
                        match (n.low_bit, table.null_after_name) {
                            (false, _) => s,
                            (true, true) => format!("{s} + {extra}"),
                            (true, false) => format!("{extra} + {s}"),
                        }
                    }
                    ArgKind::Local if info.facts.local_pair => {
                        let (a, b) = opcodes::local_pair(arg as u32);
                        format!(
                            "{}, {}",
                            text(a as usize, &localsplus),
                            text(b as usize, &localsplus)
                        )
                    }
                    ArgKind::Local | ArgKind::Free => {
                        text(idx, &localsplus_for(cv, info.arg, &localsplus))
                    }
                    ArgKind::Compare => table.compare_op(arg as u32).map_or_else(
                        || format!("<bad compare {arg}>"),
                        |(op, to_bool)| {
                            if to_bool {
                                format!("bool({op})")
                            } else {
                                op.to_string()
                            }
                        },
                    ),
                    ArgKind::Jump => jump_target.map_or_else(String::new, |t| format!("to {t}")),
                    ArgKind::BinaryOp => table
                        .nb_ops
                        .get(idx)
                        .map_or_else(String::new, |o| o.1.to_string()),
                    ArgKind::Intrinsic1 => pick(table.intrinsic1, idx),
                    ArgKind::Intrinsic2 => pick(table.intrinsic2, idx),
                    ArgKind::SpecialMethod => pick(table.special_method_names, idx),
                    ArgKind::CommonConstant => pick(table.common_constants, idx),
                }
            }
            _ => String::new(),
        };
        out.push(Instruction {
            offset: ins.offset,
            opcode: ins.op,
            opname: ins.name().into_owned(),
            arg: ins.arg,
            argrepr,
            line,
            jump_target,
            is_jump_target: targets.contains(&i64::from(ins.offset)),
        });
    }
    Ok(out)
}

/// The names a local/free argument indexes: before 3.11 `LOAD_FAST` indexes
/// `co_varnames` and `LOAD_DEREF` cellvars + freevars; from 3.11 both index
/// the localsplus array.
fn localsplus_for<'a>(
    cv: &CodeView<'a>,
    kind: ArgKind,
    localsplus: &[std::borrow::Cow<'a, str>],
) -> Vec<std::borrow::Cow<'a, str>> {
    if opcodes::table(cv.version()).is_some_and(|t| t.localsplus) {
        localsplus.to_vec()
    } else if kind == ArgKind::Free {
        let mut v = cv.cellvars();
        v.extend(cv.freevars());
        v
    } else {
        cv.varnames()
    }
}

fn pick(table: &[&str], i: usize) -> String {
    table
        .get(i)
        .map_or_else(|| format!("<bad index {i}>"), |s| s.to_string())
}
