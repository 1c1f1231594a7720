//! `fold-constants`: folds unary and binary operations, subscripts and tuple
//! building on constants within a basic block, as CPython's compiler does.

#[path = "fold/eval.rs"]
mod eval;

use super::params::{Glob, ParamKind, ParamSpec, Params};
use super::{Changed, Cx, Pass, PassInfo};
use crate::error::Result;
use crate::ir::{Arg, ConstIdx, Function, Instr};
use crate::marshal::{Long, Marshal, ObjId, Value};
use crate::opcodes::{OpTable, Opcode};
use eval::{Bin, Un, K};

/// Registry entry.
pub const INFO: PassInfo = PassInfo { name: "fold-constants", doc: DOC, params: PARAMS, build };

const DOC: &str = r#"## What it does

Folds operations whose operands are constants, within one basic block:
`LOAD_CONST a; LOAD_CONST b; <binary op>` (3.14: `LOAD_SMALL_INT` too),
unary `-`, `+`, `~` and `not` (not on 3.14, where CPython leaves
`not <constant>` unfolded), `BUILD_TUPLE n` over n constants, and
constant subscripts (`'abc'[1]`, `(1, 2)[0]`, `b'ab'[0]`). The result is
loaded from `co_consts` (an equal constant of the same type is reused,
else one is appended; 3.14 ints 0..255 use `LOAD_SMALL_INT`) and keeps
the location of the operation. It follows CPython's rules and limits:
ints at most 128 bits for `*`, `**`, `<<`, str/bytes repetition up to
4096 items, tuples up to 256 items (1024 counting nested ones), never
`str % x`; anything that would raise (division by zero, negative shift,
out-of-range index, type errors) or warn (`~True`) is left as it is, so
it still raises at run time. Useful after a pass made an operand a
constant; on a file CPython compiled it changes nothing.

Not folded (left as is, always safe): ints beyond 128 bits, `int / int`
with an operand above 2**53, float `**`, `int ** negative`, complex
numbers, slices, frozensets.

## Example

```text
pyrewrite --pass swap-const --param swap-const.from=0 --param swap-const.to=4 \
          --pass fold-constants in.pyc out.pyc
```

```toml
[[pass]]
name = "fold-constants"
qualname = "*"
```
"#;

/// The parameters, by name: accessors take these, so a misspelt name
/// does not compile.
mod param {
    use super::{ParamKind, ParamSpec};

    pub const QUALNAME: ParamSpec = ParamSpec { name: "qualname", kind: ParamKind::Glob, default: Some("*"), help: "only code objects whose qualified name matches" };
}

const PARAMS: &[ParamSpec] = &[
    param::QUALNAME,
];

fn build(p: &Params) -> std::result::Result<Box<dyn Pass>, String> {
    Ok(Box::new(FoldConstants { qualname: p.glob(&param::QUALNAME).clone() }))
}

/// The configured pass.
pub struct FoldConstants {
    qualname: Glob,
}

/// An ints-only 15-bit-digit conversion of a marshal long, if it fits i128.
fn long_to_i128(l: &Long) -> Option<i128> {
    let mut mag: u128 = 0;
    for &d in l.digits.iter().rev() {
        mag = mag.checked_mul(1 << 15)?.checked_add(u128::from(d))?;
    }
    let v = i128::try_from(mag).ok()?;
    Some(if l.negative { -v } else { v })
}

/// The folder's view of constant node `id`.
fn value_of(m: &Marshal, id: ObjId) -> Option<K> {
    Some(match m.get(id) {
        Value::None => K::None,
        Value::True => K::Bool(true),
        Value::False => K::Bool(false),
        Value::Int(v) => K::Int(i128::from(*v)),
        Value::Long(l) => K::Int(long_to_i128(l)?),
        Value::Float(x) => K::Float(*x),
        Value::Str(s) => K::Str(s.to_vec()),
        Value::Bytes(b) => K::Bytes(b.to_vec()),
        Value::Tuple(items) => K::Tuple(items.iter().map(|&i| (i, value_of(m, i))).collect()),
        _ => return None,
    })
}

