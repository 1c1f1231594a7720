//! Python `repr()` of marshal constants, as each CPython version prints it.
//!
//! Covers what a code object's `co_consts` can hold: None/True/False,
//! Ellipsis, ints of any size, floats, complex numbers, str, bytes, tuples,
//! frozensets, code objects and (3.14) slices, plus lists/dicts/sets for
//! completeness. `str` repr depends on the version's Unicode database, see
//! [`is_printable`].

mod printable;
mod setorder;

pub use setorder::frozenset_order;

use crate::marshal::{Code, Long, Marshal, ObjId, Value};
use crate::version::PyVersion;

/// `repr()` of the object `id` in `m`, as `m.version`'s CPython prints it.
///
/// Code objects print a made-up address (see [`code_address`]); compare
/// with addresses masked.
pub fn repr(m: &Marshal, id: ObjId) -> String {
    let mut out = String::new();
    write_repr(m, id, &mut out);
    out
}

/// Appends `repr()` of `id` to `out`.
pub fn write_repr(m: &Marshal, id: ObjId, out: &mut String) {
    let v = m.version;
    match m.get(id) {
        Value::Null => out.push_str("<NULL>"),
        Value::None => out.push_str("None"),
        Value::True => out.push_str("True"),
        Value::False => out.push_str("False"),
        Value::StopIteration => out.push_str("<class 'StopIteration'>"),
        Value::Ellipsis => out.push_str("Ellipsis"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Long(l) => out.push_str(&long_repr(l)),
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Complex(re, im) => out.push_str(&complex_repr(*re, *im)),
        Value::FloatText(t) => out.push_str(&float_repr(parse_float_text(t))),
        Value::ComplexText(re, im) => {
            out.push_str(&complex_repr(parse_float_text(re), parse_float_text(im)))
        }
        Value::Bytes(b) => out.push_str(&bytes_repr(b)),
        Value::Str(s) => out.push_str(&str_repr(&decode_marshal_str(s), v)),
        Value::Tuple(items) => {
            out.push('(');
            write_items(m, items, out);
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::List(items) => {
            out.push('[');
            write_items(m, items, out);
            out.push(']');
        }
        Value::Set(items) => {
            if items.is_empty() {
                out.push_str("set()");
            } else {
                out.push('{');
                write_items(m, items, out);
                out.push('}');
            }
        }
        Value::FrozenSet(items) => {
            out.push_str("frozenset(");
            if !items.is_empty() {
                out.push('{');
                match frozenset_order(m, items) {
                    Some(order) => write_items(m, &order, out),
                    None => write_items(m, items, out),
                }
                out.push('}');
            }
            out.push(')');
        }
        Value::Dict(pairs) => {
            out.push('{');
            for (i, (k, val)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(m, *k, out);
                out.push_str(": ");
                write_repr(m, *val, out);
            }
            out.push('}');
        }
        Value::Code(c) => out.push_str(&code_repr(m, id, c)),
        Value::Slice([a, b, c]) => {
            out.push_str("slice(");
            write_repr(m, *a, out);
            out.push_str(", ");
            write_repr(m, *b, out);
            out.push_str(", ");
            write_repr(m, *c, out);
            out.push(')');
        }
    }
}

fn write_items(m: &Marshal, items: &[ObjId], out: &mut String) {
    for (i, &x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(m, x, out);
    }
}

/// The made-up address a code object's repr shows: distinct per node,
/// stable across runs (real CPython shows a heap address).
pub fn code_address(id: ObjId) -> u64 {
    0x7f00_0000_0000 + (id.0 as u64) * 0x100
}

/// `<code object NAME at 0x..., file "FILE", line N>`.
pub fn code_repr(m: &Marshal, id: ObjId, c: &Code) -> String {
    // NB: CPython formats name and filename with %U (no quoting) and shows
    // line -1 when co_firstlineno is 0.
    let name = m.get(c.name);
    let name = match name {
        Value::Str(s) => decode_marshal_str(s).into_iter().collect::<String>(),
        _ => String::from("?"),
    };
    let line = if c.firstlineno != 0 {
        c.firstlineno
    } else {
        -1
    };
    match m.get(c.filename) {
        Value::Str(f) => {
            let f: String = decode_marshal_str(f).into_iter().collect();
            format!(
                "<code object {name} at {:#x}, file \"{f}\", line {line}>",
                code_address(id)
            )
        }
        _ => format!(
            "<code object {name} at {:#x}, file ???, line {line}>",
            code_address(id)
        ),
    }
}

/// Decodes marshal's str bytes (UTF-8 with surrogates passed through) into
/// code points, lone surrogates kept (a Rust `char` cannot hold them).
pub fn decode_marshal_str(b: &[u8]) -> Vec<CodePoint> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let (cp, n) = if c < 0x80 {
            (c as u32, 1)
        } else if c >= 0xF0 && i + 3 < b.len() {
            (
                ((c as u32 & 0x07) << 18)
                    | ((b[i + 1] as u32 & 0x3F) << 12)
                    | ((b[i + 2] as u32 & 0x3F) << 6)
                    | (b[i + 3] as u32 & 0x3F),
                4,
            )
        } else if c >= 0xE0 && i + 2 < b.len() {
            (
                ((c as u32 & 0x0F) << 12)
                    | ((b[i + 1] as u32 & 0x3F) << 6)
                    | (b[i + 2] as u32 & 0x3F),
                3,
            )
        } else if c >= 0xC0 && i + 1 < b.len() {
            (((c as u32 & 0x1F) << 6) | (b[i + 1] as u32 & 0x3F), 2)
        } else {
            // NB: invalid UTF-8 cannot come from CPython's marshal; keep the
            // byte as a code point rather than fail.
            (c as u32, 1)
        };
        out.push(CodePoint(cp));
        i += n;
    }
    out
}

