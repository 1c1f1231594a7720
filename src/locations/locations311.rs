//! 3.11+ `co_linetable`: location entries with end lines and columns.
//!
//! Each entry starts with a byte `1 cccc lll`: `lll + 1` code units, and
//! form `cccc`: 0-9 short (same line, one byte of columns), 10-12 one line
//! (line +0..2, start and end column bytes), 13 no columns (signed varint
//! line delta), 14 long (line delta, end-line delta, column plus one, end
//! column plus one, as varints), 15 no location. Varints are little-endian
//! 6-bit chunks with 0x40 as "more follows"; only entry starts have bit 7 set.

use super::{past_end, truncated, LocEntry};
use crate::error::{Error, ErrorKind, Result};
use crate::version::PyVersion;

const SHORT_MAX: u8 = 9;
const ONE_LINE0: u8 = 10;
const NO_COLUMNS: u8 = 13;
const LONG: u8 = 14;
const NONE: u8 = 15;

/// Reads the table sequentially, with the offset of every byte at hand.
struct Reader<'a> {
    table: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    #[inline(always)]
    fn byte(&mut self, what: &'static str) -> Result<u8> {
        match self.table.get(self.pos) {
            Some(&b) if b & 0x80 == 0 => {
                self.pos += 1;
                Ok(b)
            }
            _ => Err(self.bad_byte(what)),
        }
    }

    // NB: out of line, so the hot path of `byte` stays a load and a test.
    #[cold]
    #[inline(never)]
    fn bad_byte(&self, what: &'static str) -> Error {
        match self.table.get(self.pos) {
            None => truncated(self.pos, what, 1, self.table.len()),
            // NB: CPython walks backwards to the previous byte with bit 7 set
            // (`retreat`); such a byte inside an entry breaks that walk.
            Some(b) => Error::at(
                self.pos as u64,
                ErrorKind::Invalid(format!(
                    "byte {b:#04x} with bit 7 set inside a location entry ({what})"
                )),
            ),
        }
    }

    fn varint(&mut self, what: &'static str) -> Result<u32> {
        let start = self.pos;
        let mut b = self.byte(what)?;
        let mut val = (b & 63) as u64;
        let mut shift = 6;
        while b & 64 != 0 {
            b = self.byte(what)?;
            val |= ((b & 63) as u64) << shift;
            shift += 6;
            if val > u32::MAX as u64 || shift > 36 {
                return Err(Error::at(
                    start as u64,
                    ErrorKind::Invalid(format!("varint for {what} too large")),
                ));
            }
        }
        Ok(val as u32)
    }

    fn svarint(&mut self, what: &'static str) -> Result<i64> {
        let u = self.varint(what)?;
        Ok(if u & 1 != 0 {
            -((u >> 1) as i64)
        } else {
            (u >> 1) as i64
        })
    }
}

fn line_at(line: i64, offset: usize) -> Result<i32> {
    i32::try_from(line).map_err(|_| {
        Error::at(
            offset as u64,
            ErrorKind::Invalid(format!("line number {line} out of range")),
        )
    })
}

