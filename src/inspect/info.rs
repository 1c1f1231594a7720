//! What `pyrewrite info` reports about a `.pyc`: the header and every code object, as serialisable structs.

use super::const_repr;
use crate::code::{flag_names, qualnames, CodeView};
use crate::error::{Error, ErrorKind, Result};
use crate::marshal::{Marshal, ObjId};
use crate::opcodes;
use crate::pyc::{Header, Invalidation, Pyc};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

/// Everything `info` shows for one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    /// The header fields.
    pub header: HeaderInfo,
    /// Every code object in pre-order (module first, then each nested code
    /// object before its siblings' children), `depth` giving the nesting.
    pub code_objects: Vec<CodeInfo>,
}

/// The `.pyc` header.
#[derive(Clone, Debug, Serialize)]
pub struct HeaderInfo {
    /// The magic number (first two bytes, little-endian).
    pub magic: u16,
    /// The CPython version the magic number belongs to (`3.12`).
    pub version: String,
    /// Whether the magic number is the final release's (not an alpha/beta one).
    pub final_magic: bool,
    /// The PEP 552 flags word (0 before 3.7).
    pub flags: u32,
    /// How the importer checks the file against its source.
    pub invalidation: InvalidationInfo,
}

/// PEP 552 invalidation mode and its data.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum InvalidationInfo {
    /// Source mtime and size are compared.
    Timestamp {
        /// Source mtime, seconds since the epoch (32 bits).
        mtime: u32,
        /// The same as a UTC date, `YYYY-MM-DD HH:MM:SS UTC`.
        mtime_utc: String,
        /// Source size in bytes (modulo 2**32).
        source_size: u32,
    },
    /// A source hash is stored and checked on import.
    CheckedHash {
        /// The 8 hash bytes as hex, in file order.
        hash: String,
    },
    /// A source hash is stored but not checked.
    UncheckedHash {
        /// The 8 hash bytes as hex, in file order.
        hash: String,
    },
}

/// One code object.
#[derive(Clone, Debug, Serialize)]
pub struct CodeInfo {
    /// Position in `code_objects`.
    pub index: usize,
    /// Nesting depth (module = 0).
    pub depth: usize,
    /// Index of the enclosing code object (`None` for the module).
    pub parent: Option<usize>,
    /// `co_name`.
    pub name: String,
    /// `co_qualname`, or the computed qualified name before 3.11.
    pub qualname: String,
    /// True when `qualname` was computed from the nesting (before 3.11
    /// marshal does not store it).
    pub qualname_computed: bool,
    /// `co_filename`.
    pub filename: String,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// `co_argcount` (includes positional-only parameters).
    pub argcount: i32,
    /// `co_posonlyargcount`.
    pub posonlyargcount: i32,
    /// `co_kwonlyargcount`.
    pub kwonlyargcount: i32,
    /// Parameters by name.
    pub parameters: Parameters,
    /// Locals that are not parameters (rest of `co_varnames`).
    pub other_locals: Vec<String>,
    /// `co_varnames`.
    pub varnames: Vec<String>,
    /// `co_cellvars`.
    pub cellvars: Vec<String>,
    /// `co_freevars`.
    pub freevars: Vec<String>,
    /// `co_nlocals`.
    pub nlocals: i32,
    /// `co_names`.
    pub names: Vec<String>,
    /// `repr()` of each of `co_consts`; nested code objects as `<code NAME>`.
    pub consts: Vec<String>,
    /// `co_stacksize`.
    pub stacksize: i32,
    /// `co_flags`.
    pub flags: u32,
    /// The names of the set flag bits.
    pub flag_names: Vec<String>,
    /// `len(co_code)`.
    pub bytecode_size: usize,
    /// Instructions as `dis` counts them (inline caches excluded);
    /// `None` when pyrewrite has no opcode table for the version.
    pub instruction_count: Option<usize>,
}

/// A code object's parameters, split as Python's signature shows them.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Parameters {
    /// Positional-only (before `/`).
    pub positional_only: Vec<String>,
    /// Positional-or-keyword.
    pub positional: Vec<String>,
    /// Keyword-only (after `*` or `*args`).
    pub keyword_only: Vec<String>,
    /// The `*args` name (flag VARARGS).
    pub varargs: Option<String>,
    /// The `**kwargs` name (flag VARKEYWORDS).
    pub varkeywords: Option<String>,
}

const CO_VARARGS: u32 = 0x4;
const CO_VARKEYWORDS: u32 = 0x8;

impl FileInfo {
    /// Builds the report for a parsed file.
    pub fn of(pyc: &Pyc) -> Result<FileInfo> {
        Ok(FileInfo {
            header: HeaderInfo::of(&pyc.header),
            code_objects: code_objects(&pyc.marshal)?,
        })
    }