/// A Unicode code point that may be a lone surrogate (Python strs can hold them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodePoint(pub u32);

impl FromIterator<CodePoint> for String {
    fn from_iter<I: IntoIterator<Item = CodePoint>>(iter: I) -> String {
        iter.into_iter()
            .map(|c| char::from_u32(c.0).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }
}

/// Whether `version`'s `str.isprintable()` accepts code point `cp`.
pub fn is_printable(cp: u32, version: PyVersion) -> bool {
    // NB: the generated table has one bit per minor version 3.8..=3.14 (Unicode data changes).
    let bit = version.minor.saturating_sub(8).min(6);
    let t = printable::NONPRINTABLE;
    let i = t.partition_point(|&(_, last, _)| last < cp);
    match t.get(i) {
        Some(&(first, _, mask)) if first <= cp => mask & (1 << bit) == 0,
        _ => true,
    }
}

/// `repr()` of a str given as code points.
pub fn str_repr(s: &[CodePoint], version: PyVersion) -> String {
    let has_single = s.iter().any(|c| c.0 == '\'' as u32);
    let has_double = s.iter().any(|c| c.0 == '"' as u32);
    let quote = if has_single && !has_double { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for &CodePoint(c) in s {
        match c {
            0x5C => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            _ if c == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            _ if c < 0x20 || c == 0x7F => out.push_str(&format!("\\x{c:02x}")),
            _ if c < 0x7F => out.push(c as u8 as char),
            _ if is_printable(c, version) => {
                out.push(char::from_u32(c).expect("printable code points are not surrogates"))
            }
            _ if c <= 0xFF => out.push_str(&format!("\\x{c:02x}")),
            _ if c <= 0xFFFF => out.push_str(&format!("\\u{c:04x}")),
            _ => out.push_str(&format!("\\U{c:08x}")),
        }
    }
    out.push(quote);
    out
}

/// `repr()` of a bytes object.
pub fn bytes_repr(b: &[u8]) -> String {
    let has_single = b.contains(&b'\'');
    let has_double = b.contains(&b'"');
    let quote = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(quote as char);
            }
            _ if !(0x20..0x7F).contains(&c) => out.push_str(&format!("\\x{c:02x}")),
            _ => out.push(c as char),
        }
    }
    out.push(quote as char);
    out
}

