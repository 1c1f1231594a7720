//! Constant values the folder understands and CPython's operations on them,
//! with the compiler's size limits; `None` everywhere means "do not fold".

use crate::opcodes::Opcode;
use crate::marshal::ObjId;

/// CPython's folding limits (Python/ast_opt.c 3.8-3.13, Python/flowgraph.c 3.14).
const MAX_INT_SIZE: u32 = 128;
const MAX_COLLECTION_SIZE: i128 = 256;
const MAX_STR_SIZE: i128 = 4096;
const MAX_TOTAL_ITEMS: i128 = 1024;

/// A constant as the folder sees it. Ints beyond i128 are not modelled
/// (NB: such operands are simply not folded, which is always safe).
#[derive(Clone, Debug, PartialEq)]
pub enum K {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int.
    Int(i128),
    /// A float.
    Float(f64),
    /// A str as marshal stores it (UTF-8, surrogates passed through).
    Str(Vec<u8>),
    /// bytes.
    Bytes(Vec<u8>),
    /// A tuple: each item's node and its value (None when not modelled).
    Tuple(Vec<(ObjId, Option<K>)>),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `<<`
    Lshift,
    /// `>>`
    Rshift,
    /// `&`
    And,
    /// `|`
    Or,
    /// `^`
    Xor,
    /// `[]`
    Subscr,
}

impl Bin {
    /// The operator for a `BINARY_OP` symbol (`+`, `[]`); in-place and `@` are not folded.
    pub fn from_symbol(s: &str) -> Option<Bin> {
        Some(match s {
            "+" => Bin::Add,
            "-" => Bin::Sub,
            "*" => Bin::Mul,
            "/" => Bin::Div,
            "//" => Bin::FloorDiv,
            "%" => Bin::Mod,
            "**" => Bin::Pow,
            "<<" => Bin::Lshift,
            ">>" => Bin::Rshift,
            "&" => Bin::And,
            "|" => Bin::Or,
            "^" => Bin::Xor,
            "[]" => Bin::Subscr,
            _ => return None,
        })
    }

    /// The operator of a 3.8-3.10 `BINARY_*` opcode.
    pub fn from_opcode(op: Opcode) -> Option<Bin> {
        Some(match op {
            Opcode::BinaryAdd => Bin::Add,
            Opcode::BinarySubtract => Bin::Sub,
            Opcode::BinaryMultiply => Bin::Mul,
            Opcode::BinaryTrueDivide => Bin::Div,
            Opcode::BinaryFloorDivide => Bin::FloorDiv,
            Opcode::BinaryModulo => Bin::Mod,
            Opcode::BinaryPower => Bin::Pow,
            Opcode::BinaryLshift => Bin::Lshift,
            Opcode::BinaryRshift => Bin::Rshift,
            Opcode::BinaryAnd => Bin::And,
            Opcode::BinaryOr => Bin::Or,
            Opcode::BinaryXor => Bin::Xor,
            Opcode::BinarySubscr => Bin::Subscr,
            _ => return None,
        })
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Un {
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `~`
    Invert,
    /// `not`
    Not,
}

/// Number of bits of |v| (`int.bit_length`).
fn bits(v: i128) -> u32 {
    128 - v.unsigned_abs().leading_zeros()
}

/// Code points in marshal's UTF-8 (one per non-continuation byte).
fn str_len(s: &[u8]) -> usize {
    s.iter().filter(|&&b| b & 0xc0 != 0x80).count()
}

/// The int value of an int or bool.
fn as_int(k: &K) -> Option<i128> {
    match *k {
        K::Int(v) => Some(v),
        K::Bool(b) => Some(b as i128),
        _ => None,
    }
}

/// Exactly representable as a float without rounding (|v| <= 2**53).
fn exact_f64(v: i128) -> Option<f64> {
    (v.unsigned_abs() <= 1u128 << 53).then_some(v as f64)
}

/// The float value of an int, bool or float (ints converted only when exact).
fn as_float(k: &K) -> Option<f64> {
    match *k {
        K::Float(x) => Some(x),
        _ => exact_f64(as_int(k)?),
    }
}

/// Truthiness (`not` folds to its negation).
pub fn truthy(k: &K) -> bool {
    match k {
        K::None => false,
        K::Bool(b) => *b,
        K::Int(v) => *v != 0,
        K::Float(x) => *x != 0.0,
        K::Str(s) | K::Bytes(s) => !s.is_empty(),
        K::Tuple(t) => !t.is_empty(),
    }
}

/// `op k`, if CPython would fold it and it cannot raise.
pub fn unary(op: Un, k: &K) -> Option<K> {
    match (op, k) {
        (Un::Not, _) => Some(K::Bool(!truthy(k))),
        (_, K::Float(x)) => match op {
            Un::Neg => Some(K::Float(-x)),
            Un::Pos => Some(K::Float(*x)),
            _ => None,
        },
        // NB: `~True` is deprecated (a warning) from 3.12: never folded here.
        (Un::Invert, K::Bool(_)) => None,
        (_, K::Int(_) | K::Bool(_)) => {
            let v = as_int(k)?;
            Some(K::Int(match op {
                Un::Neg => v.checked_neg()?,
                Un::Pos => v,
                Un::Invert => !v,
                Un::Not => unreachable!(),
            }))
        }
        _ => None,
    }
}

/// Python's floor division and modulo on ints (None on division by zero).
fn int_divmod(a: i128, b: i128) -> Option<(i128, i128)> {
    if b == 0 {
        return None;
    }
    let (mut q, mut r) = (a.checked_div(b)?, a.checked_rem(b)?);
    if r != 0 && ((r < 0) != (b < 0)) {
        q -= 1;
        r += b;
    }
    Some((q, r))
}

/// Python's float `divmod` (the sign of the remainder follows the divisor).
fn float_divmod(a: f64, b: f64) -> Option<(f64, f64)> {
    if b == 0.0 {
        return None;
    }
    let mut m = a % b;
    let mut d = (a - m) / b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
            d -= 1.0;
        }
    } else {
        m = 0f64.copysign(b);
    }
    let fd = if d != 0.0 {
        let mut f = d.floor();
        if d - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0f64.copysign(a / b)
    };
    Some((fd, m))
}

