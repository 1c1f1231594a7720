//! `.pyc` files: the header (magic number, PEP 552 flags and fields) and
//! the marshalled module code object, both kept exactly as read.

use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{self, Marshal};
use crate::version::PyVersion;
use std::path::Path;

/// One feature release's magic numbers: every number its alphas, betas and
/// finals used (`first..=last`), the last being the final release's.
#[derive(Clone, Copy, Debug)]
pub struct MagicRange {
    /// The version.
    pub version: PyVersion,
    /// First magic number of the development cycle.
    pub first: u16,
    /// The magic number of the final release.
    pub last: u16,
}

/// Magic number ranges, from the table in CPython's
/// `Lib/importlib/_bootstrap_external.py` (up to 3.13) and
/// `Include/internal/pycore_magic_number.h` (3.14+). 3.15 is open-ended:
/// its final number is not fixed yet, so everything up to 3.16's 3700 maps to it.
pub const MAGIC_RANGES: &[MagicRange] = &[
    MagicRange {
        version: PyVersion::new(3, 6),
        first: 3360,
        last: 3379,
    },
    MagicRange {
        version: PyVersion::new(3, 7),
        first: 3390,
        last: 3394,
    },
    MagicRange {
        version: PyVersion::new(3, 8),
        first: 3400,
        last: 3413,
    },
    MagicRange {
        version: PyVersion::new(3, 9),
        first: 3420,
        last: 3425,
    },
    MagicRange {
        version: PyVersion::new(3, 10),
        first: 3430,
        last: 3439,
    },
    MagicRange {
        version: PyVersion::new(3, 11),
        first: 3450,
        last: 3495,
    },
    MagicRange {
        version: PyVersion::new(3, 12),
        first: 3500,
        last: 3531,
    },
    MagicRange {
        version: PyVersion::new(3, 13),
        first: 3550,
        last: 3571,
    },
    MagicRange {
        version: PyVersion::new(3, 14),
        first: 3600,
        last: 3627,
    },
    MagicRange {
        version: PyVersion::new(3, 15),
        first: 3650,
        last: 3699,
    },
];

/// The magic number CPython's final release of `v` writes.
pub fn final_magic(v: PyVersion) -> Option<u16> {
    MAGIC_RANGES.iter().find(|r| r.version == v).map(|r| r.last)
}

/// The version a magic number belongs to, and whether it is that version's
/// final number (pre-release numbers may differ in format details).
pub fn version_of_magic(magic: u16) -> Option<(PyVersion, bool)> {
    MAGIC_RANGES
        .iter()
        .find(|r| (r.first..=r.last).contains(&magic))
        .map(|r| {
            (
                r.version,
                magic == r.last || r.version == PyVersion::new(3, 15),
            )
        })
}

fn nearest_known(magic: u16) -> String {
    let r = MAGIC_RANGES
        .iter()
        .min_by_key(|r| {
            if magic < r.first {
                r.first - magic
            } else {
                magic.saturating_sub(r.last)
            }
        })
        .expect("table is not empty");
    format!(
        "CPython {} (magic numbers {}..={})",
        r.version, r.first, r.last
    )
}

/// PEP 552 flag: the file is validated by a source hash, not a timestamp.
pub const FLAG_HASH_BASED: u32 = 1;
/// PEP 552 flag: a hash-based file's hash is checked against the source.
pub const FLAG_CHECK_SOURCE: u32 = 2;

/// The header as stored. 3.7+ headers are 16 bytes (magic, flags, 8 bytes
/// of validation data); older ones are 12 (magic, mtime, source size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The magic number (the first two bytes, little-endian).
    pub magic: u16,
    /// The version the magic number belongs to.
    pub version: PyVersion,
    /// Whether `magic` is the final release's number.
    pub final_magic: bool,
    /// The flags word as read (3.7+; 0 before).
    pub flags: u32,
    /// The validation bytes: mtime and source size (little-endian u32
    /// each), or the 8-byte source hash.
    pub validation: [u8; 8],
}

