//! Marshal writer: a [`Marshal`] arena back to bytes.
//!
//! NB: an unchanged tree comes out byte for byte because every node keeps
//! the type byte it was read with and the writer numbers references in the
//! same pre-order as the reader. A node met again after it was written with
//! FLAG_REF becomes a `TYPE_REF`; anything else is written in full. A type
//! byte that no longer fits its value (an ASCII form for non-ASCII text, a
//! small tuple grown past 255 items, `TYPE_INT` past 32 bits) falls back to
//! the form CPython would choose, so edited trees stay valid marshal.

use super::object::{canonical_type_code, tc, Code, Marshal, ObjId, Value};
use super::read::MAX_DEPTH;
use crate::error::{Error, ErrorKind, Result};
use crate::version::PyVersion;

const NOT_WRITTEN: u32 = u32::MAX;

/// Writes the whole stream: the root object and the trailing bytes.
pub fn write(m: &Marshal) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(m.nodes.len() * 8 + m.trailing.len());
    write_into(m, &mut out)?;
    Ok(out)
}

/// [`write`] appending to `out`.
pub fn write_into(m: &Marshal, out: &mut Vec<u8>) -> Result<()> {
    let mut w = Writer {
        m,
        out,
        written: vec![NOT_WRITTEN; m.nodes.len()],
        next_ref: 0,
        depth: 0,
        version: m.version,
    };
    w.object(m.root)?;
    out.extend_from_slice(&m.trailing);
    Ok(())
}

struct Writer<'a> {
    m: &'a Marshal,
    out: &'a mut Vec<u8>,
    written: Vec<u32>,
    next_ref: u32,
    depth: usize,
    version: PyVersion,
}

/// Whether CPython's reader enters objects of this type code in the
/// reference table when FLAG_REF is set.
fn registers(code: u8) -> bool {
    !matches!(
        code,
        tc::NONE | tc::TRUE | tc::FALSE | tc::STOPITER | tc::ELLIPSIS | tc::NULL
    )
}

/// Whether the recorded type code can still encode `value`.
fn fits(code: u8, value: &Value) -> bool {
    match value {
        Value::Int(i) => code == tc::INT && i32::try_from(*i).is_ok(),
        Value::Str(b) => match code {
            tc::UNICODE | tc::INTERNED => true,
            tc::ASCII | tc::ASCII_INTERNED => b.is_ascii(),
            tc::SHORT_ASCII | tc::SHORT_ASCII_INTERNED => b.is_ascii() && b.len() < 256,
            _ => false,
        },
        Value::Tuple(v) => code == tc::TUPLE || (code == tc::SMALL_TUPLE && v.len() < 256),
        other => code == canonical_type_code(other),
    }
}

