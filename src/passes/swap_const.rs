//! `swap-const`: replaces one constant value by another, matched by value and type.

use crate::opcodes::Opcode;
use super::literal::Lit;
use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo, SiteFilter};
use crate::error::Result;
use crate::ir::{Arg, ConstIdx, Function, Id};
use crate::marshal::{Marshal, ObjId, Value};

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "swap-const", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Replaces every use of one constant by another value, matched by value AND
type: `from = 42` changes the int 42 but not `42.0`, `True` or `"42"`.
It rewrites the code object's constants (`co_consts`, which `LOAD_CONST`,
3.12-3.13 `RETURN_CONST` and others index), also inside constant tuples
and frozensets unless `nested = false` (e.g. `x in (41, 42)` or a
default-argument tuple), and on 3.14 the `LOAD_SMALL_INT` instructions
that load ints 0..255 without a constant (turned into `LOAD_CONST` when
the new value is not such an int). Shared objects are never edited in
place: the code object gets a new constant. `qualname` restricts the
code objects (glob: `*` any text, `?` one character; the module is
`<module>`). Only what the compiler left as a constant is found: `40 + 2`
folded at compile time is found as 42, a `None` test compiled to
`POP_JUMP_IF_NONE` (3.11+) has no constant to swap.

`line = N` and `occurrence = K` change one place instead of every use:
then each instruction that loads the constant (or a constant tuple holding
it) is a site, counted per file in `dis` order (code objects depth first);
`line` keeps the sites on source line N, `occurrence` the K-th of those.
The selected instruction gets a new constant; other uses keep the old one.
Constants no instruction loads (a docstring on some versions) are not
sites in this mode.

## Example

```text
pyrewrite --pass swap-const --param from=42 --param to=99 in.pyc out.pyc
```

```text
pyrewrite --pass swap-const --param from=42 --param to=99 --param occurrence=2 in.pyc out.pyc
```