/// Item count including nested tuples, or None once it exceeds `limit`.
fn complexity(t: &[(ObjId, Option<K>)], mut limit: i128) -> i128 {
    limit -= t.len() as i128;
    for item in t {
        if limit < 0 {
            break;
        }
        if let (_, Some(K::Tuple(inner))) = item {
            limit = complexity(inner, limit);
        }
    }
    limit
}

/// `a op b` on ints (bools included), under CPython's size limits.
fn int_op(op: Bin, a: i128, b: i128) -> Option<K> {
    let v = match op {
        Bin::Add => a.checked_add(b)?,
        Bin::Sub => a.checked_sub(b)?,
        Bin::Mul => {
            if a != 0 && b != 0 && bits(a) + bits(b) > MAX_INT_SIZE {
                return None;
            }
            a.checked_mul(b)?
        }
        Bin::Div => {
            // NB: int / int is correctly rounded; exact operands keep that true.
            let (x, y) = (exact_f64(a)?, exact_f64(b)?);
            if y == 0.0 {
                return None;
            }
            return Some(K::Float(x / y));
        }
        Bin::FloorDiv => int_divmod(a, b)?.0,
        Bin::Mod => int_divmod(a, b)?.1,
        Bin::Pow => {
            if b < 0 {
                // NB: a negative exponent gives a float (through C pow()).
                return exact_pow(exact_f64(a)?, exact_f64(b)?).map(K::Float);
            }
            if a != 0 && b > 0 && bits(a) as i128 > MAX_INT_SIZE as i128 / b {
                return None;
            }
            a.checked_pow(u32::try_from(b).ok()?)?
        }
        Bin::Lshift => {
            if b < 0 {
                return None;
            }
            if a != 0 && b != 0 && (b > MAX_INT_SIZE as i128 || bits(a) as i128 > MAX_INT_SIZE as i128 - b) {
                return None;
            }
            if a == 0 {
                0
            } else {
                let r = a.checked_mul(1i128.checked_shl(u32::try_from(b).ok()?)?)?;
                // NB: 1 << 127 is i128::MIN; the product check catches sign flips.
                if (r < 0) != (a < 0) {
                    return None;
                }
                r
            }
        }
        Bin::Rshift => {
            if b < 0 {
                return None;
            }
            a >> b.min(127)
        }
        Bin::And => a & b,
        Bin::Or => a | b,
        Bin::Xor => a ^ b,
        Bin::Subscr => return None,
    };
    Some(K::Int(v))
}

fn float_op(op: Bin, a: f64, b: f64) -> Option<K> {
    let r = match op {
        Bin::Add => a + b,
        Bin::Sub => a - b,
        Bin::Mul => a * b,
        Bin::Div => {
            if b == 0.0 {
                return None;
            }
            a / b
        }
        Bin::FloorDiv => float_divmod(a, b)?.0,
        Bin::Mod => float_divmod(a, b)?.1,
        Bin::Pow => exact_pow(a, b)?,
        _ => return None,
    };
    Some(K::Float(r))
}

