//! `replace-op`: replaces one operation by another, written once (`+`, `<`,
//! `in`, or an opcode name) and mapped to each version's encoding.

use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo, SiteFilter};
use crate::asm;
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Arg, Function, Instr};
use crate::opcodes::{self, ArgKind, OpKind, OpTable, Opcode};
use crate::version::PyVersion;

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "replace-op", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Replaces one operation by another in every matching code object. Write
the operation once as Python spells it and pyrewrite picks each version's
encoding: binary operators `+ - * / // % ** @ << >> & | ^` and `[]`
(subscript), their in-place forms `+=` `-=` ... (a different operation
from `+`: replace both to catch `x += 1` too), comparisons `< <= == != > >=`,
`in`, `not in`, `is`, `is not`. On 3.8-3.10 operators are opcodes
(`BINARY_ADD`, `INPLACE_ADD`), on 3.11+ `BINARY_OP` with an operator
argument; comparisons are `COMPARE_OP` with the version's argument layout
(3.12 adds CPython's comparison mask in the low 4 bits, 3.13+ the mask plus
the "converted to bool" bit, which is kept), `in`/`is` are `CONTAINS_OP`/
`IS_OP` with an invert bit from 3.9 (`COMPARE_OP` on 3.8). `from`/`to`
may also name an opcode (`BINARY_ADD`, `NB_ADD`, `UNARY_NEGATIVE`); an
opcode the file's version does not have, jumps, a different stack effect,
or (3.13+) a comparison result that must stay a bool feeding an
arithmetic operator are refused with an error. Operations CPython folded
at compile time (`2 + 3`) are gone and not found.

`line = N` and `occurrence = K` change one instruction instead of all:
matching instructions are counted per file in `dis` order (code objects
depth first), `line` keeps those on source line N, `occurrence` the K-th
of those. A `from`/`to` the file's version cannot encode is reported once
per version before any file is rewritten (exit 2).

## Example

```text
pyrewrite --pass replace-op --param from=+ --param to=- in.pyc out.pyc
pyrewrite --pass replace-op --param 'from=<' --param 'to=<=' --param qualname=check_* in.pyc out.pyc
pyrewrite --pass replace-op --param from=+ --param to=- --param line=12 --param occurrence=1 in.pyc out.pyc
```

