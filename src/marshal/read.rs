//! Marshal reader: bytes to a [`Marshal`] arena, keeping every type byte
//! (FLAG_REF included) and the reference structure as read.
//!
//! Every length is checked against the bytes left before anything is
//! allocated, nesting is bounded like CPython's reader, and every error
//! carries the byte offset of the object that failed.

use super::object::{tc, Code, Long, Marshal, Node, ObjId, Value};
use crate::error::{Error, ErrorKind, Result};
use crate::version::PyVersion;

/// CPython's `MAX_MARSHAL_STACK_DEPTH`.
pub const MAX_DEPTH: usize = 2000;

/// Reads one marshalled object (normally a module code object) laid out for
/// `version`. Bytes after the object are kept in [`Marshal::trailing`].
/// `base` is added to every reported offset (16 for the body of a `.pyc`).
pub fn read(data: &[u8], version: PyVersion) -> Result<Marshal> {
    read_at(data, version, 0)
}

/// [`read`] with offsets reported relative to `base`.
pub fn read_at(data: &[u8], version: PyVersion, base: u64) -> Result<Marshal> {
    let mut r = Reader {
        data,
        pos: 0,
        base,
        version,
        // NB: CPython's stdlib averages ~46 input bytes per node and ~2
        // nodes per reference; these first guesses cover nearly every file
        // without regrowth. Much bigger guesses cost more than they save:
        // glibc consolidates its free lists around blocks of 64 KiB and up.
        nodes: Vec::with_capacity(data.len() / 16 + 8),
        refs: Vec::with_capacity(data.len() / 32 + 8),
        depth: 0,
    };
    let root = r.object()?;
    let trailing = data[r.pos..].to_vec();
    Ok(Marshal {
        version,
        nodes: r.nodes,
        root,
        trailing,
    })
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    version: PyVersion,
    nodes: Vec<Node>,
    /// Reference table: node, and whether it is complete.
    refs: Vec<(ObjId, bool)>,
    depth: usize,
}

impl<'a> Reader<'a> {
    #[cold]
    fn err(&self, at: usize, kind: ErrorKind) -> Error {
        Error::at(self.base + at as u64, kind)
    }

