//! Located errors: every failure names the byte offset (and, once known, the
//! file) and says what was expected there.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong, without location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before `what` could be read.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes left.
        available: u64,
    },
    /// The first four bytes are not a known CPython magic number.
    UnknownMagic {
        /// The magic as read (little-endian u16 and the `\r\n` tail).
        magic: [u8; 4],
        /// The closest known version, by magic number.
        nearest: String,
    },
    /// A marshal type code no CPython writes.
    UnknownTypeCode(u8),
    /// A `TYPE_REF` to an index not (yet) in the reference table.
    BadReference {
        /// The index read.
        index: u32,
        /// How many references existed at that point.
        count: usize,
    },
    /// A `TYPE_REF` to an object that is still being read (a cycle).
    CyclicReference(u32),
    /// Nesting deeper than CPython's marshal allows.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A length, size or count that is negative or out of range.
    BadLength {
        /// What the length was for.
        what: &'static str,
        /// The value read.
        value: i64,
    },
    /// A value of the wrong marshal type where a specific one is required.
    UnexpectedType {
        /// What was expected, e.g. "bytes for co_code".
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// Anything else that makes the data invalid.
    Invalid(String),
    /// Data left after the top-level object.
    TrailingData(u64),
    /// A CPython version pyrewrite does not handle for this operation.
    Unsupported(String),
    /// An I/O failure.
    Io(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { what, needed, available } => write!(
                f,
                "truncated input: expected {needed} byte(s) for {what}, found {available}"
            ),
            ErrorKind::UnknownMagic { magic, nearest } => write!(
                f,
                "unknown magic number {:02x}{:02x}{:02x}{:02x} (decimal {}); nearest known: {nearest}",
                magic[0],
                magic[1],
                magic[2],
                magic[3],
                u16::from_le_bytes([magic[0], magic[1]])
            ),
            ErrorKind::UnknownTypeCode(c) => {
                if c.is_ascii_graphic() {
                    write!(f, "unknown marshal type code {:#04x} ('{}')", c, *c as char)
                } else {
                    write!(f, "unknown marshal type code {:#04x}", c)
                }
            }
            ErrorKind::BadReference { index, count } => write!(
                f,
                "reference to missing object #{index} (only {count} object(s) recorded so far)"
            ),
            ErrorKind::CyclicReference(i) => {
                write!(f, "reference to object #{i} which is still being read (cycle)")
            }
            ErrorKind::TooDeep { limit } => {
                write!(f, "objects nested deeper than marshal allows ({limit} levels)")
            }
            ErrorKind::BadLength { what, value } => write!(f, "invalid {what}: {value}"),
            ErrorKind::UnexpectedType { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            ErrorKind::Invalid(s) => f.write_str(s),
            ErrorKind::TrailingData(n) => write!(f, "{n} byte(s) of trailing data after the code object"),
            ErrorKind::Unsupported(s) => write!(f, "unsupported: {s}"),
            ErrorKind::Io(s) => f.write_str(s),
        }
    }
}

/// An error with its location: the file (when known) and byte offset.
///
/// NB: boxed so that `Result<T, Error>` stays one pointer wide on the hot
/// read path (wasmparser does the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    path: Option<PathBuf>,
    context: Vec<String>,
    site: Option<PassSite>,
}

/// Where in a pipeline an error arose: which pass, on which code object,
/// and whether the pass refused or the verifier rejected its output.
/// NB: kept as data (not only context text) so that the Python layer can
/// raise `PassError`/`VerifyError` with `.pass_name` and `.code_object`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassSite {
    /// The pass name (`inject-hook`).
    pub pass: &'static str,
    /// The qualified name of the code object it was working on.
    pub code_object: String,
    /// What the verifier found wrong with the pass's output, each problem
    /// with its rule and location; empty when the pass itself refused.
    pub problems: Vec<crate::verify::VerifierError>,
}

impl PassSite {
    /// True when the verifier rejected the pass's output (rather than the
    /// pass refusing).
    pub fn is_verifier(&self) -> bool {
        !self.problems.is_empty()
    }
}

impl Error {
    /// An error at a byte offset.
    #[cold]
    pub fn at(offset: u64, kind: ErrorKind) -> Self {
        Error(Box::new(Inner {
            kind,
            offset: Some(offset),
            path: None,
            context: Vec::new(),
            site: None,
        }))
    }

    /// An error with no byte location.
    #[cold]
    pub fn new(kind: ErrorKind) -> Self {
        Error(Box::new(Inner {
            kind,
            offset: None,
            path: None,
            context: Vec::new(),
            site: None,
        }))
    }

    /// Attaches the file the error came from.
    #[cold]
    pub fn in_file(mut self, path: &Path) -> Self {
        if self.0.path.is_none() {
            self.0.path = Some(path.to_path_buf());
        }
        self
    }

    /// Adds a context line, innermost first (e.g. "in code object 'f'").
    #[cold]
    pub fn context(mut self, what: impl Into<String>) -> Self {
        self.0.context.push(what.into());
        self
    }

    /// Records the pipeline step the error arose in (the first one wins).
    #[cold]
    pub fn in_pass(mut self, site: PassSite) -> Self {
        if self.0.site.is_none() {
            self.0.site = Some(site);
        }
        self
    }

    /// The pipeline step the error arose in, if it came from a pass.
    pub fn pass_site(&self) -> Option<&PassSite> {
        self.0.site.as_ref()
    }

    /// The context lines, innermost first.
    pub fn contexts(&self) -> &[String] {
        &self.0.context
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Byte offset in the file, if known.
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The file, if known.
    pub fn path(&self) -> Option<&Path> {
        self.0.path.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.0.path {
            write!(f, "{}: ", p.display())?;
        }
        write!(f, "{}", self.0.kind)?;
        if let Some(o) = self.0.offset {
            write!(f, " (at offset {o:#x})")?;
        }
        // NB: one line per verifier problem, each with its rule and place.
        for p in self.0.site.iter().flat_map(|s| &s.problems) {
            write!(f, "\n  {p}")?;
        }
        for c in &self.0.context {
            write!(f, "\n  {c}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    #[cold]
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io(e.to_string()))
    }
}

/// Result with pyrewrite's located error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
