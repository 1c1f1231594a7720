//! The marshal object model: an arena of nodes addressed by [`ObjId`].
//!
//! NB: a node records the type byte it was read with (including FLAG_REF),
//! so an unchanged tree is written back byte for byte. A `TYPE_REF` is not a
//! node of its own: the parent simply points at the earlier node again, and
//! the writer emits a reference when it meets an already-written flagged
//! node. That keeps sharing explicit and makes edits safe: if a pass removes
//! the first occurrence, the writer inlines the object where it next meets it.

use crate::version::PyVersion;

/// Marshal type codes (Python/marshal.c).
#[allow(missing_docs)]
pub mod tc {
    pub const NULL: u8 = b'0';
    pub const NONE: u8 = b'N';
    pub const FALSE: u8 = b'F';
    pub const TRUE: u8 = b'T';
    pub const STOPITER: u8 = b'S';
    pub const ELLIPSIS: u8 = b'.';
    pub const INT: u8 = b'i';
    /// Only written by Python 2 (64-bit int); read for completeness.
    pub const INT64: u8 = b'I';
    pub const FLOAT: u8 = b'f';
    pub const BINARY_FLOAT: u8 = b'g';
    pub const COMPLEX: u8 = b'x';
    pub const BINARY_COMPLEX: u8 = b'y';
    pub const LONG: u8 = b'l';
    pub const STRING: u8 = b's';
    pub const INTERNED: u8 = b't';
    pub const REF: u8 = b'r';
    pub const TUPLE: u8 = b'(';
    pub const LIST: u8 = b'[';
    pub const DICT: u8 = b'{';
    pub const CODE: u8 = b'c';
    pub const UNICODE: u8 = b'u';
    pub const UNKNOWN: u8 = b'?';
    pub const SET: u8 = b'<';
    pub const FROZENSET: u8 = b'>';
    pub const ASCII: u8 = b'a';
    pub const ASCII_INTERNED: u8 = b'A';
    pub const SMALL_TUPLE: u8 = b')';
    pub const SHORT_ASCII: u8 = b'z';
    pub const SHORT_ASCII_INTERNED: u8 = b'Z';
    /// 3.14+: slice constants.
    pub const SLICE: u8 = b':';
    /// Set on an object's type byte when it goes into the reference table.
    pub const FLAG_REF: u8 = 0x80;
}

/// Index of a node in a [`Marshal`] arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(pub u32);

impl ObjId {
    /// The arena index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A Python `int` too big for `TYPE_INT`: base-2**15 digits, least
/// significant first, as marshal stores them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Long {
    /// True for negative numbers.
    pub negative: bool,
    /// 15-bit digits, least significant first.
    pub digits: Box<[u16]>,
}

/// A value in the arena. Containers hold [`ObjId`]s.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `TYPE_NULL`, the end marker of dicts (never a value of its own).
    Null,
    /// `None`.
    None,
    /// `False`.
    False,
    /// `True`.
    True,
    /// `StopIteration`.
    StopIteration,
    /// `...`.
    Ellipsis,
    /// An int that fits 32 bits (`TYPE_INT`, or `TYPE_INT64` from Python 2).
    Int(i64),
    /// A bigger int.
    Long(Box<Long>),
    /// A float (`TYPE_BINARY_FLOAT`), bits preserved exactly.
    Float(f64),
    /// A complex number (`TYPE_BINARY_COMPLEX`).
    Complex(f64, f64),
    /// A float in the old text form (`TYPE_FLOAT`), text kept as read.
    FloatText(Box<[u8]>),
    /// A complex in the old text form (`TYPE_COMPLEX`): real and imaginary text.
    ComplexText(Box<[u8]>, Box<[u8]>),
    /// `bytes` (`TYPE_STRING`).
    Bytes(Box<[u8]>),
    /// `str`, as the raw bytes marshal stored: UTF-8 with surrogates passed
    /// through for `u`/`t`, ASCII for the `a`/`z` forms.
    Str(Box<[u8]>),
    /// A tuple (normal or small form, see the node's type code).
    Tuple(Box<[ObjId]>),
    /// A list.
    List(Vec<ObjId>),
    /// A dict, as key/value pairs in order.
    Dict(Vec<(ObjId, ObjId)>),
    /// A set.
    Set(Box<[ObjId]>),
    /// A frozenset, elements in the order marshal stored them.
    FrozenSet(Box<[ObjId]>),
    /// A code object.
    Code(Box<Code>),
    /// A slice (3.14+): start, stop, step.
    Slice([ObjId; 3]),
}

/// One arena entry: the value and the type byte it was (or will be) written with.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The type byte, FLAG_REF included.
    pub type_byte: u8,
    /// The value.
    pub value: Value,
}

impl Node {
    /// The type code without FLAG_REF.
    #[inline]
    pub fn type_code(&self) -> u8 {
        self.type_byte & !tc::FLAG_REF
    }
    /// Whether the object is entered in the reference table.
    #[inline]
    pub fn flag_ref(&self) -> bool {
        self.type_byte & tc::FLAG_REF != 0
    }
}