    /// The human-readable report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.header.write_text(&mut out);
        let _ = writeln!(out, "code objects: {}", self.code_objects.len());
        for c in &self.code_objects {
            out.push('\n');
            c.write_text(&mut out);
        }
        out
    }
}

/// The report of every code object under `m`'s root, parents before their
/// children (what `FileInfo` lists after the header; the Python package's
/// `info()` of a live code object is this list).
pub fn code_objects(m: &Marshal) -> Result<Vec<CodeInfo>> {
    let Some(root) = CodeView::new(m, m.root) else {
        return Err(Error::new(ErrorKind::UnexpectedType {
            expected: "a code object at the top of the file",
            found: crate::marshal::read::describe(m.get(m.root)).to_string(),
        }));
    };
    let quals: HashMap<ObjId, String> = qualnames(m).into_iter().collect();
    let mut code_objects = Vec::new();
    // NB: an explicit stack, not recursion: nesting depth comes from the file.
    let mut stack = vec![(root, 0usize, None)];
    while let Some((cv, depth, parent)) = stack.pop() {
        let index = code_objects.len();
        code_objects.push(code_info(&cv, index, depth, parent, &quals));
        for child in cv.children().into_iter().rev() {
            stack.push((child, depth + 1, Some(index)));
        }
    }
    Ok(code_objects)
}

impl HeaderInfo {
    /// The header part of the report.
    pub fn of(h: &Header) -> HeaderInfo {
        let invalidation = match h.invalidation() {
            Invalidation::Timestamp { mtime, source_size } => InvalidationInfo::Timestamp {
                mtime,
                mtime_utc: utc_date(mtime),
                source_size,
            },
            Invalidation::Hash {
                checked: true,
                hash,
            } => InvalidationInfo::CheckedHash {
                hash: super::hex(&hash),
            },
            Invalidation::Hash {
                checked: false,
                hash,
            } => InvalidationInfo::UncheckedHash {
                hash: super::hex(&hash),
            },
        };
        HeaderInfo {
            magic: h.magic,
            version: h.version.to_string(),
            final_magic: h.final_magic,
            flags: h.flags,
            invalidation,
        }
    }

    fn write_text(&self, out: &mut String) {
        let release = if self.final_magic {
            "final release magic"
        } else {
            "pre-release magic"
        };
        let _ = writeln!(
            out,
            "magic:        {} ({:#06x}): CPython {}, {release}",
            self.magic, self.magic, self.version
        );
        let _ = writeln!(out, "flags:        {:#010x}", self.flags);
        let _ = match &self.invalidation {
            InvalidationInfo::Timestamp { mtime, mtime_utc, source_size } => writeln!(
                out,
                "invalidation: timestamp, source mtime {mtime} ({mtime_utc}), source size {source_size} bytes"
            ),
            InvalidationInfo::CheckedHash { hash } => writeln!(out, "invalidation: checked hash, source hash {hash}"),
            InvalidationInfo::UncheckedHash { hash } => {
                writeln!(out, "invalidation: unchecked hash, source hash {hash}")
            }
        };
    }
}

fn code_info(
    cv: &CodeView,
    index: usize,
    depth: usize,
    parent: Option<usize>,
    quals: &HashMap<ObjId, String>,
) -> CodeInfo {
    let c = cv.code;
    let owned = |v: Vec<std::borrow::Cow<str>>| -> Vec<String> {
        v.into_iter().map(|s| s.into_owned()).collect()
    };
    let varnames = owned(cv.varnames());
    let (parameters, rest) = split_parameters(
        &varnames,
        c.argcount,
        c.posonlyargcount,
        c.kwonlyargcount,
        c.flags,
    );
    let instruction_count =
        opcodes::table(cv.version()).map(|t| crate::dis::decode(t, cv.bytecode()).len());
    CodeInfo {
        index,
        depth,
        parent,
        name: cv.name().into_owned(),
        qualname: quals
            .get(&cv.id)
            .cloned()
            .unwrap_or_else(|| cv.name().into_owned()),
        qualname_computed: cv.stored_qualname().is_none(),
        filename: cv.filename().into_owned(),
        firstlineno: c.firstlineno,
        argcount: c.argcount,
        posonlyargcount: c.posonlyargcount,
        kwonlyargcount: c.kwonlyargcount,
        parameters,
        other_locals: rest,
        cellvars: owned(cv.cellvars()),
        freevars: owned(cv.freevars()),
        nlocals: cv.nlocals(),
        names: owned(cv.names()),
        consts: cv.consts().iter().map(|&k| const_repr(cv.m, k)).collect(),
        stacksize: c.stacksize,
        flags: c.flags,
        flag_names: flag_names(c.flags),
        bytecode_size: cv.bytecode().len(),
        instruction_count,
        varnames,
    }
}

