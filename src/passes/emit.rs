//! Instruction sequences the instrumenting passes share (inject-hook,
//! coverage, wrap): table lookups, constants and names, a module prologue
//! that imports a runtime object into a reserved global, and a call of a
//! global in this version's calling convention. Each is chosen by what the
//! version's opcode table has, not by version number.

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, ConstIdx, Function, Instr, LocalIdx, NameIdx};
use crate::marshal::{Marshal, ObjId, Value};
use crate::opcodes::{OpTable, Opcode, Opcode as O};

/// `op` when this version has it, or an "unsupported" error.
pub(super) fn op(t: &OpTable, op: Opcode) -> Result<Opcode> {
    t.code(op).map(|_| op).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "{} on Python {}",
            op.name(),
            t.version
        )))
    })
}

/// `op` with `arg`.
pub(super) fn ins(t: &OpTable, o: Opcode, arg: Arg) -> Result<Instr> {
    Ok(Instr::new(op(t, o)?, arg))
}

/// A Python identifier (ASCII letters, digits, `_`, or any alphabetic).
pub(super) fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && cs.all(|c| c == '_' || c.is_alphanumeric())
}

/// `module:function` with a dotted module, split.
pub(super) fn hook_ref(what: &str, hook: &str) -> std::result::Result<(String, String), String> {
    let Some((module, function)) = hook.split_once(':') else {
        return Err(format!("{what} {hook:?}: expected module:function"));
    };
    if !module.split('.').all(is_identifier) || !is_identifier(function) {
        return Err(format!(
            "{what} {hook:?}: expected a dotted module name, ':', and a function name"
        ));
    }
    Ok((module.to_string(), function.to_string()))
}

/// Index of the name `s` in `co_names`, appended when missing.
pub(super) fn name_index(m: &mut Marshal, f: &mut Function, s: &str) -> NameIdx {
    match f
        .names
        .iter()
        .position(|&n| m.str(n).is_some_and(|x| x == s))
    {
        Some(i) => NameIdx(i as u32),
        None => {
            let id = m.push(Value::Str(s.as_bytes().into()));
            f.add_name(id)
        }
    }
}

/// Appends constant `v` (always a fresh node: constants are never shared
/// with other code objects, so editing one cannot change another).
pub(super) fn new_const(m: &mut Marshal, f: &mut Function, v: Value) -> ConstIdx {
    let id: ObjId = m.push(v);
    f.add_const(id)
}

/// `LOAD_CONST v`.
pub(super) fn load_const(
    t: &OpTable,
    m: &mut Marshal,
    f: &mut Function,
    v: Value,
) -> Result<Instr> {
    let c = new_const(m, f, v);
    ins(t, O::LoadConst, Arg::Const(c))
}

/// `from MODULE import ATTR` stored into the global `global` (or, with
/// `builtins`, as an attribute of the `builtins` module, where
/// `LOAD_GLOBAL` falls back to).
pub(super) fn import_into_global(
    t: &OpTable,
    m: &mut Marshal,
    f: &mut Function,
    module: &str,
    attr: &str,
    global: &str,
    builtins: bool,
) -> Result<Vec<Instr>> {
    let level = new_const(m, f, Value::Int(0));
    let a = m.push(Value::Str(attr.as_bytes().into()));
    let fromlist = new_const(m, f, Value::Tuple(vec![a].into()));
    let module = name_index(m, f, module);
    let attr = name_index(m, f, attr);
    let global = name_index(m, f, global);
    let name = |index| Arg::Name { index, flags: 0 };
    let mut seq = vec![
        ins(t, O::LoadConst, Arg::Const(level))?,
        ins(t, O::LoadConst, Arg::Const(fromlist))?,
        ins(t, O::ImportName, name(module))?,
        ins(t, O::ImportFrom, name(attr))?,
    ];
    if builtins {
        let none = new_const(m, f, Value::None);
        let b = name_index(m, f, "builtins");
        seq.extend([
            ins(t, O::LoadConst, Arg::Const(level))?,
            ins(t, O::LoadConst, Arg::Const(none))?,
            ins(t, O::ImportName, name(b))?,
            ins(t, O::StoreAttr, name(global))?,
        ]);
    } else {
        // NB: STORE_GLOBAL, not STORE_NAME: a module exec'd with separate
        // locals still puts it where LOAD_GLOBAL looks.
        seq.push(ins(t, O::StoreGlobal, name(global))?);
    }
    seq.push(ins(t, O::PopTop, Arg::None)?);
    Ok(seq)
}

/// `LOAD_GLOBAL global`, pushing the NULL of the call protocol too where
/// the version has it in `LOAD_GLOBAL`'s bit 0 (3.11+: below the callable
/// on 3.11/3.12, above it on 3.13+; the opcode knows).
pub(super) fn load_callable(
    t: &OpTable,
    m: &mut Marshal,
    f: &mut Function,
    global: &str,
) -> Result<Instr> {
    let index = name_index(m, f, global);
    let flags = u8::from(
        t.info(O::LoadGlobal)
            .is_some_and(|i| i.facts.name_shift > 0),
    );
    ins(t, O::LoadGlobal, Arg::Name { index, flags })
}

