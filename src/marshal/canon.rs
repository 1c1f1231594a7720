//! Canonical text of a marshalled value, exactly as tools/oracle/canon_dump.py
//! prints what `marshal.loads` returns, so our reader can be diffed against CPython.
//!
//! The format (docs/oracles.md): `None`/`True`/`False`/`Ellipsis`/
//! `StopIteration`; ints in decimal; `float:<16 hex digits>` (big-endian
//! IEEE bits); `complex:<re>,<im>`; `b:<hex>`; `s:<hex of UTF-8, surrogates
//! passed>`; `(..)`, `[..]`, `{k:v,..}`; `set{..}`/`frozenset{..}` with the
//! element texts sorted; `slice(a,b,c)`; `code{co_argcount=..;..}` with the
//! attributes the version exposes, in the order canon_dump.py lists them.
//!
//! NB: this renders what Python *sees*, not what the file stores: text
//! floats are parsed, and on 3.11+ `co_varnames`,
//! `co_cellvars`, `co_freevars` and `co_nlocals` are derived from
//! `co_localsplusnames`/`co_localspluskinds`. Two things are not modelled:
//! the de-specialisation `co_code` applies on 3.11+ (compiler output is
//! already de-specialised with zeroed caches) and the key/element merging
//! of dicts and sets with equal-but-differently-typed members (`1` and
//! `True`); duplicates with identical text are merged.

use super::object::{Code, Long, Marshal, ObjId, Value};
use crate::code::{fast, CodeView};

/// The canonical text of the whole stream's root object.
pub fn dump(m: &Marshal) -> String {
    let mut out = String::new();
    value(m, m.root, &mut out);
    out
}

/// The canonical text of one node.
pub fn dump_node(m: &Marshal, id: ObjId) -> String {
    let mut out = String::new();
    value(m, id, &mut out);
    out
}

fn hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

fn float_bits(f: f64, out: &mut String) {
    hex(&f.to_be_bytes(), out);
}

/// What Python's `float()` of marshal's text form gives (`PyOS_string_to_double`).
fn parse_float_text(t: &[u8]) -> Option<f64> {
    std::str::from_utf8(t).ok()?.parse::<f64>().ok()
}

fn float_text(t: &[u8], out: &mut String) {
    match parse_float_text(t) {
        Some(f) => float_bits(f, out),
        // NB: CPython refuses such a file; there is nothing it would print.
        None => out.push_str("!badfloat"),
    }
}

/// A str node's text: `Value::Str` holds UTF-8 with surrogates passed
/// (the reader turns latin-1 bytes of ASCII forms into UTF-8).
fn str_text(b: &[u8], out: &mut String) {
    out.push_str("s:");
    hex(b, out);
}

/// Decimal text of a base-2**15 long.
fn long_text(l: &Long, out: &mut String) {
    // Convert to base 10**4 limbs (least significant first) by Horner's rule.
    let mut dec: Vec<u32> = Vec::new();
    for &d in l.digits.iter().rev() {
        let mut carry = d as u32;
        for limb in dec.iter_mut() {
            let x = *limb * (1 << 15) + carry;
            *limb = x % 10_000;
            carry = x / 10_000;
        }
        while carry != 0 {
            dec.push(carry % 10_000);
            carry /= 10_000;
        }
    }
    if dec.is_empty() {
        out.push('0');
        return;
    }
    if l.negative {
        out.push('-');
    }
    let mut it = dec.iter().rev();
    out.push_str(&it.next().expect("non-empty").to_string());
    for limb in it {
        out.push_str(&format!("{limb:04}"));
    }
}

fn seq(m: &Marshal, items: &[ObjId], open: &str, close: &str, out: &mut String) {
    out.push_str(open);
    for (i, &x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        value(m, x, out);
    }
    out.push_str(close);
}

fn set(m: &Marshal, items: &[ObjId], open: &str, out: &mut String) {
    let mut texts: Vec<String> = items.iter().map(|&x| dump_node(m, x)).collect();
    texts.sort();
    texts.dedup();
    out.push_str(open);
    out.push_str(&texts.join(","));
    out.push('}');
}

fn dict(m: &Marshal, pairs: &[(ObjId, ObjId)], out: &mut String) {
    // NB: a repeated key keeps its first position and its last value, as in Python.
    let mut entries: Vec<(String, ObjId)> = Vec::with_capacity(pairs.len());
    for &(k, v) in pairs {
        let kt = dump_node(m, k);
        match entries.iter_mut().find(|(t, _)| *t == kt) {
            Some(e) => e.1 = v,
            None => entries.push((kt, v)),
        }
    }
    out.push('{');
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push(':');
        value(m, *v, out);
    }
    out.push('}');
}

fn value(m: &Marshal, id: ObjId, out: &mut String) {
    // NB: only containers recurse; leaves are rendered in a frame of their
    // own so 2000 nesting levels fit a 2 MiB thread stack in debug builds.
    match &m.node(id).value {
        Value::Tuple(items) => seq(m, items, "(", ")", out),
        Value::List(items) => seq(m, items, "[", "]", out),
        Value::Dict(pairs) => dict(m, pairs, out),
        Value::Set(items) => set(m, items, "set{", out),
        Value::FrozenSet(items) => set(m, items, "frozenset{", out),
        Value::Slice([a, b, c]) => {
            out.push_str("slice(");
            value(m, *a, out);
            out.push(',');
            value(m, *b, out);
            out.push(',');
            value(m, *c, out);
            out.push(')');
        }
        Value::Code(c) => code(m, id, c, out),
        leaf => leaf_value(leaf, out),
    }
}

