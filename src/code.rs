//! Per-version view of a code object: the attributes Python exposes
//! (`co_varnames`, `co_cellvars`, `co_nlocals`, `co_qualname`, ...),
//! derived the way each version derives them from what marshal stores.

use crate::marshal::{Code, Marshal, ObjId, Value};
use crate::version::PyVersion;
use std::borrow::Cow;

/// `co_localspluskinds` bits (3.11+).
pub mod fast {
    /// A function argument (3.13+ details: positional/keyword/var).
    pub const ARG_POS: u8 = 0x02;
    /// Keyword argument (3.13+).
    pub const ARG_KW: u8 = 0x04;
    /// `*args`/`**kwargs` (3.13+).
    pub const ARG_VAR: u8 = 0x08;
    /// Hidden local of an inlined comprehension (3.12+).
    pub const HIDDEN: u8 = 0x10;
    /// A plain local (in `co_varnames`).
    pub const LOCAL: u8 = 0x20;
    /// A cell variable (in `co_cellvars`).
    pub const CELL: u8 = 0x40;
    /// A free variable (in `co_freevars`).
    pub const FREE: u8 = 0x80;
}

/// `co_flags` bits by name, as `dis.COMPILER_FLAG_NAMES` lists them, plus
/// the `__future__` flags.
pub const FLAG_NAMES: &[(u32, &str)] = &[
    (0x0001, "OPTIMIZED"),
    (0x0002, "NEWLOCALS"),
    (0x0004, "VARARGS"),
    (0x0008, "VARKEYWORDS"),
    (0x0010, "NESTED"),
    (0x0020, "GENERATOR"),
    (0x0040, "NOFREE"),
    (0x0080, "COROUTINE"),
    (0x0100, "ITERABLE_COROUTINE"),
    (0x0200, "ASYNC_GENERATOR"),
    (0x2_0000, "FUTURE_DIVISION"),
    (0x4_0000, "FUTURE_ABSOLUTE_IMPORT"),
    (0x8_0000, "FUTURE_WITH_STATEMENT"),
    (0x10_0000, "FUTURE_PRINT_FUNCTION"),
    (0x20_0000, "FUTURE_UNICODE_LITERALS"),
    (0x40_0000, "FUTURE_BARRY_AS_BDFL"),
    (0x80_0000, "FUTURE_GENERATOR_STOP"),
    (0x100_0000, "FUTURE_ANNOTATIONS"),
    (0x400_0000, "HAS_DOCSTRING"),
    (0x800_0000, "METHOD"),
];

/// The names of the set bits of `co_flags`; unknown bits as hex.
pub fn flag_names(flags: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = flags;
    for &(bit, name) in FLAG_NAMES {
        if flags & bit != 0 {
            out.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        out.push(format!("{rest:#x}"));
    }
    out
}

/// Generator, coroutine or async generator flags.
pub const GENERATOR_LIKE: u32 = 0x20 | 0x80 | 0x100 | 0x200;

/// A borrowed code object with its arena, answering Python's attributes.
#[derive(Clone, Copy)]
pub struct CodeView<'a> {
    /// The arena.
    pub m: &'a Marshal,
    /// The code object's node.
    pub id: ObjId,
    /// Its fields.
    pub code: &'a Code,
}

impl<'a> CodeView<'a> {
    /// The view of node `id`, if it is a code object.
    pub fn new(m: &'a Marshal, id: ObjId) -> Option<Self> {
        match m.get(id) {
            Value::Code(code) => Some(CodeView { m, id, code }),
            _ => None,
        }
    }

    /// The version whose layout the code object uses.
    pub fn version(&self) -> PyVersion {
        self.m.version
    }

