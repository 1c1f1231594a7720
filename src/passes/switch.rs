//! The off switch of the instrumenting passes (inject-hook, wrap): a flag
//! read at each entry; while it is false the instrumentation is skipped.
//!
//! Two places for the flag, chosen by the `switch` parameter:
//! - `module:NAME`: an attribute of a module the program owns. Each
//!   module's prologue imports that module into a reserved global and
//!   every entry reads `GLOBAL.NAME` (`LOAD_GLOBAL`, `LOAD_ATTR`).
//! - `builtins:NAME`: the builtin `NAME` itself, which every module sees
//!   through `LOAD_GLOBAL`'s fallback: one `LOAD_GLOBAL` per entry, the
//!   cheapest test a version allows. Each module's prologue creates it as
//!   `False` when it is missing, so code never meets a NameError.

use super::emit::{call, cond_jump, ins, load_callable, name_index, new_const};
use super::RuntimeImport;
use crate::error::Result;
use crate::ir::{Arg, Function, Instr, Label};
use crate::marshal::{Marshal, Value};
use crate::opcodes::{OpTable, Opcode as O};

/// A configured off switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum OffSwitch {
    /// `module:NAME`, the module held in the reserved global `global`.
    Attr {
        module: String,
        flag: String,
        global: String,
    },
    /// `builtins:NAME`.
    Builtin { flag: String },
}

const BUILTINS: &str = "builtins";

impl OffSwitch {
    /// Parses the `switch` parameter; `global` is where a module goes.
    pub fn parse(text: &str, global: String) -> std::result::Result<Self, String> {
        let (module, flag) = super::emit::hook_ref("switch", text)?;
        Ok(if module == BUILTINS {
            OffSwitch::Builtin { flag }
        } else {
            OffSwitch::Attr {
                module,
                flag,
                global,
            }
        })
    }

    /// What an in-process rewrite binds for it. `builtins`: the pass keeps
    /// its runtime in the builtins module. A `builtins` module with the
    /// flag's own name as attribute means "create it as False if missing".
    pub fn runtime_import(&self, builtins: bool) -> RuntimeImport {
        match self {
            OffSwitch::Attr { module, global, .. } => RuntimeImport {
                name: global.clone(),
                module: module.clone(),
                attr: String::new(),
                builtins,
            },
            OffSwitch::Builtin { flag } => RuntimeImport {
                name: flag.clone(),
                module: BUILTINS.to_string(),
                attr: flag.clone(),
                builtins: true,
            },
        }
    }

    /// The module prologue's part: `GLOBAL = import module` (the leaf
    /// module: a non-empty fromlist makes `IMPORT_NAME` return it), or
    /// `builtins.NAME = getattr(builtins, "NAME", False)`.
    pub fn prologue(&self, t: &OpTable, m: &mut Marshal, f: &mut Function) -> Result<Vec<Instr>> {
        let level = new_const(m, f, Value::Int(0));
        let name = |index| Arg::Name { index, flags: 0 };
        match self {
            OffSwitch::Attr {
                module,
                flag,
                global,
            } => {
                let a = m.push(Value::Str(flag.as_bytes().into()));
                let fromlist = new_const(m, f, Value::Tuple(vec![a].into()));
                let module = name_index(m, f, module);
                let global = name_index(m, f, global);
                Ok(vec![
                    ins(t, O::LoadConst, Arg::Const(level))?,
                    ins(t, O::LoadConst, Arg::Const(fromlist))?,
                    ins(t, O::ImportName, name(module))?,
                    ins(t, O::StoreGlobal, name(global))?,
                ])
            }
            OffSwitch::Builtin { flag } => {
                let none = new_const(m, f, Value::None);
                let key = new_const(m, f, Value::Str(flag.as_bytes().into()));
                let off = new_const(m, f, Value::False);
                let b = name_index(m, f, BUILTINS);
                let attr = name_index(m, f, flag);
                let import = [
                    ins(t, O::LoadConst, Arg::Const(level))?,
                    ins(t, O::LoadConst, Arg::Const(none))?,
                    ins(t, O::ImportName, name(b))?,
                ];
                // NB: the prologue runs before the module defines anything,
                // so `getattr` is the builtin one.
                let mut seq = vec![load_callable(t, m, f, "getattr")?];
                seq.extend(import.iter().copied());
                seq.push(ins(t, O::LoadConst, Arg::Const(key))?);
                seq.push(ins(t, O::LoadConst, Arg::Const(off))?);
                seq.extend(call(t, 3)?);
                seq.extend(import);
                seq.push(ins(t, O::StoreAttr, name(attr))?);
                Ok(seq)
            }
        }
    }

    /// `if not FLAG: goto off` (3.13+ converts with `TO_BOOL` first: their
    /// conditional jumps take only exact bools).
    pub fn test(
        &self,
        t: &OpTable,
        m: &mut Marshal,
        f: &mut Function,
        off: Label,
    ) -> Result<Vec<Instr>> {
        let mut seq = match self {
            OffSwitch::Attr { flag, global, .. } => {
                let g = name_index(m, f, global);
                let a = name_index(m, f, flag);
                vec![
                    ins(t, O::LoadGlobal, Arg::Name { index: g, flags: 0 })?,
                    ins(t, O::LoadAttr, Arg::Name { index: a, flags: 0 })?,
                ]
            }
            OffSwitch::Builtin { flag } => {
                let g = name_index(m, f, flag);
                vec![ins(t, O::LoadGlobal, Arg::Name { index: g, flags: 0 })?]
            }
        };
        if let Some(to_bool) = t.have(O::ToBool) {
            seq.push(Instr::new(to_bool, Arg::None));
        }
        seq.push(Instr::new(cond_jump(t, false)?, Arg::Jump(off)));
        Ok(seq)
    }
}