/// A code object: every field of every supported layout. Fields that a
/// version lacks are zero or `None` (see [`crate::code`] for the per-version
/// view).
#[derive(Clone, Debug, PartialEq)]
pub struct Code {
    /// `co_argcount`.
    pub argcount: i32,
    /// `co_posonlyargcount` (3.8+).
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: i32,
    /// `co_nlocals` (stored up to 3.10; derived from localsplus after).
    pub nlocals: i32,
    /// `co_stacksize`.
    pub stacksize: i32,
    /// `co_flags`.
    pub flags: u32,
    /// `co_code` (bytes).
    pub code: ObjId,
    /// `co_consts` (tuple).
    pub consts: ObjId,
    /// `co_names` (tuple of str).
    pub names: ObjId,
    /// `co_varnames` up to 3.10, `co_localsplusnames` from 3.11.
    pub varnames: ObjId,
    /// `co_localspluskinds` (bytes, 3.11+).
    pub localspluskinds: Option<ObjId>,
    /// `co_freevars` (up to 3.10).
    pub freevars: Option<ObjId>,
    /// `co_cellvars` (up to 3.10).
    pub cellvars: Option<ObjId>,
    /// `co_filename`.
    pub filename: ObjId,
    /// `co_name`.
    pub name: ObjId,
    /// `co_qualname` (3.11+).
    pub qualname: Option<ObjId>,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_lnotab` (up to 3.9), `co_linetable` (3.10+).
    pub linetable: ObjId,
    /// `co_exceptiontable` (3.11+).
    pub exceptiontable: Option<ObjId>,
}

/// A decoded marshal stream: the arena, its root and the trailing bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Marshal {
    /// The CPython version whose code-object layout the stream uses.
    pub version: PyVersion,
    /// All nodes, in reading order for what was read.
    pub nodes: Vec<Node>,
    /// The top-level object.
    pub root: ObjId,
    /// Bytes after the top-level object, kept so files round-trip exactly.
    pub trailing: Vec<u8>,
}

impl Marshal {
    /// An empty arena for `version` (root is invalid until set).
    pub fn new(version: PyVersion) -> Self {
        Marshal {
            version,
            nodes: Vec::new(),
            root: ObjId(0),
            trailing: Vec::new(),
        }
    }

    /// The node for an id.
    #[inline]
    pub fn node(&self, id: ObjId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The value for an id.
    #[inline]
    pub fn get(&self, id: ObjId) -> &Value {
        &self.nodes[id.index()].value
    }

    /// Mutable value for an id.
    #[inline]
    pub fn get_mut(&mut self, id: ObjId) -> &mut Value {
        &mut self.nodes[id.index()].value
    }

    /// Adds a node with an explicit type byte.
    pub fn push_node(&mut self, type_byte: u8, value: Value) -> ObjId {
        let id = ObjId(self.nodes.len() as u32);
        self.nodes.push(Node { type_byte, value });
        id
    }

    /// Adds a new value with the type code CPython would choose for it
    /// (no FLAG_REF: new objects are never shared implicitly).
    pub fn push(&mut self, value: Value) -> ObjId {
        let t = canonical_type_code(&value);
        self.push_node(t, value)
    }

    /// The root code object, if the root is one.
    pub fn root_code(&self) -> Option<&Code> {
        match self.get(self.root) {
            Value::Code(c) => Some(c),
            _ => None,
        }
    }

    /// Items of a tuple/list/set/frozenset node (empty for other values).
    pub fn items(&self, id: ObjId) -> &[ObjId] {
        match self.get(id) {
            Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => v,
            Value::List(v) => v,
            _ => &[],
        }
    }

    /// The text of a str node (lossy for lone surrogates), or `None`.
    pub fn str(&self, id: ObjId) -> Option<std::borrow::Cow<'_, str>> {
        match self.get(id) {
            Value::Str(b) => Some(String::from_utf8_lossy(b)),
            _ => None,
        }
    }

    /// The bytes of a bytes node, or `None`.
    pub fn bytes(&self, id: ObjId) -> Option<&[u8]> {
        match self.get(id) {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Every code object reachable from the root, depth first in `co_consts`
    /// order (the order `dis` recurses in), with its nesting depth.
    pub fn code_objects(&self) -> Vec<(ObjId, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root, 0usize)];
        while let Some((id, depth)) = stack.pop() {
            if let Value::Code(c) = self.get(id) {
                out.push((id, depth));
                for &k in self.items(c.consts).iter().rev() {
                    if matches!(self.get(k), Value::Code(_)) {
                        stack.push((k, depth + 1));
                    }
                }
            }
        }
        out
    }
}

/// The type code CPython's marshal picks for a fresh value (no FLAG_REF).
pub fn canonical_type_code(value: &Value) -> u8 {
    match value {
        Value::Null => tc::NULL,
        Value::None => tc::NONE,
        Value::False => tc::FALSE,
        Value::True => tc::TRUE,
        Value::StopIteration => tc::STOPITER,
        Value::Ellipsis => tc::ELLIPSIS,
        Value::Int(i) => {
            if i32::try_from(*i).is_ok() {
                tc::INT
            } else {
                tc::LONG
            }
        }
        Value::Long(_) => tc::LONG,
        Value::Float(_) => tc::BINARY_FLOAT,
        Value::Complex(..) => tc::BINARY_COMPLEX,
        Value::FloatText(_) => tc::FLOAT,
        Value::ComplexText(..) => tc::COMPLEX,
        Value::Bytes(_) => tc::STRING,
        Value::Str(b) => {
            if b.is_ascii() {
                if b.len() < 256 {
                    tc::SHORT_ASCII
                } else {
                    tc::ASCII
                }
            } else {
                tc::UNICODE
            }
        }
        Value::Tuple(v) => {
            if v.len() < 256 {
                tc::SMALL_TUPLE
            } else {
                tc::TUPLE
            }
        }
        Value::List(_) => tc::LIST,
        Value::Dict(_) => tc::DICT,
        Value::Set(_) => tc::SET,
        Value::FrozenSet(_) => tc::FROZENSET,
        Value::Code(_) => tc::CODE,
        Value::Slice(_) => tc::SLICE,
    }
}