/// Decodes a 3.11+ location table; one entry per record.
pub fn decode(table: &[u8], firstlineno: i32, code_len: usize) -> Result<Vec<LocEntry>> {
    let mut r = Reader { table, pos: 0 };
    // NB: records are 1 to ~8 bytes; most are 2 or 3.
    let mut out = Vec::with_capacity(table.len() / 2);
    let mut addr: u64 = 0;
    let mut line = firstlineno as i64;
    while r.pos < table.len() {
        let at = r.pos;
        let head = table[at];
        if head & 0x80 == 0 {
            return Err(Error::at(
                at as u64,
                ErrorKind::Invalid(format!(
                    "expected a location entry start (bit 7 set), found {head:#04x}"
                )),
            ));
        }
        r.pos += 1;
        let code = (head >> 3) & 15;
        let end = addr + 2 * ((head & 7) as u64 + 1);
        if end > code_len as u64 {
            return Err(past_end(at, end, code_len));
        }
        let (start, end32) = (addr as u32, end as u32);
        let e = match code {
            0..=SHORT_MAX => {
                let b = r.byte("short-form columns")?;
                let col = code as i32 * 8 + (b >> 4) as i32;
                let l = Some(line_at(line, at)?);
                LocEntry {
                    start,
                    end: end32,
                    line: l,
                    end_line: l,
                    col: Some(col),
                    end_col: Some(col + (b & 15) as i32),
                }
            }
            ONE_LINE0..=12 => {
                line += (code - ONE_LINE0) as i64;
                let col = r.byte("one-line start column")? as i32;
                let end_col = r.byte("one-line end column")? as i32;
                let l = Some(line_at(line, at)?);
                LocEntry {
                    start,
                    end: end32,
                    line: l,
                    end_line: l,
                    col: Some(col),
                    end_col: Some(end_col),
                }
            }
            NO_COLUMNS => {
                line += r.svarint("line delta")?;
                let l = Some(line_at(line, at)?);
                LocEntry {
                    start,
                    end: end32,
                    line: l,
                    end_line: l,
                    col: None,
                    end_col: None,
                }
            }
            LONG => {
                line += r.svarint("line delta")?;
                let end_line = line + r.varint("end line delta")? as i64;
                let col = r.varint("column")? as i64 - 1;
                let end_col = r.varint("end column")? as i64 - 1;
                let opt = |v: i64| (v >= 0).then_some(v as i32);
                LocEntry {
                    start,
                    end: end32,
                    line: Some(line_at(line, at)?),
                    end_line: Some(line_at(end_line, at)?),
                    col: opt(col),
                    end_col: opt(end_col),
                }
            }
            _ => LocEntry::line_only(start, end32, None),
        };
        out.push(e);
        addr = end;
    }
    Ok(out)
}

/// Why a location cannot be written in a 3.11+ table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unwritable {
    NoLineButMore,
    NoEndLine,
    EndBeforeStart,
    NegativeColumn,
    OneColumn311,
    OneColumnOneLine,
}

/// The reason `e` cannot be written in `version`'s table, if any.
#[inline]
fn unwritable(version: PyVersion, e: &LocEntry) -> Option<Unwritable> {
    let Some(line) = e.line else {
        let more = e.end_line.is_some() || e.col.is_some() || e.end_col.is_some();
        return more.then_some(Unwritable::NoLineButMore);
    };
    let Some(end_line) = e.end_line else {
        return Some(Unwritable::NoEndLine);
    };
    if end_line < line {
        return Some(Unwritable::EndBeforeStart);
    }
    if e.col.is_some_and(|c| c < 0) || e.end_col.is_some_and(|c| c < 0) {
        return Some(Unwritable::NegativeColumn);
    }
    let one_line = end_line == line;
    match (e.col, e.end_col) {
        (Some(_), Some(_)) => None,
        (None, None) if one_line => None,
        // NB: behaviour of 3.11's encoder: both columns or neither.
        _ if !version.at_least(12) => Some(Unwritable::OneColumn311),
        _ if one_line => Some(Unwritable::OneColumnOneLine),
        _ => None,
    }
}

/// Why `e` cannot be written in `version`'s table, if it cannot.
pub(crate) fn check_representable(
    version: PyVersion,
    e: &LocEntry,
) -> std::result::Result<(), String> {
    let Some(why) = unwritable(version, e) else {
        return Ok(());
    };
    Err(match why {
        Unwritable::NoLineButMore => "no line but an end line or column".into(),
        Unwritable::NoEndLine => "a line but no end line".into(),
        Unwritable::EndBeforeStart => format!(
            "end line {} before line {}",
            e.end_line.unwrap_or(0),
            e.line.unwrap_or(0)
        ),
        Unwritable::NegativeColumn => "negative column".into(),
        Unwritable::OneColumn311 => {
            "3.11 writes both columns or neither, and no end line without columns".into()
        }
        Unwritable::OneColumnOneLine => {
            "a single column on a one-line span (written as no columns)".into()
        }
    })
}