```toml
[[pass]]
name = "replace-op"
from = "=="
to = "!="
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const FROM: ParamSpec = ParamSpec { name: "from", kind: ParamKind::Text, default: None, help: "operation to replace: operator symbol or opcode name" };
    pub const TO: ParamSpec = ParamSpec { name: "to", kind: ParamKind::Text, default: None, help: "its replacement: operator symbol or opcode name" };
    pub const QUALNAME: ParamSpec = ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" };
}

const PARAMS: &[ParamSpec] = &[
    param::FROM,
    param::TO,
    param::QUALNAME,
    super::param::LINE,
    super::param::OCCURRENCE,
];

/// Binary operator symbols and their 3.8-3.10 opcode names (`[]` keeps
/// its own opcode until 3.13).
const BINARY: &[(&str, Opcode)] = &[
    ("+", Opcode::BinaryAdd),
    ("-", Opcode::BinarySubtract),
    ("*", Opcode::BinaryMultiply),
    ("/", Opcode::BinaryTrueDivide),
    ("//", Opcode::BinaryFloorDivide),
    ("%", Opcode::BinaryModulo),
    ("**", Opcode::BinaryPower),
    ("@", Opcode::BinaryMatrixMultiply),
    ("<<", Opcode::BinaryLshift),
    (">>", Opcode::BinaryRshift),
    ("&", Opcode::BinaryAnd),
    ("|", Opcode::BinaryOr),
    ("^", Opcode::BinaryXor),
    ("[]", Opcode::BinarySubscr),
    ("+=", Opcode::InplaceAdd),
    ("-=", Opcode::InplaceSubtract),
    ("*=", Opcode::InplaceMultiply),
    ("/=", Opcode::InplaceTrueDivide),
    ("//=", Opcode::InplaceFloorDivide),
    ("%=", Opcode::InplaceModulo),
    ("**=", Opcode::InplacePower),
    ("@=", Opcode::InplaceMatrixMultiply),
    ("<<=", Opcode::InplaceLshift),
    (">>=", Opcode::InplaceRshift),
    ("&=", Opcode::InplaceAnd),
    ("|=", Opcode::InplaceOr),
    ("^=", Opcode::InplaceXor),
];

/// Comparison symbols (the `cmp_op` ones plus the 3.9+ `CONTAINS_OP`/`IS_OP` ones).
const COMPARISONS: &[&str] = &["<", "<=", "==", "!=", ">", ">=", "in", "not in", "is", "is not"];

/// CPython's 3.12+ comparison mask for `cmp_op[i]` (bit 1 unordered, 2
/// less, 4 greater, 8 equal): the low bits its compiler stores and the
/// specialized `COMPARE_OP_*` forms use to compute the result.
fn compare_mask(op: &str) -> u32 {
    match op {
        "<" => 2,
        "<=" => 2 | 8,
        "==" => 8,
        "!=" => 1 | 2 | 4,
        ">" => 4,
        ">=" => 4 | 8,
        _ => 0,
    }
}

/// The `COMPARE_OP` argument CPython writes for `cmp_op[idx]` on version
/// `v`; `to_bool` is the 3.13+ "result converted to bool" bit.
pub fn compare_arg(t: &OpTable, idx: u32, to_bool: bool) -> u32 {
    if t.compare_shift == 0 {
        return idx;
    }
    let mask = t.cmp_op.get(idx as usize).map_or(0, |s| compare_mask(s));
    let bool_bit = u32::from(t.compare_bool_bit && to_bool) << 4;
    (idx << t.compare_shift) | bool_bit | mask
}

/// One side of a replacement, resolved for one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// An opcode that means the operation by itself (`BINARY_ADD`).
    Plain(Opcode),
    /// `BINARY_OP` with this `nb_ops` index.
    BinaryOp(Opcode, u32),
    /// `COMPARE_OP` with this `cmp_op` index.
    Compare(Opcode, u32),
    /// `CONTAINS_OP` / `IS_OP` with this invert bit.
    Flag(Opcode, u32),
    /// An opcode given by name, whatever its argument.
    Opcode(Opcode),
}

/// The instruction of binary operator `sym` (`+`, `[]`, ...) on `t`'s
/// version: its own opcode, or `BINARY_OP` with its argument.
pub(super) fn binary_instr(t: &OpTable, sym: &str) -> std::result::Result<Instr, String> {
    match resolve(t, sym)? {
        Form::Plain(op) => Ok(Instr::new(op, Arg::None)),
        Form::BinaryOp(op, n) => Ok(Instr::new(op, Arg::BinaryOp(n))),
        _ => Err(format!("{sym} is no binary operator")),
    }
}

/// Resolves `spec` for table `t`.
fn resolve(t: &OpTable, spec: &str) -> std::result::Result<Form, String> {
    let v = t.version;
    let op = |o: Opcode| t.info(o).filter(|i| i.kind == OpKind::Base).map(|i| i.op);
    // NB: NB_* names are version-independent aliases of the symbols.
    let nb_alias = opcodes::table(PyVersion::new(3, 14))
        .and_then(|t14| t14.nb_ops.iter().find(|(n, _)| *n == spec))
        .map(|(_, s)| *s);
    let s = nb_alias.unwrap_or(spec);
    if matches!(s, "in" | "not in") {
        if let Some(c) = op(Opcode::ContainsOp) {
            return Ok(Form::Flag(c, u32::from(s == "not in")));
        }
    }
    if matches!(s, "is" | "is not") {
        if let Some(c) = op(Opcode::IsOp) {
            return Ok(Form::Flag(c, u32::from(s == "is not")));
        }
    }
    if COMPARISONS.contains(&s) {
        if let (Some(c), Some(i)) = (op(Opcode::CompareOp), t.cmp_op.iter().position(|x| *x == s)) {
            return Ok(Form::Compare(c, i as u32));
        }
    }
    if let (Some(c), Some(i)) = (op(Opcode::BinaryOp), t.nb_ops.iter().position(|(_, sym)| *sym == s)) {
        return Ok(Form::BinaryOp(c, i as u32));
    }
    if let Some(&(_, name)) = BINARY.iter().find(|(sym, _)| *sym == s) {
        if let Some(c) = op(name) {
            return Ok(Form::Plain(c));
        }
        return Err(format!("operator {s} has no encoding in Python {v}"));
    }
    if let Some(info) = t.by_name(spec) {
        if info.kind != OpKind::Base {
            return Err(format!("{spec} is a specialized or instrumented opcode; .pyc files do not contain it"));
        }
        if info.jump.is_some() {
            return Err(format!("{spec} is a jump; replace-op does not swap jumps"));
        }
        if let Some((sym, _)) = BINARY.iter().find(|(_, n)| n.name() == spec) {
            // NB: `BINARY_ADD` names the operation; route it like `+` so
            // `from=BINARY_ADD to=-` works where both are opcodes.
            if info.arg == ArgKind::None {
                return resolve(t, sym).or(Ok(Form::Opcode(info.op)));
            }
        }
        return Ok(Form::Opcode(info.op));
    }
    if let Some((sym, _)) = BINARY.iter().find(|(_, n)| n.name() == spec) {
        return Err(format!("opcode {spec} does not exist in Python {v}; write the operator {sym} instead"));
    }
    if known_anywhere(spec) {
        return Err(format!("opcode {spec} does not exist in Python {v}"));
    }
    Err(format!("unknown operation {spec:?}; write an operator ({}, {}) or an opcode name", binary_symbols(), COMPARISONS.join(" ")))
}

fn binary_symbols() -> String {
    BINARY.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(" ")
}

/// Whether `spec` is an operator or opcode name of some supported version.
fn known_anywhere(spec: &str) -> bool {
    COMPARISONS.contains(&spec)
        || BINARY.iter().any(|(s, n)| *s == spec || n.name() == spec)
        || (8..=14).filter_map(|m| opcodes::table(PyVersion::new(3, m))).any(|t| t.by_name(spec).is_some() || t.nb_ops.iter().any(|(n, _)| *n == spec))
}

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    let (from, to) = (p.text(&param::FROM).to_string(), p.text(&param::TO).to_string());
    for (k, s) in [("from", &from), ("to", &to)] {
        if !known_anywhere(s) {
            return Err(format!(
                "{k}: unknown operation {s:?}; write an operator ({}, {}) or an opcode name",
                binary_symbols(),
                COMPARISONS.join(" ")
            ));
        }
    }
    Ok(Box::new(ReplaceOp { from, to, qualname: p.glob(&param::QUALNAME).clone(), sites: SiteFilter::from_params(p)? }))
}

/// The configured pass.
pub struct ReplaceOp {
    from: String,
    to: String,
    qualname: Glob,
    sites: SiteFilter,
}

fn matches(t: &OpTable, form: Form, ins: &Instr) -> bool {
    match form {
        Form::Plain(op) | Form::Opcode(op) => ins.op == op,
        Form::BinaryOp(op, n) => ins.op == op && ins.arg == Arg::BinaryOp(n),
        Form::Compare(op, i) => ins.op == op && matches!(ins.arg, Arg::Compare(a) if compare_index(t, a) == i),
        Form::Flag(op, b) => ins.op == op && ins.arg == Arg::Int(b),
    }
}

/// The `cmp_op` index of a raw `COMPARE_OP` argument.
fn compare_index(t: &OpTable, arg: u32) -> u32 {
    arg >> t.compare_shift
}

/// True when the instruction's result is an exact bool on 3.13+ (where
/// `POP_JUMP_IF_*` and `UNARY_NOT` require one).
fn bool_result(t: &OpTable, op: Opcode, arg: Arg) -> bool {
    match (op, arg) {
        (Opcode::ContainsOp | Opcode::IsOp, _) => true,
        (Opcode::CompareOp, Arg::Compare(a)) => t.compare_bool_bit && a & 16 != 0,
        _ => false,
    }
}

/// The replacement of `ins` by form `to`, or why it is impossible.
fn rewrite(t: &OpTable, ins: &Instr, to: Form) -> std::result::Result<(Opcode, Arg), String> {
    let old_name = t.get(ins.op).map_or("?", |i| i.name);
    let (op, arg) = match to {
        Form::Plain(op) => (op, Arg::None),
        Form::BinaryOp(op, n) => (op, Arg::BinaryOp(n)),
        Form::Flag(op, b) => (op, Arg::Int(b)),
        Form::Compare(op, i) => {
            // NB: keep the 3.13+ bool bit of a comparison; a former
            // CONTAINS_OP/IS_OP produced a bool, so the new one must too.
            // NB: the bool bit exists (3.13+) because conditional jumps there need exact bools.
            let to_bool = t.compare_bool_bit && bool_result(t, ins.op, ins.arg);
            (op, Arg::Compare(compare_arg(t, i, to_bool)))
        }
        Form::Opcode(op) => {
            let new = t.get(op).expect("resolved opcodes exist");
            let old_kind = t.get(ins.op).map(|i| i.arg);
            let arg = if !new.has_arg {
                Arg::None
            } else if old_kind == Some(new.arg) {
                ins.arg
            } else {
                return Err(format!("{old_name}'s argument means nothing to {}", new.name));
            };
            (op, arg)
        }
    };
    let new_name = t.get(op).map_or("?", |i| i.name);
    if t.compare_bool_bit && bool_result(t, ins.op, ins.arg) && !bool_result(t, op, arg) {
        return Err(format!(
            "{old_name} produces a bool that 3.13+ conditional jumps and `not` require; {new_name} does not"
        ));
    }
    let effect = |op: Opcode, arg: Arg| -> Option<i32> {
        let raw = asm::encode_arg(t, op, arg).ok()?;
        t.stack_effect(op, raw, None)
    };
    let (a, b) = (effect(ins.op, ins.arg), effect(op, arg));
    if a.is_none() || a != b {
        return Err(format!("stack effects differ: {old_name} {a:?}, {new_name} {b:?}"));
    }
    Ok((op, arg))
}

impl Pass for ReplaceOp {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn check_version(&self, v: PyVersion) -> std::result::Result<(), String> {
        let Some(t) = opcodes::table(v) else { return Ok(()) };
        resolve(t, &self.from).map_err(|e| format!("from: {e}"))?;
        resolve(t, &self.to).map_err(|e| format!("to: {e}"))?;
        Ok(())
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        if !self.qualname.matches(cx.qualname) {
            return Ok(Changed::No);
        }
        let t = cx.table;
        let unsupported = |side: &str, e: String| Error::new(ErrorKind::Unsupported(format!("replace-op {side}: {e}")));
        let from = resolve(t, &self.from).map_err(|e| unsupported("from", e))?;
        let to = resolve(t, &self.to).map_err(|e| unsupported("to", e))?;
        let mut changed = false;
        for b in f.blocks.iter_mut() {
            for (k, ins) in b.instrs.iter_mut().enumerate() {
                if !matches(t, from, ins) || !self.sites.take(cx.sites, ins.loc.line) {
                    continue;
                }
                let (op, arg) = rewrite(t, ins, to).map_err(|e| {
                    Error::new(ErrorKind::Invalid(format!(
                        "replace-op {} -> {} at {} instruction {k} (line {}): {e}",
                        self.from,
                        self.to,
                        b.label,
                        ins.loc.line.map_or("-".into(), |l| l.to_string())
                    )))
                })?;
                if (op, arg) != (ins.op, ins.arg) {
                    ins.op = op;
                    ins.arg = arg;
                    changed = true;
                    cx.sites.changed += 1;
                }
            }
        }
        Ok(Changed::from_bool(changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minor: u8) -> &'static OpTable {
        opcodes::table(PyVersion::new(3, minor)).unwrap()
    }

    #[test]
    fn resolution_per_version() {
        assert!(matches!(resolve(t(8), "+"), Ok(Form::Plain(_))));
        assert!(matches!(resolve(t(11), "+"), Ok(Form::BinaryOp(_, 0))));
        assert!(matches!(resolve(t(8), "in"), Ok(Form::Compare(_, 6))));
        assert!(matches!(resolve(t(9), "not in"), Ok(Form::Flag(_, 1))));
        assert!(matches!(resolve(t(14), "[]"), Ok(Form::BinaryOp(..))));
        assert!(matches!(resolve(t(13), "[]"), Ok(Form::Plain(_))));
        assert!(matches!(resolve(t(12), "NB_ADD"), Ok(Form::BinaryOp(_, 0))));
        let e = resolve(t(12), "BINARY_ADD").unwrap_err();
        assert!(e.contains("does not exist in Python 3.12") && e.contains("operator +"), "{e}");
        assert!(resolve(t(12), "JUMP_FORWARD").unwrap_err().contains("jump"));
        assert!(resolve(t(12), "frobnicate").is_err());
    }
}