/// Splits `co_varnames` into parameters and other locals the way
/// `inspect.signature` reads a code object: `argcount` positional names
/// (the first `posonly` of them positional-only), then `kwonly` keyword-only
/// names, then `*args` and `**kwargs` when their flags are set.
/// Out-of-range counts (malformed files) just yield fewer names.
pub fn split_parameters(
    varnames: &[String],
    argcount: i32,
    posonly: i32,
    kwonly: i32,
    flags: u32,
) -> (Parameters, Vec<String>) {
    let n = |x: i32| usize::try_from(x).unwrap_or(0);
    let take = |from: usize, count: usize| -> Vec<String> {
        varnames.iter().skip(from).take(count).cloned().collect()
    };
    let posonly = n(posonly).min(n(argcount));
    let argcount = n(argcount);
    let kwonly = n(kwonly);
    let mut p = Parameters {
        positional_only: take(0, posonly),
        positional: take(posonly, argcount - posonly),
        keyword_only: take(argcount, kwonly),
        ..Parameters::default()
    };
    let mut at = argcount.saturating_add(kwonly);
    if flags & CO_VARARGS != 0 {
        p.varargs = varnames.get(at).cloned();
        at = at.saturating_add(1);
    }
    if flags & CO_VARKEYWORDS != 0 {
        p.varkeywords = varnames.get(at).cloned();
        at = at.saturating_add(1);
    }
    (p, take(at, usize::MAX))
}

impl Parameters {
    /// The parameter list as a `def` would spell it: `a, /, b, *args, c, **kw`.
    pub fn signature(&self) -> String {
        let mut parts: Vec<String> = self.positional_only.clone();
        if !self.positional_only.is_empty() {
            parts.push("/".into());
        }
        parts.extend(self.positional.iter().cloned());
        match &self.varargs {
            Some(a) => parts.push(format!("*{a}")),
            None if !self.keyword_only.is_empty() => parts.push("*".into()),
            None => {}
        }
        parts.extend(self.keyword_only.iter().cloned());
        if let Some(k) = &self.varkeywords {
            parts.push(format!("**{k}"));
        }
        parts.join(", ")
    }
}

impl CodeInfo {
    fn write_text(&self, out: &mut String) {
        let pad = "    ".repeat(self.depth);
        let computed = if self.qualname_computed {
            " (computed)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{pad}code {}  [qualname {}{computed}]",
            self.name, self.qualname
        );
        let mut field = |label: &str, value: String| {
            let _ = writeln!(out, "{pad}  {label:<14}{value}");
        };
        field("filename:", format!("{:?}", self.filename));
        field("first line:", self.firstlineno.to_string());
        field(
            "parameters:",
            format!(
                "({})  argcount {}, posonly {}, kwonly {}",
                self.parameters.signature(),
                self.argcount,
                self.posonlyargcount,
                self.kwonlyargcount
            ),
        );
        field("other locals:", list(&self.other_locals));
        field("cellvars:", list(&self.cellvars));
        field("freevars:", list(&self.freevars));
        field("names:", list(&self.names));
        let consts: Vec<String> = self
            .consts
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{i}: {c}"))
            .collect();
        field(
            "constants:",
            if consts.is_empty() {
                "-".into()
            } else {
                consts.join(", ")
            },
        );
        field("stack size:", self.stacksize.to_string());
        field("nlocals:", self.nlocals.to_string());
        field(
            "flags:",
            format!("{:#x} {}", self.flags, self.flag_names.join(", "))
                .trim_end()
                .to_string(),
        );
        let count = match self.instruction_count {
            Some(n) => format!("{n} instructions"),
            None => "instructions not counted (no opcode table for this version)".into(),
        };
        field(
            "bytecode:",
            format!("{} bytes, {count}", self.bytecode_size),
        );
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the Unix epoch.
pub fn utc_date(secs: u32) -> String {
    let days = i64::from(secs / 86_400);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
/// era-based method: 400-year eras of 146097 days, years starting in March).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_epochs() {
        // Values from `date -u -d @N`.
        assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_date(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc_date(u32::MAX), "2106-02-07 06:28:15 UTC");
    }

    #[test]
    fn parameters_follow_varnames_order() {
        let v: Vec<String> = ["a", "b", "c", "d", "args", "kw", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (p, rest) = split_parameters(&v, 3, 1, 1, CO_VARARGS | CO_VARKEYWORDS);
        assert_eq!(p.signature(), "a, /, b, c, *args, d, **kw");
        assert_eq!(rest, vec!["x".to_string()]);
        let (p, rest) = split_parameters(&v[..1], 5, 9, 2, CO_VARARGS);
        assert_eq!(p.positional_only, vec!["a".to_string()]);
        assert!(rest.is_empty() && p.varargs.is_none());
    }
}