/// Encodes entries as CPython `version` (3.11+) writes them: ranges longer
/// than 8 code units are split into 8-unit pieces, and each piece takes the
/// smallest form CPython would pick (`write_location_info_entry`).
pub fn encode(version: PyVersion, entries: &[LocEntry], firstlineno: i32) -> Result<Vec<u8>> {
    let mut enc = Encoder::new(version, firstlineno, entries.len());
    for e in entries {
        enc.push(e)?;
    }
    Ok(enc.finish())
}

/// [`encode`] one entry at a time, for callers that produce entries on the
/// fly (the assembler) and need no list of them.
pub struct Encoder {
    version: PyVersion,
    out: Vec<u8>,
    cur: i64,
    count: usize,
}

impl Encoder {
    /// An empty table for `version`; `entries` is a capacity hint.
    pub fn new(version: PyVersion, firstlineno: i32, entries: usize) -> Self {
        // NB: most records take 2 or 3 bytes.
        Encoder {
            version,
            out: Vec::with_capacity(entries * 3),
            cur: i64::from(firstlineno),
            count: 0,
        }
    }

    /// Appends entry `e` (the error offset is its index among those pushed).
    pub fn push(&mut self, e: &LocEntry) -> Result<()> {
        let i = self.count;
        self.count += 1;
        if unwritable(self.version, e).is_some() || e.end <= e.start || (e.end - e.start) % 2 != 0 {
            return Err(self.reject(i, e));
        }
        let mut units = (e.end - e.start) / 2;
        while units > 0 {
            let n = units.min(8);
            write_one(&mut self.out, e, n as u8, &mut self.cur);
            units -= n;
        }
        Ok(())
    }

    #[cold]
    fn reject(&self, i: usize, e: &LocEntry) -> Error {
        let m = match check_representable(self.version, e) {
            Err(m) => m,
            Ok(()) => format!("bad range {}..{}", e.start, e.end),
        };
        Error::at(
            i as u64,
            ErrorKind::Invalid(format!("location entry {i}: {m}")),
        )
    }

    /// The table.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

fn write_one(out: &mut Vec<u8>, e: &LocEntry, units: u8, cur: &mut i64) {
    let head = |code: u8| 0x80 | (code << 3) | (units - 1);
    let Some(line) = e.line else {
        out.push(head(NONE));
        return;
    };
    let line = line as i64;
    let end_line = e.end_line.map_or(line, |l| l as i64);
    let delta = line - *cur;
    match (e.col, e.end_col) {
        (Some(col), Some(end_col)) if end_line == line => {
            if delta == 0 && col < 80 && end_col >= col && end_col - col < 16 {
                out.push(head((col / 8) as u8));
                out.push((((col % 8) << 4) | (end_col - col)) as u8);
                return;
            }
            if (0..3).contains(&delta) && col < 128 && end_col < 128 {
                out.push(head(ONE_LINE0 + delta as u8));
                out.push(col as u8);
                out.push(end_col as u8);
                *cur = line;
                return;
            }
        }
        (None, _) | (_, None) if end_line == line => {
            out.push(head(NO_COLUMNS));
            svarint(out, delta);
            *cur = line;
            return;
        }
        _ => {}
    }
    out.push(head(LONG));
    svarint(out, delta);
    varint(out, (end_line - line) as u64);
    varint(out, e.col.map_or(0, |c| c as u64 + 1));
    varint(out, e.end_col.map_or(0, |c| c as u64 + 1));
    *cur = line;
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 64 {
        out.push(0x40 | (v & 63) as u8);
        v >>= 6;
    }
    out.push(v as u8);
}

fn svarint(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        varint(out, ((-v as u64) << 1) | 1);
    } else {
        varint(out, (v as u64) << 1);
    }
}