/// How the importer decides whether a `.pyc` is stale (PEP 552).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalidation {
    /// Compare the source's mtime and size.
    Timestamp {
        /// Source modification time (seconds, truncated to 32 bits).
        mtime: u32,
        /// Source size modulo 2**32.
        source_size: u32,
    },
    /// Compare a SipHash of the source, if `checked`.
    Hash {
        /// Whether the importer checks the hash.
        checked: bool,
        /// The 64-bit hash, as stored.
        hash: [u8; 8],
    },
}

impl Header {
    /// Size of the header in bytes for this version.
    pub fn len(&self) -> usize {
        if self.version.pyc_flags() {
            16
        } else {
            12
        }
    }

    /// Always false: a header is never empty (clippy's `len` companion).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The typed view of the flags and validation fields.
    pub fn invalidation(&self) -> Invalidation {
        if self.flags & FLAG_HASH_BASED != 0 {
            Invalidation::Hash {
                checked: self.flags & FLAG_CHECK_SOURCE != 0,
                hash: self.validation,
            }
        } else {
            let v = self.validation;
            Invalidation::Timestamp {
                mtime: u32::from_le_bytes([v[0], v[1], v[2], v[3]]),
                source_size: u32::from_le_bytes([v[4], v[5], v[6], v[7]]),
            }
        }
    }

    /// Parses the header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Header> {
        let need = |n: usize, what: &'static str| {
            if data.len() < n {
                Err(Error::at(
                    data.len().min(n) as u64,
                    ErrorKind::Truncated {
                        what,
                        needed: n as u64,
                        available: data.len() as u64,
                    },
                ))
            } else {
                Ok(())
            }
        };
        need(4, "the magic number")?;
        let magic_bytes = [data[0], data[1], data[2], data[3]];
        let magic = u16::from_le_bytes([data[0], data[1]]);
        let known = version_of_magic(magic);
        let (version, final_magic) = match known {
            Some(k) if data[2..4] == *b"\r\n" => k,
            _ => {
                return Err(Error::at(
                    0,
                    ErrorKind::UnknownMagic {
                        magic: magic_bytes,
                        nearest: nearest_known(magic),
                    },
                ))
            }
        };
        let mut validation = [0u8; 8];
        let flags = if version.pyc_flags() {
            need(16, "the .pyc header (16 bytes)")?;
            let flags = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
            validation.copy_from_slice(&data[8..16]);
            flags
        } else {
            need(12, "the .pyc header (12 bytes)")?;
            validation.copy_from_slice(&data[4..12]);
            0
        };
        Ok(Header {
            magic,
            version,
            final_magic,
            flags,
            validation,
        })
    }

    /// Appends the header bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.magic.to_le_bytes());
        out.extend_from_slice(b"\r\n");
        if self.version.pyc_flags() {
            out.extend_from_slice(&self.flags.to_le_bytes());
        }
        out.extend_from_slice(&self.validation);
    }
}

/// A whole `.pyc` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Pyc {
    /// The header.
    pub header: Header,
    /// The marshalled module (root is normally a code object).
    pub marshal: Marshal,
}

impl Pyc {
    /// Parses a `.pyc` file's bytes. Errors carry the byte offset.
    pub fn parse(data: &[u8]) -> Result<Pyc> {
        let header = Header::parse(data)?;
        let body = &data[header.len()..];
        if body.is_empty() {
            return Err(Error::at(
                header.len() as u64,
                ErrorKind::Truncated {
                    what: "the module code object",
                    needed: 1,
                    available: 0,
                },
            ));
        }
        let marshal = marshal::read::read_at(body, header.version, header.len() as u64)?;
        Ok(Pyc { header, marshal })
    }

    /// Reads and parses a file; errors name the file.
    pub fn read_file(path: &Path) -> Result<Pyc> {
        let data = std::fs::read(path).map_err(|e| Error::from(e).in_file(path))?;
        Pyc::parse(&data).map_err(|e| e.in_file(path))
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.header.len() + self.marshal.nodes.len() * 8);
        self.header.write(&mut out);
        marshal::write::write_into(&self.marshal, &mut out)?;
        Ok(out)
    }

    /// The CPython version the file is for.
    pub fn version(&self) -> PyVersion {
        self.header.version
    }
}
