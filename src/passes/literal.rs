//! Python literals as pass parameters: parsing `42`, `-1.5`, `'text'`, `b'\x00'`,
//! `None`, `(1, 'a')`, and matching/creating marshal constants of the same value and type.
//!
//! Matching is by value AND type, as Python's compiler keeps constants
//! apart: `42` never matches `42.0` or `True`; floats match by bit pattern
//! (so `0.0` does not match `-0.0`).

use crate::marshal::{Long, Marshal, ObjId, Value};

/// A Python literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int of any size.
    Int(BigInt),
    /// A float.
    Float(f64),
    /// A str, as marshal stores it (UTF-8, lone surrogates passed through).
    Str(Vec<u8>),
    /// A bytes object.
    Bytes(Vec<u8>),
    /// A tuple of literals.
    Tuple(Vec<Lit>),
}

/// A signed integer as marshal's base-2**15 digits (least significant
/// first, no leading zero digits; zero has no digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BigInt {
    /// Sign (false for zero).
    pub negative: bool,
    /// 15-bit digits, least significant first.
    pub digits: Vec<u16>,
}

impl BigInt {
    fn from_i64(v: i64) -> Self {
        let mut mag = v.unsigned_abs();
        let mut digits = Vec::new();
        while mag > 0 {
            digits.push((mag & 0x7fff) as u16);
            mag >>= 15;
        }
        BigInt {
            negative: v < 0,
            digits,
        }
    }

    fn from_long(l: &Long) -> Self {
        let mut digits = l.digits.to_vec();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        let negative = l.negative && !digits.is_empty();
        BigInt { negative, digits }
    }

    /// The value as an i64, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        let mut mag: u64 = 0;
        for &d in self.digits.iter().rev() {
            mag = mag.checked_mul(1 << 15)?.checked_add(u64::from(d))?;
        }
        if self.negative {
            0i64.checked_sub_unsigned(mag)
        } else {
            i64::try_from(mag).ok()
        }
    }

    /// Parses digits in `radix` (no sign, no prefix, no underscores).
    fn parse_radix(s: &str, radix: u32) -> Option<Self> {
        if s.is_empty() {
            return None;
        }
        let mut digits: Vec<u16> = Vec::new();
        for ch in s.chars() {
            let mut carry = ch.to_digit(radix)?;
            for d in digits.iter_mut() {
                let x = u32::from(*d) * radix + carry;
                *d = (x & 0x7fff) as u16;
                carry = x >> 15;
            }
            while carry > 0 {
                digits.push((carry & 0x7fff) as u16);
                carry >>= 15;
            }
        }
        Some(BigInt {
            negative: false,
            digits,
        })
    }

    /// Decimal text (for messages and docs).
    pub fn to_decimal(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        // NB: repeated division by 10**4 over the base-2**15 digits.
        let mut mag = self.digits.clone();
        let mut parts = Vec::new();
        while !mag.is_empty() {
            let mut rem = 0u32;
            for d in mag.iter_mut().rev() {
                let x = (rem << 15) | u32::from(*d);
                *d = (x / 10_000) as u16;
                rem = x % 10_000;
            }
            while mag.last() == Some(&0) {
                mag.pop();
            }
            parts.push(rem);
        }
        let mut s = String::from(if self.negative { "-" } else { "" });
        s += &parts.pop().unwrap_or(0).to_string();
        for p in parts.iter().rev() {
            s += &format!("{p:04}");
        }
        s
    }
}