/// Same value and type, as CPython's constant cache keys them (floats by bits).
fn same(a: &K, b: &K) -> bool {
    match (a, b) {
        (K::Float(x), K::Float(y)) => x.to_bits() == y.to_bits(),
        (K::Tuple(x), K::Tuple(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|((ia, ka), (ib, kb))| {
                    ia == ib || matches!((ka, kb), (Some(p), Some(q)) if same(p, q))
                })
        }
        _ => a == b,
    }
}

/// A new arena node for `k`.
fn node_for(m: &mut Marshal, k: &K) -> ObjId {
    let v = match k {
        K::None => Value::None,
        K::Bool(true) => Value::True,
        K::Bool(false) => Value::False,
        K::Int(v) => match i32::try_from(*v) {
            Ok(small) => Value::Int(i64::from(small)),
            Err(_) => {
                let mut mag = v.unsigned_abs();
                let mut digits = Vec::new();
                while mag > 0 {
                    digits.push((mag & 0x7fff) as u16);
                    mag >>= 15;
                }
                Value::Long(Box::new(Long { negative: *v < 0, digits: digits.into() }))
            }
        },
        K::Float(x) => Value::Float(*x),
        K::Str(s) => Value::Str(s.clone().into()),
        K::Bytes(b) => Value::Bytes(b.clone().into()),
        K::Tuple(items) => Value::Tuple(items.iter().map(|(i, _)| *i).collect()),
    };
    m.push(v)
}

/// What one instruction does to constants on the stack.
enum Op {
    /// Pushes a constant.
    Load(K),
    /// Pops two.
    Binary(Bin),
    /// Pops one.
    Unary(Un),
    /// 3.13+ `TO_BOOL` (folded only right before `UNARY_NOT`, and not on 3.14).
    ToBool,
    /// Pops n, pushes a tuple.
    Tuple(usize),
}

/// The opcodes of one version the folder needs.
struct Ops {
    t: &'static OpTable,
    /// 3.14's `LOAD_SMALL_INT`, where the version has it.
    small_int: Option<Opcode>,
}

impl Ops {
    fn classify(&self, m: &Marshal, f: &Function, ins: &Instr) -> Option<Op> {
        use Opcode as O;
        let op = ins.op;
        Some(match (op, ins.arg) {
            (O::LoadConst, Arg::Const(c)) => Op::Load(value_of(m, *f.consts.get(c)?)?),
            (O::LoadSmallInt, Arg::Int(v)) => Op::Load(K::Int(i128::from(v))),
            (O::LoadSmallInt, Arg::None) => Op::Load(K::Int(0)),
            (O::BinaryOp, Arg::BinaryOp(n)) => Op::Binary(Bin::from_symbol(self.t.nb_ops.get(n as usize)?.1)?),
            (O::UnaryNegative, _) => Op::Unary(Un::Neg),
            (O::UnaryPositive, _) => Op::Unary(Un::Pos),
            (O::UnaryInvert, _) => Op::Unary(Un::Invert),
            (O::UnaryNot, _) => Op::Unary(Un::Not),
            // NB: 3.12+ compiles unary `+` to the intrinsic UNARY_POSITIVE (5).
            (O::CallIntrinsic1, Arg::Int(5)) => Op::Unary(Un::Pos),
            (O::ToBool, _) => Op::ToBool,
            (O::BuildTuple, Arg::Int(n)) if n > 0 => Op::Tuple(n as usize),
            _ => Op::Binary(Bin::from_opcode(op)?),
        })
    }
}

