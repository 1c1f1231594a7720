//! 3.8/3.9 `co_lnotab`: (byte delta, signed line delta) byte pairs.
//!
//! Pair `i` says: the range at the current offset is `bdelta` bytes long,
//! then the line moves by `ldelta` (an `i8` since 3.8). Entry `i` of the
//! decoded list is the range before pair `i` is applied; the last entry
//! runs to the end of the code.

use super::{past_end, truncated, LocEntry};
use crate::error::{Error, ErrorKind, Result};

/// Decodes `co_lnotab`; one entry per pair plus the final range.
pub fn decode(table: &[u8], firstlineno: i32, code_len: usize) -> Result<Vec<LocEntry>> {
    if !table.len().is_multiple_of(2) {
        return Err(truncated(
            table.len() - 1,
            "lnotab line delta",
            2,
            table.len(),
        ));
    }
    let mut out = Vec::with_capacity(table.len() / 2 + 1);
    let mut addr: u64 = 0;
    let mut line = firstlineno as i64;
    for (k, pair) in table.chunks_exact(2).enumerate() {
        let end = addr + pair[0] as u64;
        if end > code_len as u64 {
            return Err(past_end(2 * k, end, code_len));
        }
        out.push(LocEntry::line_only(
            addr as u32,
            end as u32,
            Some(to_line(line, 2 * k + 1)?),
        ));
        addr = end;
        line += pair[1] as i8 as i64;
    }
    out.push(LocEntry::line_only(
        addr as u32,
        code_len as u32,
        Some(to_line(line, table.len())?),
    ));
    Ok(out)
}

fn to_line(line: i64, offset: usize) -> Result<i32> {
    i32::try_from(line).map_err(|_| {
        Error::at(
            offset as u64,
            ErrorKind::Invalid(format!("line number {line} out of range")),
        )
    })
}

/// Encodes entries as 3.8/3.9 `co_lnotab`. The last entry's end is not
/// recorded (the format has no room for it).
pub fn encode(entries: &[LocEntry], firstlineno: i32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if entries.is_empty() {
        return Ok(out);
    }
    let line_of = |i: usize| {
        entries[i].line.map(i64::from).ok_or_else(|| {
            Error::at(
                i as u64,
                ErrorKind::Invalid(format!("location entry {i}: 3.8/3.9 tables need a line")),
            )
        })
    };
    let first_line = line_of(0)?;
    if first_line != firstlineno as i64 {
        // NB: the table starts at co_firstlineno; a different first line
        // takes a leading (0, delta) transition.
        emit(&mut out, 0, first_line - firstlineno as i64);
    }
    for i in 1..entries.len() {
        let prev = &entries[i - 1];
        emit(
            &mut out,
            prev.end as i64 - prev.start as i64,
            line_of(i)? - line_of(i - 1)?,
        );
    }
    Ok(out)
}

/// Writes one transition, split the way 3.8/3.9 `assemble_lnotab` splits:
/// whole 255-byte steps first, then line steps of 127 (or -128) with the
/// remaining bytes on the first of them, then the rest.
fn emit(out: &mut Vec<u8>, mut db: i64, mut dl: i64) {
    if db > 255 {
        for _ in 0..db / 255 {
            out.extend_from_slice(&[255, 0]);
        }
        db %= 255;
    }
    if !(-128..=127).contains(&dl) {
        let (k, n) = if dl < 0 {
            (-128i64, -dl / 128)
        } else {
            (127, dl / 127)
        };
        dl -= n * k;
        out.extend_from_slice(&[db as u8, k as i8 as u8]);
        for _ in 1..n {
            out.extend_from_slice(&[0, k as i8 as u8]);
        }
        db = 0;
    }
    out.extend_from_slice(&[db as u8, dl as i8 as u8]);
}

/// `dis.findlinestarts` of 3.8/3.9 over decoded entries: a start for each
/// non-empty range whose line differs from the last one yielded, stopping
/// once the offset reaches `code_len`, then the final range's line.
pub fn line_starts(entries: &[LocEntry], code_len: usize) -> Vec<(u32, Option<i32>)> {
    let mut out = Vec::new();
    let Some((last_entry, pairs)) = entries.split_last() else {
        return out;
    };
    let mut last = None;
    for e in pairs {
        if e.end > e.start {
            if e.line != last {
                out.push((e.start, e.line));
                last = e.line;
            }
            if e.end as usize >= code_len {
                return out;
            }
        }
    }
    if last_entry.line != last {
        out.push((last_entry.start, last_entry.line));
    }
    out
}