impl Lit {
    /// Parses Python literal syntax: ints (decimal, `0x`, `0o`, `0b`,
    /// underscores, any size), floats (`1.5`, `1e3`, `.5`), a leading `-`
    /// or `+` on numbers, strings and bytes in any quoting with the usual
    /// escapes (and `r`/`b`/`u` prefixes), `None`, `True`, `False`, and
    /// tuples of these.
    pub fn parse(text: &str) -> Result<Lit, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.expr()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!(
                "unexpected {:?} at position {} of {text:?}",
                &text[p.i..],
                p.i
            ));
        }
        Ok(v)
    }

    /// The Python type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Lit::None => "NoneType",
            Lit::Bool(_) => "bool",
            Lit::Int(_) => "int",
            Lit::Float(_) => "float",
            Lit::Str(_) => "str",
            Lit::Bytes(_) => "bytes",
            Lit::Tuple(_) => "tuple",
        }
    }

    /// True when constant `id` of `m` has this value and type.
    pub fn matches(&self, m: &Marshal, id: ObjId) -> bool {
        match (self, m.get(id)) {
            (Lit::None, Value::None) => true,
            (Lit::Bool(b), Value::True) => *b,
            (Lit::Bool(b), Value::False) => !*b,
            (Lit::Int(n), Value::Int(v)) => *n == BigInt::from_i64(*v),
            (Lit::Int(n), Value::Long(l)) => *n == BigInt::from_long(l),
            (Lit::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Lit::Float(x), Value::FloatText(t)) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .is_some_and(|y| x.to_bits() == y.to_bits()),
            (Lit::Str(s), Value::Str(b)) => s[..] == b[..],
            (Lit::Bytes(s), Value::Bytes(b)) => s[..] == b[..],
            (Lit::Tuple(items), Value::Tuple(ids)) => {
                items.len() == ids.len()
                    && items.iter().zip(ids.iter()).all(|(l, &i)| l.matches(m, i))
            }
            _ => false,
        }
    }

    /// Adds this value to `m` as a fresh constant (ints that fit 32 bits as
    /// `TYPE_INT`, bigger ones as `TYPE_LONG`, like CPython's marshal).
    pub fn to_node(&self, m: &mut Marshal) -> ObjId {
        let v = match self {
            Lit::None => Value::None,
            Lit::Bool(true) => Value::True,
            Lit::Bool(false) => Value::False,
            Lit::Int(n) => match n.to_i64().filter(|v| i32::try_from(*v).is_ok()) {
                Some(v) => Value::Int(v),
                None => Value::Long(Box::new(Long {
                    negative: n.negative,
                    digits: n.digits.clone().into(),
                })),
            },
            Lit::Float(x) => Value::Float(*x),
            Lit::Str(s) => Value::Str(s.clone().into()),
            Lit::Bytes(b) => Value::Bytes(b.clone().into()),
            Lit::Tuple(items) => {
                let ids: Vec<ObjId> = items.iter().map(|l| l.to_node(m)).collect();
                Value::Tuple(ids.into())
            }
        };
        m.push(v)
    }

    /// The int value when this is an int that fits an i64.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Lit::Int(n) => n.to_i64(),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        let rest = String::from_utf8_lossy(&self.s[self.i.min(self.s.len())..]);
        Err(format!("{what} at position {} (before {rest:?})", self.i))
    }

    fn expr(&mut self) -> Result<Lit, String> {
        self.ws();
        match self.peek() {
            None => self.err("expected a Python literal"),
            Some(b'(') => self.tuple(),
            Some(b'-' | b'+') => {
                let neg = self.peek() == Some(b'-');
                self.i += 1;
                self.ws();
                match self.number()? {
                    Lit::Int(mut n) => {
                        if neg && !n.digits.is_empty() {
                            n.negative = !n.negative;
                        }
                        Ok(Lit::Int(n))
                    }
                    Lit::Float(x) => Ok(Lit::Float(if neg { -x } else { x })),
                    _ => unreachable!("number() returns numbers"),
                }
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                match word {
                    "None" => Ok(Lit::None),
                    "True" => Ok(Lit::Bool(true)),
                    "False" => Ok(Lit::Bool(false)),
                    _ => {
                        let prefix = word.to_ascii_lowercase();
                        let quote = self.peek();
                        if matches!(quote, Some(b'\'' | b'"'))
                            && matches!(&*prefix, "" | "r" | "u" | "b" | "br" | "rb")
                        {
                            self.string(prefix.contains('b'), prefix.contains('r'))
                        } else {
                            self.i = start;
                            self.err("expected a Python literal (number, string, bytes, None, True, False or tuple)")
                        }
                    }
                }
            }
        }
    }

    fn tuple(&mut self) -> Result<Lit, String> {
        self.i += 1; // (
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            self.ws();
            if self.peek() == Some(b')') {
                self.i += 1;
                break;
            }
            items.push(self.expr()?);
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    trailing_comma = true;
                }
                Some(b')') => {
                    self.i += 1;
                    trailing_comma = false;
                    break;
                }
                _ => return self.err("expected ',' or ')' in a tuple"),
            }
        }
        // NB: `(42)` is the int 42, as in Python; `(42,)` is a tuple.
        if items.len() == 1 && !trailing_comma {
            return Ok(items.pop().expect("one item"));
        }
        Ok(Lit::Tuple(items))
    }

    fn number(&mut self) -> Result<Lit, String> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'.'))
        {
            // NB: an exponent sign belongs to the number (`1e-3`).
            let c = self.s[self.i];
            self.i += 1;
            if matches!(c, b'e' | b'E')
                && matches!(self.peek(), Some(b'-' | b'+'))
                && !self.s[start..].starts_with(b"0x")
            {
                self.i += 1;
            }
        }
        let raw = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        if raw.starts_with('_') || raw.ends_with('_') || raw.contains("__") {
            self.i = start;
            return self.err("misplaced '_' in a number");
        }
        let text: String = raw.chars().filter(|&c| c != '_').collect();
        let lower = text.to_ascii_lowercase();
        let radix = |p: &str| lower.strip_prefix(p);
        let int = if let Some(d) = radix("0x") {
            BigInt::parse_radix(d, 16)
        } else if let Some(d) = radix("0o") {
            BigInt::parse_radix(d, 8)
        } else if let Some(d) = radix("0b") {
            BigInt::parse_radix(d, 2)
        } else if lower.bytes().all(|c| c.is_ascii_digit()) {
            if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|c| c != b'0') {
                self.i = start;
                return self.err("leading zeros in a decimal int are not allowed in Python");
            }
            BigInt::parse_radix(&lower, 10)
        } else {
            let ok_chars = lower
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'-' | b'+'));
            return match lower.parse::<f64>() {
                Ok(x) if ok_chars && x.is_finite() => Ok(Lit::Float(x)),
                _ => {
                    self.i = start;
                    self.err("not a valid int or float literal")
                }
            };
        };
        match int {
            Some(n) => Ok(Lit::Int(n)),
            None => {
                self.i = start;
                self.err("not a valid int literal")
            }
        }
    }

    fn string(&mut self, bytes: bool, raw: bool) -> Result<Lit, String> {
        let q = self.s[self.i];
        let triple = self.s[self.i..].starts_with(&[q, q, q]);
        self.i += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated string");
            };
            if c == q && (!triple || self.s[self.i..].starts_with(&[q, q, q])) {
                self.i += if triple { 3 } else { 1 };
                break;
            }
            if c == b'\n' && !triple {
                return self.err("newline in a single-quoted string");
            }
            if bytes && c >= 0x80 {
                return self.err("bytes literals may only contain ASCII characters");
            }
            if c != b'\\' || raw {
                if raw && c == b'\\' && self.i + 1 < self.s.len() {
                    // NB: in raw strings a backslash still keeps the next quote from ending it.
                    out.extend_from_slice(&self.s[self.i..self.i + 2]);
                    self.i += 2;
                    continue;
                }
                out.push(c);
                self.i += 1;
                continue;
            }
            self.i += 1;
            let Some(e) = self.peek() else {
                return self.err("unterminated escape");
            };
            self.i += 1;
            let simple = match e {
                b'\n' => Some(None),
                b'\\' => Some(Some(b'\\')),
                b'\'' => Some(Some(b'\'')),
                b'"' => Some(Some(b'"')),
                b'a' => Some(Some(7)),
                b'b' => Some(Some(8)),
                b'f' => Some(Some(12)),
                b'n' => Some(Some(b'\n')),
                b'r' => Some(Some(b'\r')),
                b't' => Some(Some(b'\t')),
                b'v' => Some(Some(11)),
                _ => None,
            };
            if let Some(s) = simple {
                out.extend(s);
                continue;
            }
            let code: u32 = match e {
                b'0'..=b'7' => {
                    let mut v = u32::from(e - b'0');
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                v = v * 8 + u32::from(d - b'0');
                                self.i += 1;
                            }
                            _ => break,
                        }
                    }
                    v
                }
                b'x' => self.hex(2)?,
                b'u' if !bytes => self.hex(4)?,
                b'U' if !bytes => self.hex(8)?,
                _ => {
                    // NB: unknown escapes keep the backslash, as Python does.
                    out.push(b'\\');
                    self.i -= 1;
                    continue;
                }
            };
            if bytes {
                if code > 0xff {
                    return self.err("octal escape above \\377 in bytes");
                }
                out.push(code as u8);
            } else {
                push_code_point(&mut out, code)
                    .map_err(|m| format!("{m} at position {}", self.i))?;
            }
        }
        Ok(if bytes {
            Lit::Bytes(out)
        } else {
            Lit::Str(out)
        })
    }

    fn hex(&mut self, n: usize) -> Result<u32, String> {
        let end = self.i + n;
        let digits = self
            .s
            .get(self.i..end)
            .and_then(|d| std::str::from_utf8(d).ok());
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(v) => {
                self.i = end;
                Ok(v)
            }
            None => self.err(&format!("expected {n} hex digits")),
        }
    }
}