/// Decimal text of a marshal long (base 2**15 digits).
pub fn long_repr(l: &Long) -> String {
    // NB: repeated division of the magnitude by 10**4; quadratic, fine for
    // the sizes constants have.
    let mut mag: Vec<u32> = l.digits.iter().rev().map(|&d| d as u32).collect(); // most significant first
    while mag.first() == Some(&0) {
        mag.remove(0);
    }
    if mag.is_empty() {
        return "0".into();
    }
    let mut chunks = Vec::new();
    while !mag.is_empty() {
        let mut rem = 0u32;
        for d in mag.iter_mut() {
            let cur = (rem << 15) | *d;
            *d = cur / 10_000;
            rem = cur % 10_000;
        }
        chunks.push(rem);
        while mag.first() == Some(&0) {
            mag.remove(0);
        }
    }
    let mut s = String::new();
    if l.negative {
        s.push('-');
    }
    s.push_str(&chunks.last().unwrap().to_string());
    for c in chunks.iter().rev().skip(1) {
        s.push_str(&format!("{c:04}"));
    }
    s
}

/// Parses marshal's old text float form (as Python's `float()` would).
fn parse_float_text(t: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(t);
    let s = s.trim();
    match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        "nan" | "+nan" | "-nan" => f64::NAN,
        other => other.parse().unwrap_or(f64::NAN),
    }
}

/// Python's `repr(float)`.
pub fn float_repr(x: f64) -> String {
    format_float_r(x, true, false)
}

/// Python's `repr(complex)`.
pub fn complex_repr(re: f64, im: f64) -> String {
    if re == 0.0 && re.is_sign_positive() {
        format!("{}j", format_float_r(im, false, false))
    } else {
        format!(
            "({}{}j)",
            format_float_r(re, false, false),
            format_float_r(im, false, true)
        )
    }
}

/// CPython's `PyOS_double_to_string(x, 'r', 0, flags)`: shortest digits that
/// round-trip, fixed notation for decimal exponents -4 < e <= 16,
/// scientific otherwise; `add_dot_0` appends `.0` to integral fixed forms,
/// `sign` forces a leading `+`.
fn format_float_r(x: f64, add_dot_0: bool, sign: bool) -> String {
    if x.is_nan() {
        // NB: CPython never shows a sign for nan, not even with a forced sign.
        return if sign { "+nan".into() } else { "nan".into() };
    }
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    } else if sign {
        out.push('+');
    }
    if x.is_infinite() {
        out.push_str("inf");
        return out;
    }
    let a = x.abs();
    // Rust's LowerExp gives the shortest round-trip digits: "d.ddde-N".
    let mut e = format!("{a:e}");
    // NB: when two strings of that length round-trip, Python picks the one
    // nearest the exact value (ties to even); Rust's shortest mode may pick
    // the other. Rust's fixed-precision mode rounds exactly, half to even.
    let ndigits = e
        .split_once('e')
        .map_or(1, |(m, _)| m.chars().filter(char::is_ascii_digit).count());
    let exact = format!("{a:.*e}", ndigits - 1);
    if exact != e && exact.parse::<f64>() == Ok(a) {
        e = exact;
    }
    let (mant, exp) = e.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("exponent is an integer");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1; // digits d1 d2 ... with the point after decpt digits
    let nd = digits.len() as i32;
    if a == 0.0 {
        out.push('0');
        if add_dot_0 {
            out.push_str(".0");
        }
        return out;
    }
    if -4 < decpt && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-decpt) as usize));
            out.push_str(&digits);
        } else if decpt >= nd {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', (decpt - nd) as usize));
            if add_dot_0 {
                out.push_str(".0");
            }
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", e.abs()));
    }
    out
}

#[cfg(test)]
mod tests;