#[inline(never)]
fn leaf_value(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::None => out.push_str("None"),
        Value::True => out.push_str("True"),
        Value::False => out.push_str("False"),
        Value::Ellipsis => out.push_str("Ellipsis"),
        Value::StopIteration => out.push_str("StopIteration"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Long(l) => long_text(l, out),
        Value::Float(f) => {
            out.push_str("float:");
            float_bits(*f, out);
        }
        Value::FloatText(t) => {
            out.push_str("float:");
            float_text(t, out);
        }
        Value::Complex(re, im) => {
            out.push_str("complex:");
            float_bits(*re, out);
            out.push(',');
            float_bits(*im, out);
        }
        Value::ComplexText(re, im) => {
            out.push_str("complex:");
            float_text(re, out);
            out.push(',');
            float_text(im, out);
        }
        Value::Bytes(b) => {
            out.push_str("b:");
            hex(b, out);
        }
        Value::Str(b) => str_text(b, out),
        Value::Tuple(_)
        | Value::List(_)
        | Value::Dict(_)
        | Value::Set(_)
        | Value::FrozenSet(_)
        | Value::Slice(_)
        | Value::Code(_) => unreachable!("containers are rendered by value()"),
    }
}

/// A tuple of the given nodes, as Python builds `co_varnames` & co. on 3.11+.
fn tuple_of(m: &Marshal, ids: &[ObjId], out: &mut String) {
    seq(m, ids, "(", ")", out);
}

/// The localsplus names whose kind has `bit` set (3.11+).
fn names_with_kind(m: &Marshal, c: &Code, bit: u8) -> Vec<ObjId> {
    let kinds = c.localspluskinds.and_then(|k| m.bytes(k)).unwrap_or(&[]);
    m.items(c.varnames)
        .iter()
        .zip(kinds)
        .filter(|(_, &k)| k & bit != 0)
        .map(|(&n, _)| n)
        .collect()
}

fn code(m: &Marshal, id: ObjId, c: &Code, out: &mut String) {
    // NB: on the recursive path (through co_consts): the other fields are
    // rendered in frames of their own to keep this one small.
    code_head(m, id, c, out);
    out.push_str(";co_consts=");
    value(m, c.consts, out);
    code_tail(m, c, out);
}

#[inline(never)]
fn code_head(m: &Marshal, id: ObjId, c: &Code, out: &mut String) {
    let v = m.version;
    let view = CodeView::new(m, id).expect("a code node");
    let field = |out: &mut String, first: bool, name: &str| {
        if !first {
            out.push(';');
        }
        out.push_str(name);
        out.push('=');
    };
    let int = |out: &mut String, name: &str, x: i64| {
        field(out, false, name);
        out.push_str(&x.to_string());
    };
    out.push_str("code{");
    field(out, true, "co_argcount");
    out.push_str(&c.argcount.to_string());
    if v.posonly() {
        int(out, "co_posonlyargcount", c.posonlyargcount as i64);
    }
    int(out, "co_kwonlyargcount", c.kwonlyargcount as i64);
    int(out, "co_nlocals", view.nlocals() as i64);
    int(out, "co_stacksize", c.stacksize as i64);
    // NB: co_flags is a C int; Python shows it signed.
    int(out, "co_flags", c.flags as i32 as i64);
    let node = |out: &mut String, name: &str, id: ObjId| {
        field(out, false, name);
        value(m, id, out);
    };
    node(out, "co_code", c.code);
}

#[inline(never)]
fn code_tail(m: &Marshal, c: &Code, out: &mut String) {
    let v = m.version;
    let field = |out: &mut String, name: &str| {
        out.push(';');
        out.push_str(name);
        out.push('=');
    };
    let int = |out: &mut String, name: &str, x: i64| {
        field(out, name);
        out.push_str(&x.to_string());
    };
    let node = |out: &mut String, name: &str, id: ObjId| {
        field(out, name);
        value(m, id, out);
    };
    node(out, "co_names", c.names);
    if v.localsplus_layout() {
        for (name, bit) in [
            ("co_varnames", fast::LOCAL),
            ("co_freevars", fast::FREE),
            ("co_cellvars", fast::CELL),
        ] {
            field(out, name);
            tuple_of(m, &names_with_kind(m, c, bit), out);
        }
    } else {
        node(out, "co_varnames", c.varnames);
        for (name, f) in [("co_freevars", c.freevars), ("co_cellvars", c.cellvars)] {
            field(out, name);
            match f {
                Some(f) => value(m, f, out),
                None => out.push_str("()"),
            }
        }
    }
    node(out, "co_filename", c.filename);
    node(out, "co_name", c.name);
    if let Some(q) = c.qualname.filter(|_| v.localsplus_layout()) {
        node(out, "co_qualname", q);
    }
    int(out, "co_firstlineno", c.firstlineno as i64);
    node(
        out,
        if !v.lnotab() {
            "co_linetable"
        } else {
            "co_lnotab"
        },
        c.linetable,
    );
    if let Some(e) = c.exceptiontable.filter(|_| v.localsplus_layout()) {
        node(out, "co_exceptiontable", e);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(negative: bool, digits: &[u16]) -> String {
        let mut s = String::new();
        long_text(
            &Long {
                negative,
                digits: digits.into(),
            },
            &mut s,
        );
        s
    }

    #[test]
    fn long_decimal_matches_arithmetic() {
        // 2**15 * 3 + 5, and 2**45 (digits 0,0,0,1).
        assert_eq!(long(false, &[5, 3]), (3u64 * 32768 + 5).to_string());
        assert_eq!(long(true, &[0, 0, 0, 1]), format!("-{}", 1u64 << 45));
        let big: u128 = (1u128 << 120) - 1; // eight full 15-bit digits
        assert_eq!(long(false, &[0x7fff; 8]), big.to_string());
        assert_eq!(long(false, &[]), "0");
    }
}