/// Appends code point `c` as UTF-8, surrogates included (marshal's
/// `surrogatepass` form).
fn push_code_point(out: &mut Vec<u8>, c: u32) -> Result<(), String> {
    match c {
        0..=0x7f => out.push(c as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
        0x1_0000..=0x10_ffff => out.extend_from_slice(&[
            0xf0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3f) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ]),
        _ => return Err(format!("code point {c:#x} is out of range")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(s: &str) -> String {
        match Lit::parse(s).unwrap() {
            Lit::Int(n) => n.to_decimal(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ints() {
        assert_eq!(int("42"), "42");
        assert_eq!(int("-42"), "-42");
        assert_eq!(int("0x_ff"), "255");
        assert_eq!(int("1_000"), "1000");
        assert_eq!(int("0o777"), "511");
        assert_eq!(int("0b101"), "5");
        assert_eq!(
            int("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(int("-0"), "0");
        assert!(Lit::parse("012").is_err());
        assert!(Lit::parse("1__0").is_err());
    }

    #[test]
    fn others() {
        assert_eq!(Lit::parse("1.5").unwrap(), Lit::Float(1.5));
        assert_eq!(Lit::parse("-1e-3").unwrap(), Lit::Float(-0.001));
        assert_eq!(Lit::parse("-0.0").unwrap().clone(), Lit::Float(-0.0));
        assert_eq!(
            Lit::parse("'a\\n\\x41\\u00e9'").unwrap(),
            Lit::Str("a\nAé".as_bytes().to_vec())
        );
        assert_eq!(Lit::parse("r'a\\n'").unwrap(), Lit::Str(b"a\\n".to_vec()));
        assert_eq!(
            Lit::parse("b'\\x00\\377'").unwrap(),
            Lit::Bytes(vec![0, 255])
        );
        assert_eq!(Lit::parse("'''x'y'''").unwrap(), Lit::Str(b"x'y".to_vec()));
        assert_eq!(
            Lit::parse("(1, 'a', (None,), True)").unwrap(),
            Lit::Tuple(vec![
                Lit::Int(BigInt::from_i64(1)),
                Lit::Str(b"a".to_vec()),
                Lit::Tuple(vec![Lit::None]),
                Lit::Bool(true)
            ])
        );
        assert_eq!(Lit::parse("(7)").unwrap(), Lit::Int(BigInt::from_i64(7)));
        assert_eq!(Lit::parse("()").unwrap(), Lit::Tuple(vec![]));
        assert!(Lit::parse("foo").is_err());
        assert!(Lit::parse("1 2").is_err());
        assert!(Lit::parse("'x").is_err());
    }

    #[test]
    fn matching_is_by_type() {
        let mut m = Marshal::new(crate::PyVersion::new(3, 12));
        let i = m.push(Value::Int(1));
        let f = m.push(Value::Float(1.0));
        let t = m.push(Value::True);
        let big = Lit::parse("2**0").is_err();
        assert!(big);
        let one = Lit::parse("1").unwrap();
        assert!(one.matches(&m, i));
        assert!(!one.matches(&m, f));
        assert!(!one.matches(&m, t));
        assert!(Lit::parse("True").unwrap().matches(&m, t));
        assert!(!Lit::parse("True").unwrap().matches(&m, i));
        let n = Lit::parse("-12345678901234567890").unwrap();
        let id = n.to_node(&mut m);
        assert!(matches!(m.get(id), Value::Long(_)));
        assert!(n.matches(&m, id));
        let small = Lit::parse("-7").unwrap().to_node(&mut m);
        assert_eq!(m.get(small), &Value::Int(-7));
    }
}
