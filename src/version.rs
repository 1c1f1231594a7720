//! CPython versions, as `major.minor`: the unit every format and opcode fact is keyed by.

use std::fmt;

/// A CPython feature release (`3.12`), the granularity at which the bytecode
/// and marshal formats change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyVersion {
    /// Major number (always 3 for what pyrewrite reads).
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

impl PyVersion {
    /// `PyVersion::new(3, 12)`.
    pub const fn new(major: u8, minor: u8) -> Self {
        PyVersion { major, minor }
    }

    /// True when this version is at least `3.minor`.
    pub const fn at_least(self, minor: u8) -> bool {
        self.major > 3 || (self.major == 3 && self.minor >= minor)
    }

    /// 3.11+ code objects: `co_localsplusnames`/`co_localspluskinds`,
    /// `co_qualname`, `co_exceptiontable` and the location table; no
    /// `co_nlocals`, `co_varnames`, `co_cellvars` or `co_freevars`.
    /// NB: the one place that says which version changed the code layout.
    pub const fn localsplus_layout(self) -> bool {
        self.at_least(11)
    }

    /// 3.8/3.9 `co_lnotab`: line records only, no "no line", and a record
    /// opens at every statement start (`Instr::starts_line`).
    pub const fn lnotab(self) -> bool {
        !self.at_least(10)
    }

    /// 3.8+: code objects store `co_posonlyargcount`.
    pub const fn posonly(self) -> bool {
        self.at_least(8)
    }

    /// 3.7+ (PEP 552): the `.pyc` header has a flags word.
    pub const fn pyc_flags(self) -> bool {
        self.at_least(7)
    }

    /// Parses `"3.12"` (or `"3.12.1"`, ignoring the micro number).
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        Some(PyVersion { major, minor })
    }

    /// The versions pyrewrite writes and checks against real interpreters.
    pub const SUPPORTED: [PyVersion; 7] = [
        PyVersion::new(3, 8),
        PyVersion::new(3, 9),
        PyVersion::new(3, 10),
        PyVersion::new(3, 11),
        PyVersion::new(3, 12),
        PyVersion::new(3, 13),
        PyVersion::new(3, 14),
    ];
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