```toml
[[pass]]
name = "swap-const"
from = "'https://old.example'"   # Python literal syntax inside TOML strings
to = "'https://new.example'"
qualname = "Client.*"
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const FROM: ParamSpec = ParamSpec { name: "from", kind: ParamKind::Literal, default: None, help: "the constant to replace (Python literal)" };
    pub const TO: ParamSpec = ParamSpec { name: "to", kind: ParamKind::Literal, default: None, help: "its replacement (Python literal)" };
    pub const QUALNAME: ParamSpec = ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" };
    pub const NESTED: ParamSpec = ParamSpec { name: "nested", kind: ParamKind::Bool, default: Some("true"), help: "also replace inside constant tuples and frozensets" };
}

const PARAMS: &[ParamSpec] = &[
    param::FROM,
    param::TO,
    param::QUALNAME,
    param::NESTED,
    super::param::LINE,
    super::param::OCCURRENCE,
];

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    Ok(Box::new(SwapConst {
        from: p.literal(&param::FROM).clone(),
        to: p.literal(&param::TO).clone(),
        qualname: p.glob(&param::QUALNAME).clone(),
        nested: p.bool(&param::NESTED),
        sites: SiteFilter::from_params(p)?,
    }))
}

/// The configured pass.
pub struct SwapConst {
    from: Lit,
    to: Lit,
    qualname: Glob,
    nested: bool,
    sites: SiteFilter,
}

impl SwapConst {
    /// The replacement for constant `id`, if it or (when nested) an item
    /// inside it is `from`.
    fn replace(&self, m: &mut Marshal, id: ObjId) -> Option<ObjId> {
        if self.from.matches(m, id) {
            return Some(self.to.to_node(m));
        }
        if !self.nested {
            return None;
        }
        let (items, frozen) = match m.get(id) {
            Value::Tuple(v) => (v.to_vec(), false),
            Value::FrozenSet(v) => (v.to_vec(), true),
            _ => return None,
        };
        let mut any = false;
        let new: Vec<ObjId> = items
            .iter()
            .map(|&i| match self.replace(m, i) {
                Some(n) => {
                    any = true;
                    n
                }
                None => i,
            })
            .collect();
        any.then(|| m.push(if frozen { Value::FrozenSet(new.into()) } else { Value::Tuple(new.into()) }))
    }

    /// Index of a constant equal to `to` (existing or appended).
    fn to_index(&self, m: &mut Marshal, f: &mut Function) -> ConstIdx {
        match f.consts.iter().position(|&c| self.to.matches(m, c)) {
            Some(i) => ConstIdx(i as u32),
            None => {
                let id = self.to.to_node(m);
                f.add_const(id)
            }
        }
    }
}

impl Pass for SwapConst {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        if !self.qualname.matches(cx.qualname) {
            return Ok(Changed::No);
        }
        if self.sites.is_narrow() {
            return Ok(self.run_sites(cx, f));
        }
        let mut changed = false;
        for i in (0..f.consts.len()).map(ConstIdx::from_index) {
            // NB: nested code objects are constants too; they get their own run.
            if matches!(cx.m.get(f.consts[i]), Value::Code(_)) {
                continue;
            }
            if let Some(new) = self.replace(cx.m, f.consts[i]) {
                f.consts[i] = new;
                changed = true;
                cx.sites.matched += 1;
                cx.sites.changed += 1;
            }
        }
        // NB: 3.14 loads ints 0..255 with LOAD_SMALL_INT and drops them from co_consts.
        let small = cx.table.have(crate::opcodes::Opcode::LoadSmallInt);
        if let (Some(lsi), Some(from)) = (small, self.from.as_i64()) {
            let load_const = cx.table.have(crate::opcodes::Opcode::LoadConst).expect("every version has LOAD_CONST");
            let to_small = self.to.as_i64().filter(|v| (0..=255).contains(v));
            let mut to_const: Option<ConstIdx> = None;
            for bi in 0..f.blocks.len() {
                for k in 0..f.blocks[bi].instrs.len() {
                    let ins = f.blocks[bi].instrs[k];
                    if ins.op != lsi || ins.arg != Arg::Int(from as u32) || !(0..=255).contains(&from) {
                        continue;
                    }
                    let (op, arg) = match to_small {
                        Some(v) => (lsi, Arg::Int(v as u32)),
                        None => {
                            let c = match to_const {
                                Some(c) => c,
                                None => *to_const.insert(self.to_index(cx.m, f)),
                            };
                            (load_const, Arg::Const(c))
                        }
                    };
                    let ins = &mut f.blocks[bi].instrs[k];
                    ins.op = op;
                    ins.arg = arg;
                    changed = true;
                    cx.sites.matched += 1;
                    cx.sites.changed += 1;
                }
            }
        }
        Ok(Changed::from_bool(changed))
    }
}

impl SwapConst {
    /// `line`/`occurrence` mode: instructions loading the constant are the
    /// sites; the selected ones load a new constant instead.
    fn run_sites(&self, cx: &mut Cx<'_>, f: &mut Function) -> Changed {
        let small = cx.table.have(Opcode::LoadSmallInt);
        let load_const = cx.table.have(Opcode::LoadConst).expect("every version has LOAD_CONST");
        let from_small = self.from.as_i64().filter(|v| (0..=255).contains(v));
        let mut changed = false;
        for bi in 0..f.blocks.len() {
            for k in 0..f.blocks[bi].instrs.len() {
                let ins = f.blocks[bi].instrs[k];
                let new = match ins.arg {
                    Arg::Const(ci) => match f.consts.get(ci) {
                        Some(&c) if !matches!(cx.m.get(c), Value::Code(_)) => match self.replace(cx.m, c) {
                            Some(n) => n,
                            None => continue,
                        },
                        _ => continue,
                    },
                    // NB: 3.14 LOAD_SMALL_INT carries ints 0..255 in its argument.
                    Arg::Int(v) if Some(ins.op) == small && from_small == Some(i64::from(v)) => self.to.to_node(cx.m),
                    _ => continue,
                };
                if !self.sites.take(cx.sites, ins.loc.line) {
                    continue;
                }
                let slot = &mut f.blocks[bi].instrs[k];
                match self.to.as_i64().filter(|v| (0..=255).contains(v)) {
                    Some(v) if Some(slot.op) == small => slot.arg = Arg::Int(v as u32),
                    _ => {
                        let c = f.add_const(new);
                        let slot = &mut f.blocks[bi].instrs[k];
                        if Some(slot.op) == small {
                            slot.op = load_const;
                        }
                        slot.arg = Arg::Const(c);
                    }
                }
                cx.sites.changed += 1;
                changed = true;
            }
        }
        Changed::from_bool(changed)
    }
}