    #[inline]
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(self.err(
                self.pos,
                ErrorKind::Truncated {
                    what,
                    needed: n as u64,
                    available: left as u64,
                },
            ));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[inline]
    fn byte(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    #[inline]
    fn i32(&mut self, what: &'static str) -> Result<i32> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A 32-bit size, refused when negative.
    #[inline]
    fn size(&mut self, what: &'static str) -> Result<usize> {
        let at = self.pos;
        let n = self.i32(what)?;
        if n < 0 {
            return Err(self.err(
                at,
                ErrorKind::BadLength {
                    what,
                    value: n as i64,
                },
            ));
        }
        Ok(n as usize)
    }

    /// A count of objects that follow: each takes at least one byte, so a
    /// count larger than the bytes left is refused before allocating.
    #[inline]
    fn count(&mut self, n: usize, at: usize, what: &'static str) -> Result<usize> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(self.err(
                at,
                ErrorKind::Truncated {
                    what,
                    needed: n as u64,
                    available: left as u64,
                },
            ));
        }
        Ok(n)
    }

    #[inline]
    fn push(&mut self, type_byte: u8, value: Value) -> ObjId {
        let id = ObjId(self.nodes.len() as u32);
        self.nodes.push(Node { type_byte, value });
        id
    }

    /// Enters `id` in the reference table if its type byte asks for it.
    #[inline]
    fn register(&mut self, type_byte: u8, id: ObjId, complete: bool) -> Option<usize> {
        if type_byte & tc::FLAG_REF != 0 {
            self.refs.push((id, complete));
            Some(self.refs.len() - 1)
        } else {
            None
        }
    }

    fn object(&mut self) -> Result<ObjId> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos, ErrorKind::TooDeep { limit: MAX_DEPTH }));
        }
        let r = self.object_inner();
        self.depth -= 1;
        r
    }

    fn object_inner(&mut self) -> Result<ObjId> {
        let at = self.pos;
        let type_byte = self.byte("a marshal type code")?;
        // NB: only containers recurse. Leaves are decoded in a frame of their
        // own so the recursive path stays small: 2000 levels must fit a 2 MiB
        // thread stack in debug builds (the big match alone took ~2 KiB a level).
        match type_byte & !tc::FLAG_REF {
            tc::TUPLE | tc::SMALL_TUPLE | tc::LIST | tc::SET | tc::FROZENSET => {
                self.sequence(at, type_byte)
            }
            tc::DICT => self.dict(type_byte),
            tc::CODE => self.code(at, type_byte),
            // NB: marshal writes slice objects from 3.14 (constant slices); before, the byte is invalid.
            tc::SLICE if self.version.at_least(14) => self.slice(type_byte),
            _ => self.leaf(at, type_byte),
        }
    }

    /// A non-container object: read the payload, then push and register.
    #[inline(never)]
    fn leaf(&mut self, at: usize, type_byte: u8) -> Result<ObjId> {
        let code = type_byte & !tc::FLAG_REF;
        let leaf = match code {
            tc::NONE => Value::None,
            tc::TRUE => Value::True,
            tc::FALSE => Value::False,
            tc::STOPITER => Value::StopIteration,
            tc::ELLIPSIS => Value::Ellipsis,
            tc::NULL => {
                return Err(self.err(
                    at,
                    ErrorKind::Invalid("NULL object outside a dict terminator".into()),
                ))
            }
            tc::REF => {
                let n = self.i32("a reference index")? as u32;
                return match self.refs.get(n as usize) {
                    Some(&(id, true)) => Ok(id),
                    Some(&(_, false)) => Err(self.err(at, ErrorKind::CyclicReference(n))),
                    None => Err(self.err(
                        at,
                        ErrorKind::BadReference {
                            index: n,
                            count: self.refs.len(),
                        },
                    )),
                };
            }
            tc::INT => Value::Int(self.i32("an int")? as i64),
            tc::LONG => self.long(at)?,
            tc::BINARY_FLOAT => Value::Float(self.f64("a float")?),
            tc::BINARY_COMPLEX => {
                let re = self.f64("a complex")?;
                Value::Complex(re, self.f64("a complex")?)
            }
            tc::FLOAT => Value::FloatText(self.float_text()?),
            tc::COMPLEX => {
                let re = self.float_text()?;
                Value::ComplexText(re, self.float_text()?)
            }
            tc::STRING => {
                let n = self.size("bytes length")?;
                Value::Bytes(self.take(n, "bytes data")?.into())
            }
            tc::UNICODE | tc::INTERNED => {
                let n = self.size("str length")?;
                let start = self.pos;
                let b = self.take(n, "str data")?;
                if !is_utf8_surrogatepass(b) {
                    return Err(self.err(start, ErrorKind::Invalid("str data is not UTF-8".into())));
                }
                Value::Str(b.into())
            }
            tc::ASCII | tc::ASCII_INTERNED => {
                let n = self.size("str length")?;
                Value::Str(latin1_to_utf8(self.take(n, "str data")?))
            }
            tc::SHORT_ASCII | tc::SHORT_ASCII_INTERNED => {
                let n = self.byte("str length")? as usize;
                Value::Str(latin1_to_utf8(self.take(n, "str data")?))
            }
            _ => return Err(self.err(at, ErrorKind::UnknownTypeCode(code))),
        };
        let id = self.push(type_byte, leaf);
        // NB: CPython registers only objects built by R_REF/r_ref_reserve;
        // singletons ignore the flag (it is still kept in the type byte).
        if !matches!(
            code,
            tc::NONE | tc::TRUE | tc::FALSE | tc::STOPITER | tc::ELLIPSIS
        ) {
            self.register(type_byte, id, true);
        }
        Ok(id)
    }

    fn f64(&mut self, what: &'static str) -> Result<f64> {
        let b = self.take(8, what)?;
        Ok(f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn float_text(&mut self) -> Result<Box<[u8]>> {
        let n = self.byte("float text length")? as usize;
        Ok(self.take(n, "float text")?.into())
    }

    fn long(&mut self, at: usize) -> Result<Value> {
        let n = self.i32("long digit count")?;
        let len = n.unsigned_abs() as usize;
        if len > (self.data.len() - self.pos) / 2 {
            return Err(self.err(
                at,
                ErrorKind::Truncated {
                    what: "long digits",
                    needed: 2 * len as u64,
                    available: (self.data.len() - self.pos) as u64,
                },
            ));
        }
        let mut digits = Vec::with_capacity(len);
        for _ in 0..len {
            let b = self.take(2, "long digit")?;
            let d = u16::from_le_bytes([b[0], b[1]]);
            if d > 0x7fff {
                return Err(self.err(
                    self.pos - 2,
                    ErrorKind::Invalid("long digit out of range".into()),
                ));
            }
            digits.push(d);
        }
        if digits.last() == Some(&0) {
            return Err(self.err(at, ErrorKind::Invalid("unnormalized long data".into())));
        }
        Ok(Value::Long(Box::new(Long {
            negative: n < 0,
            digits: digits.into(),
        })))
    }

    /// Reserves a node (and reference slot) before the children are read, as
    /// CPython does, so reference numbering follows pre-order.
    fn reserve(&mut self, type_byte: u8) -> (ObjId, Option<usize>) {
        let id = self.push(type_byte, Value::Null);
        let slot = self.register(type_byte, id, false);
        (id, slot)
    }

    fn finish(&mut self, id: ObjId, slot: Option<usize>, value: Value) -> ObjId {
        self.nodes[id.index()].value = value;
        if let Some(s) = slot {
            self.refs[s].1 = true;
        }
        id
    }

    fn sequence(&mut self, at: usize, type_byte: u8) -> Result<ObjId> {
        // NB: on the recursive path; the set-up and the final value are built
        // in frames of their own (see `object_inner`).
        let (id, slot, n) = self.sequence_start(at, type_byte)?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.object()?);
        }
        Ok(self.sequence_finish(id, slot, type_byte, items))
    }

    #[inline(never)]
    fn sequence_start(
        &mut self,
        at: usize,
        type_byte: u8,
    ) -> Result<(ObjId, Option<usize>, usize)> {
        let n = if type_byte & !tc::FLAG_REF == tc::SMALL_TUPLE {
            self.byte("tuple length")? as usize
        } else {
            self.size("container length")?
        };
        let n = self.count(n, at, "container items")?;
        let (id, slot) = self.reserve(type_byte);
        Ok((id, slot, n))
    }

    #[inline(never)]
    fn sequence_finish(
        &mut self,
        id: ObjId,
        slot: Option<usize>,
        type_byte: u8,
        items: Vec<ObjId>,
    ) -> ObjId {
        let value = match type_byte & !tc::FLAG_REF {
            tc::TUPLE | tc::SMALL_TUPLE => Value::Tuple(items.into()),
            tc::LIST => Value::List(items),
            tc::SET => Value::Set(items.into()),
            _ => Value::FrozenSet(items.into()),
        };
        self.finish(id, slot, value)
    }

    fn dict(&mut self, type_byte: u8) -> Result<ObjId> {
        let (id, slot) = self.reserve(type_byte);
        let mut pairs = Vec::new();
        loop {
            if self.data.get(self.pos) == Some(&tc::NULL) {
                self.pos += 1;
                break;
            }
            let k = self.object()?;
            let v = self.object()?;
            pairs.push((k, v));
        }
        Ok(self.finish(id, slot, Value::Dict(pairs)))
    }

    fn slice(&mut self, type_byte: u8) -> Result<ObjId> {
        let (id, slot) = self.reserve(type_byte);
        let a = self.object()?;
        let b = self.object()?;
        let c = self.object()?;
        Ok(self.finish(id, slot, Value::Slice([a, b, c])))
    }

    fn code(&mut self, at: usize, type_byte: u8) -> Result<ObjId> {
        // NB: on the recursive path, so the object fields go into one small
        // array and the struct is built in a frame of its own (a local per
        // field cost ~1 KiB a level in debug builds). Layout per version:
        // ints; code, consts, names, varnames/localsplusnames, then
        // freevars+cellvars (..3.10) or localspluskinds (3.11+), filename,
        // name, qualname (3.11+); firstlineno; linetable, exceptiontable (3.11+).
        let v11 = self.version.localsplus_layout();
        let (id, slot) = self.reserve(type_byte);
        let ints = self.code_ints()?;
        let mut objs = [ObjId(0); 10];
        let (first, second) = if v11 { (8, 2) } else { (8, 1) };
        for o in objs[..first].iter_mut() {
            *o = self.object()?;
        }
        let firstlineno = self.i32("co_firstlineno")?;
        for o in objs[first..first + second].iter_mut() {
            *o = self.object()?;
        }
        self.code_finish(at, id, slot, ints, firstlineno, objs)
    }

    /// argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags
    /// (0 for the ones this version does not store).
    #[inline(never)]
    fn code_ints(&mut self) -> Result<[i32; 6]> {
        let v = self.version;
        let argcount = self.i32("co_argcount")?;
        let posonlyargcount = if v.posonly() {
            self.i32("co_posonlyargcount")?
        } else {
            0
        };
        let kwonlyargcount = self.i32("co_kwonlyargcount")?;
        let nlocals = if v.localsplus_layout() {
            0
        } else {
            self.i32("co_nlocals")?
        };
        let stacksize = self.i32("co_stacksize")?;
        let flags = self.i32("co_flags")?;
        Ok([
            argcount,
            posonlyargcount,
            kwonlyargcount,
            nlocals,
            stacksize,
            flags,
        ])
    }

    #[inline(never)]
    fn code_finish(
        &mut self,
        at: usize,
        id: ObjId,
        slot: Option<usize>,
        ints: [i32; 6],
        firstlineno: i32,
        o: [ObjId; 10],
    ) -> Result<ObjId> {
        let [argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags] = ints;
        // NB: the two layouts differ only in slots 4..=7 and the tail:
        // 3.11+ stores localspluskinds, qualname and the exception table
        // where older versions store freevars and cellvars.
        let v11 = self.version.localsplus_layout();
        let c = Code {
            argcount,
            posonlyargcount,
            kwonlyargcount,
            nlocals,
            stacksize,
            flags: flags as u32,
            code: o[0],
            consts: o[1],
            names: o[2],
            varnames: o[3],
            localspluskinds: v11.then_some(o[4]),
            freevars: (!v11).then_some(o[4]),
            cellvars: (!v11).then_some(o[5]),
            filename: if v11 { o[5] } else { o[6] },
            name: if v11 { o[6] } else { o[7] },
            qualname: v11.then_some(o[7]),
            firstlineno,
            linetable: o[8],
            exceptiontable: v11.then_some(o[9]),
        };
        self.check_code_fields(at, &c)?;
        Ok(self.finish(id, slot, Value::Code(Box::new(c))))
    }

    /// The field types CPython's reader insists on (it would fail in
    /// `PyCode_New*` otherwise), so later stages can rely on them.
    fn check_code_fields(&self, at: usize, c: &Code) -> Result<()> {
        let is_bytes = |id: ObjId| matches!(self.nodes[id.index()].value, Value::Bytes(_));
        let is_str = |id: ObjId| matches!(self.nodes[id.index()].value, Value::Str(_));
        let is_tuple = |id: ObjId| matches!(self.nodes[id.index()].value, Value::Tuple(_));
        let bad = |expected: &'static str, id: ObjId| {
            self.err(
                at,
                ErrorKind::UnexpectedType {
                    expected,
                    found: describe(&self.nodes[id.index()].value).to_string(),
                },
            )
        };
        if !is_bytes(c.code) {
            return Err(bad("bytes for co_code", c.code));
        }
        if !is_tuple(c.consts) {
            return Err(bad("tuple for co_consts", c.consts));
        }
        for (what, id) in [
            ("tuple for co_names", c.names),
            ("tuple for co_varnames", c.varnames),
        ] {
            if !is_tuple(id) {
                return Err(bad(what, id));
            }
        }
        if !is_str(c.filename) {
            return Err(bad("str for co_filename", c.filename));
        }
        if !is_str(c.name) {
            return Err(bad("str for co_name", c.name));
        }
        if !is_bytes(c.linetable) {
            return Err(bad("bytes for the line table", c.linetable));
        }
        if let Some(q) = c.qualname {
            if !is_str(q) {
                return Err(bad("str for co_qualname", q));
            }
        }
        if let Some(k) = c.localspluskinds {
            if !is_bytes(k) {
                return Err(bad("bytes for co_localspluskinds", k));
            }
        }
        if let Some(e) = c.exceptiontable {
            if !is_bytes(e) {
                return Err(bad("bytes for co_exceptiontable", e));
            }
        }
        self.check_code_contents(at, c)
    }

    /// What CPython's code constructor refuses beyond field types (checked
    /// against 3.8..3.14): non-str names, negative or inconsistent counts,
    /// and on 3.11+ a kinds table of the wrong length or an odd-length
    /// co_code. NB: 3.8 aborts the whole interpreter on a non-str name.
    #[inline(never)]
    fn check_code_contents(&self, at: usize, c: &Code) -> Result<()> {
        let name_tuples: [(&'static str, Option<ObjId>); 4] = [
            ("str items in co_names", Some(c.names)),
            ("str items in co_varnames", Some(c.varnames)),
            ("str items in co_freevars", c.freevars),
            ("str items in co_cellvars", c.cellvars),
        ];
        for (expected, t) in name_tuples {
            let Some(t) = t else { continue };
            let Value::Tuple(items) = &self.nodes[t.index()].value else {
                continue;
            };
            for &i in items.iter() {
                let v = &self.nodes[i.index()].value;
                if !matches!(v, Value::Str(_)) {
                    return Err(self.err(
                        at,
                        ErrorKind::UnexpectedType {
                            expected,
                            found: describe(v).to_string(),
                        },
                    ));
                }
            }
        }
        let counts = [
            ("co_argcount", c.argcount),
            ("co_posonlyargcount", c.posonlyargcount),
            ("co_kwonlyargcount", c.kwonlyargcount),
            ("co_nlocals", c.nlocals),
            ("co_stacksize", c.stacksize),
            ("co_flags", c.flags as i32),
        ];
        for (what, n) in counts {
            if n < 0 {
                return Err(self.err(
                    at,
                    ErrorKind::BadLength {
                        what,
                        value: n as i64,
                    },
                ));
            }
        }
        if c.posonlyargcount > c.argcount {
            return Err(self.err(
                at,
                ErrorKind::BadLength {
                    what: "co_posonlyargcount (more than co_argcount)",
                    value: c.posonlyargcount as i64,
                },
            ));
        }
        if let Some(k) = c.localspluskinds {
            let names = match &self.nodes[c.varnames.index()].value {
                Value::Tuple(t) => t.len(),
                _ => 0,
            };
            let kinds = match &self.nodes[k.index()].value {
                Value::Bytes(b) => b.len(),
                _ => 0,
            };
            if names != kinds {
                return Err(self.err(
                    at,
                    ErrorKind::Invalid(format!(
                        "co_localspluskinds has {kinds} entries for {names} co_localsplusnames"
                    )),
                ));
            }
            if let Value::Bytes(b) = &self.nodes[c.code.index()].value {
                if b.len() % 2 != 0 {
                    return Err(self.err(
                        at,
                        ErrorKind::BadLength {
                            what: "co_code length (odd)",
                            value: b.len() as i64,
                        },
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A short name for the kind of a value, for error messages.
pub fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::None => "None",
        Value::False | Value::True => "bool",
        Value::StopIteration => "StopIteration",
        Value::Ellipsis => "Ellipsis",
        Value::Int(_) | Value::Long(_) => "int",
        Value::Float(_) | Value::FloatText(_) => "float",
        Value::Complex(..) | Value::ComplexText(..) => "complex",
        Value::Bytes(_) => "bytes",
        Value::Str(_) => "str",
        Value::Tuple(_) => "tuple",
        Value::List(_) => "list",
        Value::Dict(_) => "dict",
        Value::Set(_) => "set",
        Value::FrozenSet(_) => "frozenset",
        Value::Code(_) => "code",
        Value::Slice(_) => "slice",
    }
}

/// The text of an ASCII-form str as UTF-8. NB: CPython decodes these forms
/// as latin-1, so a stray byte >= 0x80 is that code point; keeping the raw
/// byte would make `Value::Str` hold non-UTF-8 that the writer then emits
/// under `TYPE_UNICODE` with another meaning.
fn latin1_to_utf8(b: &[u8]) -> Box<[u8]> {
    if b.is_ascii() {
        return b.into();
    }
    b.iter()
        .map(|&c| char::from(c))
        .collect::<String>()
        .into_bytes()
        .into_boxed_slice()
}

/// UTF-8 that may also encode lone surrogates (U+D800..U+DFFF), as
/// CPython's `surrogatepass` handler writes them.
pub fn is_utf8_surrogatepass(b: &[u8]) -> bool {
    if b.is_ascii() || std::str::from_utf8(b).is_ok() {
        return true;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let (len, min) = match c {
            0x00..=0x7f => (1, 0),
            0xc2..=0xdf => (2, 0x80),
            0xe0..=0xef => (3, 0x800),
            0xf0..=0xf4 => (4, 0x10000),
            _ => return false,
        };
        if i + len > b.len() {
            return false;
        }
        let mut cp = if len == 1 {
            c as u32
        } else {
            (c as u32) & (0x7f >> len)
        };
        for &x in &b[i + 1..i + len] {
            if x & 0xc0 != 0x80 {
                return false;
            }
            cp = (cp << 6) | (x & 0x3f) as u32;
        }
        if cp < min || cp > 0x10ffff {
            return false;
        }
        i += len;
    }
    true
}