impl Writer<'_> {
    #[inline]
    fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn len(&mut self, n: usize, what: &'static str) -> Result<()> {
        if n > i32::MAX as usize {
            return Err(Error::new(ErrorKind::BadLength {
                what,
                value: n as i64,
            }));
        }
        self.u32(n as u32);
        Ok(())
    }

    fn object(&mut self, id: ObjId) -> Result<()> {
        let prev = self.written[id.index()];
        if prev != NOT_WRITTEN {
            self.out.push(tc::REF);
            self.u32(prev);
            return Ok(());
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(ErrorKind::TooDeep { limit: MAX_DEPTH }));
        }
        let r = self.object_inner(id);
        self.depth -= 1;
        r
    }

    fn object_inner(&mut self, id: ObjId) -> Result<()> {
        // NB: only containers recurse; choosing the type byte and writing
        // leaves happen in frames of their own so the recursive path stays
        // small (2000 levels must fit a 2 MiB thread stack in debug builds).
        let code = self.type_byte(id);
        match &self.m.node(id).value {
            Value::Tuple(items) | Value::Set(items) | Value::FrozenSet(items) => {
                self.items(code, items)
            }
            Value::List(items) => self.items(code, items),
            Value::Dict(pairs) => {
                for &(k, v) in pairs {
                    self.object(k)?;
                    self.object(v)?;
                }
                self.out.push(tc::NULL);
                Ok(())
            }
            Value::Code(c) => self.code(c),
            Value::Slice(parts) => self.slice(parts),
            leaf => self.leaf(code, leaf),
        }
    }

    /// Chooses and writes the type byte of `id`, numbering it as a reference
    /// target if it is one; returns the type code (without FLAG_REF).
    // NB: out of line only in debug builds (for the stack); inlined in
    // release it saves ~10% of the writer's instructions (docs/benchmarks.md).
    #[cfg_attr(debug_assertions, inline(never))]
    fn type_byte(&mut self, id: ObjId) -> u8 {
        let node = self.m.node(id);
        let flag = node.type_byte & tc::FLAG_REF;
        let mut code = node.type_code();
        if !fits(code, &node.value) {
            code = canonical_type_code(&node.value);
            // Keep the interned flavour where the value allows it.
            if matches!(
                node.type_code(),
                tc::INTERNED | tc::ASCII_INTERNED | tc::SHORT_ASCII_INTERNED
            ) {
                code = match code {
                    tc::UNICODE => tc::INTERNED,
                    tc::ASCII => tc::ASCII_INTERNED,
                    tc::SHORT_ASCII => tc::SHORT_ASCII_INTERNED,
                    c => c,
                };
            }
        }
        if flag != 0 && registers(code) {
            self.written[id.index()] = self.next_ref;
            self.next_ref += 1;
        }
        self.out.push(code | flag);
        code
    }

    #[inline(never)]
    fn slice(&mut self, parts: &[ObjId; 3]) -> Result<()> {
        // NB: marshal has slice objects from 3.14 on.
        if !self.version.at_least(14) {
            return Err(Error::new(ErrorKind::Unsupported(format!(
                "slice constants need CPython 3.14+, this stream is {}",
                self.version
            ))));
        }
        for &p in parts {
            self.object(p)?;
        }
        Ok(())
    }

    /// The payload of a non-container value.
    #[cfg_attr(debug_assertions, inline(never))]
    fn leaf(&mut self, code: u8, value: &Value) -> Result<()> {
        match value {
            Value::Null => {
                return Err(Error::new(ErrorKind::Invalid(
                    "NULL object cannot be written".into(),
                )))
            }
            Value::None | Value::True | Value::False | Value::StopIteration | Value::Ellipsis => {}
            Value::Int(i) => {
                if code == tc::INT {
                    self.u32(*i as i32 as u32);
                } else {
                    self.long_from_i64(*i);
                }
            }
            Value::Long(l) => {
                let n = l.digits.len() as i32;
                self.u32((if l.negative { -n } else { n }) as u32);
                for d in l.digits.iter() {
                    self.out.extend_from_slice(&d.to_le_bytes());
                }
            }
            Value::Float(f) => self.out.extend_from_slice(&f.to_le_bytes()),
            Value::Complex(re, im) => {
                self.out.extend_from_slice(&re.to_le_bytes());
                self.out.extend_from_slice(&im.to_le_bytes());
            }
            Value::FloatText(t) => self.float_text(t)?,
            Value::ComplexText(re, im) => {
                self.float_text(re)?;
                self.float_text(im)?;
            }
            Value::Bytes(b) | Value::Str(b) => {
                if matches!(code, tc::SHORT_ASCII | tc::SHORT_ASCII_INTERNED) {
                    self.out.push(b.len() as u8);
                } else {
                    self.len(b.len(), "string length")?;
                }
                self.out.extend_from_slice(b);
            }
            Value::Tuple(_)
            | Value::List(_)
            | Value::Set(_)
            | Value::FrozenSet(_)
            | Value::Dict(_)
            | Value::Code(_)
            | Value::Slice(_) => unreachable!("containers are written by object_inner"),
        }
        Ok(())
    }

    fn items(&mut self, code: u8, items: &[ObjId]) -> Result<()> {
        if code == tc::SMALL_TUPLE {
            self.out.push(items.len() as u8);
        } else {
            self.len(items.len(), "container length")?;
        }
        for &i in items {
            self.object(i)?;
        }
        Ok(())
    }

    fn float_text(&mut self, t: &[u8]) -> Result<()> {
        let n = u8::try_from(t.len()).map_err(|_| {
            Error::new(ErrorKind::BadLength {
                what: "float text length",
                value: t.len() as i64,
            })
        })?;
        self.out.push(n);
        self.out.extend_from_slice(t);
        Ok(())
    }

    /// An i64 in marshal's base-2**15 long form.
    fn long_from_i64(&mut self, v: i64) {
        let mut mag = v.unsigned_abs();
        let mut digits = Vec::new();
        while mag != 0 {
            digits.push((mag & 0x7fff) as u16);
            mag >>= 15;
        }
        let n = digits.len() as i32;
        self.u32((if v < 0 { -n } else { n }) as u32);
        for d in digits {
            self.out.extend_from_slice(&d.to_le_bytes());
        }
    }

    fn code(&mut self, c: &Code) -> Result<()> {
        let v = self.version;
        let missing = |what: &str| {
            Error::new(ErrorKind::Invalid(format!(
                "code object lacks {what}, required on {v}"
            )))
        };
        self.u32(c.argcount as u32);
        if v.posonly() {
            self.u32(c.posonlyargcount as u32);
        }
        self.u32(c.kwonlyargcount as u32);
        if !v.localsplus_layout() {
            self.u32(c.nlocals as u32);
        }
        self.u32(c.stacksize as u32);
        self.u32(c.flags);
        self.object(c.code)?;
        self.object(c.consts)?;
        self.object(c.names)?;
        self.object(c.varnames)?;
        if v.localsplus_layout() {
            self.object(
                c.localspluskinds
                    .ok_or_else(|| missing("co_localspluskinds"))?,
            )?;
        } else {
            self.object(c.freevars.ok_or_else(|| missing("co_freevars"))?)?;
            self.object(c.cellvars.ok_or_else(|| missing("co_cellvars"))?)?;
        }
        self.object(c.filename)?;
        self.object(c.name)?;
        if v.localsplus_layout() {
            self.object(c.qualname.ok_or_else(|| missing("co_qualname"))?)?;
        }
        self.u32(c.firstlineno as u32);
        self.object(c.linetable)?;
        if v.localsplus_layout() {
            self.object(
                c.exceptiontable
                    .ok_or_else(|| missing("co_exceptiontable"))?,
            )?;
        }
        Ok(())
    }
}