/// The call of `n` arguments pushed after [`load_callable`]: `PRECALL n;
/// CALL n` (3.11), `CALL n` (3.12+) or `CALL_FUNCTION n` (before).
pub(super) fn call(t: &OpTable, n: u32) -> Result<Vec<Instr>> {
    let n = Arg::Int(n);
    Ok(match t.have(O::Call) {
        Some(call) => {
            let mut seq = Vec::new();
            if let Some(precall) = t.have(O::Precall) {
                seq.push(Instr::new(precall, n));
            }
            seq.push(Instr::new(call, n));
            seq
        }
        None => vec![ins(t, O::CallFunction, n)?],
    })
}

/// `POP_JUMP_IF_TRUE`/`_FALSE` (3.11: the forward form; the assembler
/// turns it around when the target lies behind).
pub(super) fn cond_jump(t: &OpTable, on_true: bool) -> Result<Opcode> {
    let (a, b) = if on_true {
        (O::PopJumpIfTrue, O::PopJumpForwardIfTrue)
    } else {
        (O::PopJumpIfFalse, O::PopJumpForwardIfFalse)
    };
    t.have(a).or_else(|| t.have(b)).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported(format!(
            "a conditional jump on Python {}",
            t.version
        )))
    })
}

/// Pushes `local is CONST` (`IS_OP` 3.9+, `COMPARE_OP is` before).
pub(super) fn local_is_const(t: &OpTable, local: LocalIdx, c: ConstIdx) -> Result<Vec<Instr>> {
    let test = match t.have(O::IsOp) {
        Some(is) => Instr::new(is, Arg::Int(0)),
        None => {
            let i = t.cmp_op.iter().position(|&c| c == "is").ok_or_else(|| {
                Error::new(ErrorKind::Unsupported(format!(
                    "`is` on Python {}",
                    t.version
                )))
            })?;
            ins(t, O::CompareOp, Arg::Compare(i as u32))?
        }
    };
    Ok(vec![
        ins(t, O::LoadFast, Arg::Local(local))?,
        ins(t, O::LoadConst, Arg::Const(c))?,
        test,
    ])
}

/// An off switch at a function's entry: `test` jumps to `off_label` when
/// the switch is off (`None`: straight to the body; wrap gives the label
/// of an untouched copy of the body it adds itself). When on, the entry
/// code runs and falls into the body.
pub(super) struct Switch {
    /// The test ([`super::switch::OffSwitch::test`]), whose jump is set to the target here.
    pub test: Vec<Instr>,
    /// Where the test jumps; `None`: to the body.
    pub off_label: Option<crate::ir::Label>,
}

/// Puts `on` where the body starts on the first resumption, guarded by
/// `switch` when given. The added code has no location (3.10+) or joins
/// the line record of the body's first instruction (3.8/3.9), and on 3.11+
/// the handler of the prologue's last instruction, like inject-hook's call.
pub(super) fn place_entry(f: &mut Function, on: Vec<Instr>, switch: Option<Switch>) -> Result<()> {
    use crate::cfg::{self, Cfg};
    use crate::ir::{Block, Loc};
    let Some(sw) = switch else {
        return super::inject_hook::insert_at_entry(f, on);
    };
    let graph = Cfg::new(f)?;
    let start = cfg::body_start(f, &graph)?;
    let (sb, si) = (start.at.block.index(), start.at.instr);
    let handler = if f.version.localsplus_layout() && si > 0 {
        f.blocks[sb].instrs[si - 1].handler
    } else {
        None
    };
    // The body gets a block (and a label) of its own.
    let body = if si > 0 {
        let rest = f.blocks[sb].instrs.split_off(si);
        let label = f.new_label();
        f.blocks.insert(
            sb + 1,
            Block {
                label,
                instrs: rest,
            },
        );
        sb + 1
    } else {
        sb
    };
    let body_label = f.blocks[body].label;
    let first = f.blocks[body..]
        .iter()
        .flat_map(|b| b.instrs.first())
        .next()
        .copied();
    let mut test = sw.test;
    let target = sw.off_label.unwrap_or(body_label);
    if let Some(last) = test.last_mut() {
        last.arg = Arg::Jump(target);
    }
    let lnotab = f.version.lnotab();
    let mut on = on;
    for i in test.iter_mut().chain(on.iter_mut()) {
        i.handler = handler;
        i.loc = if lnotab {
            Loc {
                line: first.and_then(|x| x.loc.line),
                ..Loc::default()
            }
        } else {
            Loc::default()
        };
    }
    if lnotab {
        if let (Some(fi), Some(t0)) = (first, test.first_mut()) {
            t0.starts_line = fi.starts_line;
            t0.ghosts = fi.ghosts;
            if let Some(b) = f.blocks[body..].iter_mut().find(|b| !b.instrs.is_empty()) {
                b.instrs[0].starts_line = false;
                b.instrs[0].ghosts = None;
            }
        }
    }
    let (e, o) = (f.new_label(), f.new_label());
    f.blocks.insert(
        body,
        Block {
            label: o,
            instrs: on,
        },
    );
    f.blocks.insert(
        body,
        Block {
            label: e,
            instrs: test,
        },
    );
    Ok(())
}