/// `a ** b` on floats when the result is exact (integral base and
/// exponent, result an integer below 2**53 or 2**-k). NB: other results
/// come from the platform's pow(), which this does not reproduce.
fn exact_pow(a: f64, b: f64) -> Option<f64> {
    if !a.is_finite() || !b.is_finite() || a.fract() != 0.0 || b.fract() != 0.0 || b.abs() > 1100.0 {
        return None;
    }
    let odd = b % 2.0 != 0.0;
    if b == 0.0 {
        return Some(1.0);
    }
    if a == 0.0 {
        // NB: 0.0 ** negative raises ZeroDivisionError; -0.0 ** odd keeps the sign.
        return (b > 0.0).then_some(if odd { a } else { 0.0 });
    }
    if a.abs() > (1u64 << 53) as f64 {
        return None;
    }
    let mag = (a.abs() as u128).checked_pow(b.abs() as u32)?;
    let r = if b > 0.0 {
        if mag > 1u128 << 53 {
            return None;
        }
        mag as f64
    } else {
        if !mag.is_power_of_two() {
            return None;
        }
        1.0 / mag as f64
    };
    Some(if a < 0.0 && odd { -r } else { r })
}

/// `seq * n` under the size limits.
fn repeat(seq: &K, n: i128) -> Option<K> {
    match seq {
        K::Str(s) | K::Bytes(s) => {
            let size = if matches!(seq, K::Str(_)) { str_len(s) } else { s.len() } as i128;
            if size != 0 && (n < 0 || n > MAX_STR_SIZE / size) {
                return None;
            }
            let out = s.repeat(n.max(0) as usize);
            Some(if matches!(seq, K::Str(_)) { K::Str(out) } else { K::Bytes(out) })
        }
        K::Tuple(t) => {
            let size = t.len() as i128;
            if size != 0 {
                if n < 0 || n > MAX_COLLECTION_SIZE / size {
                    return None;
                }
                if n != 0 && complexity(t, MAX_TOTAL_ITEMS / n) < 0 {
                    return None;
                }
            }
            let mut out = Vec::new();
            for _ in 0..n.max(0) {
                out.extend(t.iter().cloned());
            }
            Some(K::Tuple(out))
        }
        _ => None,
    }
}

/// Normalises a Python index into `0..len`, or None when out of range.
fn index(i: i128, len: usize) -> Option<usize> {
    let len = len as i128;
    let j = if i < 0 { i + len } else { i };
    (0..len).contains(&j).then_some(j as usize)
}

/// The i-th code point of marshal UTF-8 text, as its bytes.
fn str_item(s: &[u8], i: usize) -> Option<Vec<u8>> {
    let starts: Vec<usize> = (0..s.len()).filter(|&p| s[p] & 0xc0 != 0x80).collect();
    let a = *starts.get(i)?;
    let b = starts.get(i + 1).copied().unwrap_or(s.len());
    Some(s[a..b].to_vec())
}

/// `a op b`, if CPython would fold it and it cannot raise. For a tuple
/// subscript the result is `Err(index)`: the caller reuses that item's node.
pub fn binary(op: Bin, a: &K, b: &K) -> Option<Result<K, usize>> {
    if op == Bin::Subscr {
        let i = match b {
            K::Int(_) | K::Bool(_) => as_int(b)?,
            _ => return None, // slices and other keys: not modelled
        };
        return Some(match a {
            K::Str(s) => Ok(K::Str(str_item(s, index(i, str_len(s))?)?)),
            K::Bytes(s) => Ok(K::Int(s[index(i, s.len())?] as i128)),
            K::Tuple(t) => Err(index(i, t.len())?),
            _ => return None,
        });
    }
    let r = match (a, b) {
        (K::Bool(x), K::Bool(y)) if matches!(op, Bin::And | Bin::Or | Bin::Xor) => K::Bool(match op {
            Bin::And => x & y,
            Bin::Or => x | y,
            _ => x ^ y,
        }),
        (K::Int(_) | K::Bool(_), K::Int(_) | K::Bool(_)) => int_op(op, as_int(a)?, as_int(b)?)?,
        (K::Float(_), K::Int(_) | K::Bool(_) | K::Float(_)) | (K::Int(_) | K::Bool(_), K::Float(_)) => {
            float_op(op, as_float(a)?, as_float(b)?)?
        }
        (K::Str(x), K::Str(y)) if op == Bin::Add => K::Str([&x[..], &y[..]].concat()),
        (K::Bytes(x), K::Bytes(y)) if op == Bin::Add => K::Bytes([&x[..], &y[..]].concat()),
        (K::Tuple(x), K::Tuple(y)) if op == Bin::Add => K::Tuple([&x[..], &y[..]].concat()),
        (K::Str(_) | K::Bytes(_) | K::Tuple(_), K::Int(_) | K::Bool(_)) if op == Bin::Mul => repeat(a, as_int(b)?)?,
        (K::Int(_) | K::Bool(_), K::Str(_) | K::Bytes(_) | K::Tuple(_)) if op == Bin::Mul => repeat(b, as_int(a)?)?,
        _ => return None,
    };
    Some(Ok(r))
}