    fn text(&self, id: ObjId) -> Cow<'a, str> {
        self.m.str(id).unwrap_or(Cow::Borrowed("?"))
    }

    fn texts(&self, id: ObjId) -> Vec<Cow<'a, str>> {
        self.m.items(id).iter().map(|&i| self.text(i)).collect()
    }

    /// `co_name`.
    pub fn name(&self) -> Cow<'a, str> {
        self.text(self.code.name)
    }

    /// `co_qualname` as stored (3.11+), else `None`.
    pub fn stored_qualname(&self) -> Option<Cow<'a, str>> {
        self.code.qualname.map(|q| self.text(q))
    }

    /// `co_filename`.
    pub fn filename(&self) -> Cow<'a, str> {
        self.text(self.code.filename)
    }

    /// `co_code`.
    pub fn bytecode(&self) -> &'a [u8] {
        self.m.bytes(self.code.code).unwrap_or(&[])
    }

    /// `co_consts` items.
    pub fn consts(&self) -> &'a [ObjId] {
        self.m.items(self.code.consts)
    }

    /// `co_names`.
    pub fn names(&self) -> Vec<Cow<'a, str>> {
        self.texts(self.code.names)
    }

    /// The line table bytes (`co_lnotab` before 3.10, `co_linetable` after).
    pub fn linetable(&self) -> &'a [u8] {
        self.m.bytes(self.code.linetable).unwrap_or(&[])
    }

    /// `co_exceptiontable` (empty before 3.11).
    pub fn exceptiontable(&self) -> &'a [u8] {
        self.code
            .exceptiontable
            .and_then(|e| self.m.bytes(e))
            .unwrap_or(&[])
    }

    /// `co_localspluskinds` (3.11+), empty before.
    pub fn localspluskinds(&self) -> &'a [u8] {
        self.code
            .localspluskinds
            .and_then(|k| self.m.bytes(k))
            .unwrap_or(&[])
    }

    /// `co_localsplusnames` on 3.11+; on older versions the concatenation
    /// varnames + cellvars + freevars (the index space of LOAD_FAST and
    /// LOAD_DEREF together).
    pub fn localsplus_names(&self) -> Vec<Cow<'a, str>> {
        let mut v = self.texts(self.code.varnames);
        if !self.version().localsplus_layout() {
            if let Some(c) = self.code.cellvars {
                v.extend(self.texts(c));
            }
            if let Some(f) = self.code.freevars {
                v.extend(self.texts(f));
            }
        }
        v
    }

    fn with_kind(&self, bit: u8) -> Vec<Cow<'a, str>> {
        let kinds = self.localspluskinds();
        self.m
            .items(self.code.varnames)
            .iter()
            .zip(kinds)
            .filter(|(_, &k)| k & bit != 0)
            .map(|(&n, _)| self.text(n))
            .collect()
    }

    /// `co_varnames`.
    pub fn varnames(&self) -> Vec<Cow<'a, str>> {
        if self.version().localsplus_layout() {
            self.with_kind(fast::LOCAL)
        } else {
            self.texts(self.code.varnames)
        }
    }

    /// `co_cellvars`.
    pub fn cellvars(&self) -> Vec<Cow<'a, str>> {
        match (self.version().localsplus_layout(), self.code.cellvars) {
            (true, _) => self.with_kind(fast::CELL),
            (false, Some(c)) => self.texts(c),
            (false, None) => Vec::new(),
        }
    }

    /// `co_freevars`.
    pub fn freevars(&self) -> Vec<Cow<'a, str>> {
        match (self.version().localsplus_layout(), self.code.freevars) {
            (true, _) => self.with_kind(fast::FREE),
            (false, Some(f)) => self.texts(f),
            (false, None) => Vec::new(),
        }
    }

    /// `co_nlocals`.
    pub fn nlocals(&self) -> i32 {
        if self.version().localsplus_layout() {
            self.localspluskinds()
                .iter()
                .filter(|&&k| k & fast::LOCAL != 0)
                .count() as i32
        } else {
            self.code.nlocals
        }
    }

    /// Nested code objects in `co_consts`, in order.
    pub fn children(&self) -> Vec<CodeView<'a>> {
        self.consts()
            .iter()
            .filter_map(|&c| CodeView::new(self.m, c))
            .collect()
    }

    /// Whether this is a function-like body (its children get `<locals>`).
    pub fn is_function(&self) -> bool {
        self.code.flags & 0x0002 != 0 // CO_NEWLOCALS
    }
}

/// Qualified names of every code object, keyed by node: `co_qualname` on
/// 3.11+, and on older versions computed from the nesting as CPython's
/// compiler computes `__qualname__` (class bodies add `.`, functions add
/// `.<locals>.`). NB: a nested `global` declaration of the function's own
/// name makes CPython use the bare name; that case is not visible in the
/// bytecode's nesting and is not reproduced.
pub fn qualnames(m: &Marshal) -> Vec<(ObjId, String)> {
    qualnames_rooted(m, None)
}

/// As [`qualnames`], for a root that is a module (`root_qualname` `None`)
/// or a function or class body of that qualified name (a live function's
/// code marshalled on its own).
pub fn qualnames_rooted(m: &Marshal, root_qualname: Option<&str>) -> Vec<(ObjId, String)> {
    let mut out = Vec::new();
    let Some(root) = CodeView::new(m, m.root) else {
        return out;
    };
    let mut stack = vec![(
        root,
        root_qualname.unwrap_or_default().to_string(),
        root_qualname.is_none(),
    )];
    while let Some((cv, qn, is_module)) = stack.pop() {
        let own = if let Some(q) = cv.stored_qualname() {
            q.into_owned()
        } else if is_module {
            cv.name().into_owned()
        } else {
            qn
        };
        for child in cv.children().into_iter().rev() {
            let name = child.name();
            let q = if is_module {
                name.into_owned()
            } else if cv.is_function()
                && !matches!(
                    &*cv.name(),
                    "<listcomp>" | "<setcomp>" | "<dictcomp>" | "<genexpr>"
                )
            {
                format!("{own}.<locals>.{name}")
            } else {
                format!("{own}.{name}")
            };
            stack.push((child, q, false));
        }
        out.push((cv.id, own));
    }
    out
}