impl FoldConstants {
    /// Folds the operation at `instrs[k]` if its operands are constants:
    /// returns the instructions to replace `instrs[k - n..=k]` with and n.
    fn fold_at(&self, cx: &mut Cx<'_>, ops: &Ops, f: &mut Function, bi: usize, k: usize) -> Option<(usize, Instr)> {
        let instrs = &f.blocks[bi].instrs;
        let op = ops.classify(cx.m, f, &instrs[k])?;
        let n = match op {
            Op::Load(_) => return None,
            Op::Binary(_) => 2,
            Op::Unary(_) | Op::ToBool => 1,
            Op::Tuple(n) => n,
        };
        if k < n {
            return None;
        }
        let mut args = Vec::with_capacity(n);
        for ins in &instrs[k - n..k] {
            match ops.classify(cx.m, f, ins)? {
                Op::Load(v) => args.push(v),
                _ => return None,
            }
        }
        let result = match op {
            Op::Binary(b) => match eval::binary(b, &args[0], &args[1])? {
                Ok(v) => v,
                Err(i) => {
                    let K::Tuple(items) = &args[0] else { return None };
                    let (id, v) = &items[i];
                    return self.emit(cx, ops, f, bi, k, n, v.clone(), Some(*id));
                }
            },
            Op::Unary(u) => eval::unary(u, &args[0])?,
            // NB: 3.13 folds `not <constant>` in the AST; 3.14 folds in the CFG
            // where TO_BOOL sits between the load and UNARY_NOT, so it does not.
            Op::ToBool if cx.version.at_least(14) => return None,
            Op::ToBool => {
                let next = instrs.get(k + 1)?;
                if !matches!(ops.classify(cx.m, f, next), Some(Op::Unary(Un::Not))) {
                    return None;
                }
                K::Bool(eval::truthy(&args[0]))
            }
            Op::Tuple(_) => {
                let mut ids = Vec::with_capacity(n);
                for (j, v) in (k - n..k).zip(&args) {
                    ids.push(match f.blocks[bi].instrs[j].arg {
                        Arg::Const(c) => f.consts[c],
                        // NB: a 3.14 LOAD_SMALL_INT has no node: make one.
                        _ => node_for(cx.m, v),
                    });
                }
                K::Tuple(ids.into_iter().zip(args).map(|(i, v)| (i, Some(v))).collect())
            }
            Op::Load(_) => return None,
        };
        self.emit(cx, ops, f, bi, k, n, Some(result), None)
    }

    /// Builds the load of the folded value (`existing`: reuse that node).
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        cx: &mut Cx<'_>,
        ops: &Ops,
        f: &mut Function,
        bi: usize,
        k: usize,
        n: usize,
        value: Option<K>,
        existing: Option<ObjId>,
    ) -> Option<(usize, Instr)> {
        let first = f.blocks[bi].instrs[k - n];
        let mut ins = f.blocks[bi].instrs[k];
        // NB: CPython gives the folded constant the location of the whole
        // expression, which is the operation's; on 3.8/3.9 a line record that
        // started at the first operand still starts at the result.
        ins.starts_line |= first.starts_line;
        ins.ghosts = first.ghosts.or(ins.ghosts);
        ins.ext = 0;
        if let (Some(lsi), Some(K::Int(v))) = (ops.small_int, &value) {
            if (0..=255).contains(v) {
                ins.op = lsi;
                ins.arg = Arg::Int(*v as u32);
                return Some((n, ins));
            }
        }
        let idx = match (&value, existing) {
            (Some(v), _) => match f.consts.iter().position(|&c| value_of(cx.m, c).is_some_and(|have| same(&have, v))) {
                Some(i) => ConstIdx(i as u32),
                None => {
                    let id = existing.unwrap_or_else(|| node_for(cx.m, v));
                    f.add_const(id)
                }
            },
            (None, Some(id)) => match f.consts.iter().position(|&c| c == id) {
                Some(i) => ConstIdx(i as u32),
                None => f.add_const(id),
            },
            (None, None) => return None,
        };
        ins.op = Opcode::LoadConst;
        ins.arg = Arg::Const(idx);
        Some((n, ins))
    }
}

impl Pass for FoldConstants {
    fn name(&self) -> &'static str {
        INFO.name
    }

    fn run(&self, cx: &mut Cx<'_>, f: &mut Function) -> Result<Changed> {
        if !self.qualname.matches(cx.qualname) {
            return Ok(Changed::No);
        }
        let t = cx.table;
        let ops = Ops {
            t,
            small_int: t.have(Opcode::LoadSmallInt),
        };
        let mut changed = false;
        for bi in 0..f.blocks.len() {
            let mut k = 0;
            while k < f.blocks[bi].instrs.len() {
                match self.fold_at(cx, &ops, f, bi, k) {
                    Some((n, ins)) => {
                        f.blocks[bi].instrs.splice(k - n..=k, [ins]);
                        changed = true;
                        cx.sites.matched += 1;
                        cx.sites.changed += 1;
                        // NB: the result may be an operand of an enclosing operation.
                        k -= n;
                    }
                    None => k += 1,
                }
            }
        }
        Ok(Changed::from_bool(changed))
    }
}
