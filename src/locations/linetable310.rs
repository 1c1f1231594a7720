//! 3.10 `co_linetable`: (byte delta, line delta) pairs where a line delta
//! of -128 means "no line" and line deltas count from the last real line.
//!
//! Unlike the lnotab, pair `i` describes its own range: `bdelta` bytes at
//! the current offset carry the line reached after adding `ldelta`.

use super::{past_end, truncated, LocEntry};
use crate::error::{Error, ErrorKind, Result};

const NO_LINE: i8 = -128;

/// Decodes `co_linetable` (3.10); one entry per pair, empty ones included.
pub fn decode(table: &[u8], firstlineno: i32, code_len: usize) -> Result<Vec<LocEntry>> {
    if !table.len().is_multiple_of(2) {
        return Err(truncated(
            table.len() - 1,
            "linetable line delta",
            2,
            table.len(),
        ));
    }
    let mut out = Vec::with_capacity(table.len() / 2);
    let mut addr: u64 = 0;
    let mut line = firstlineno as i64;
    for (k, pair) in table.chunks_exact(2).enumerate() {
        let end = addr + pair[0] as u64;
        if end > code_len as u64 {
            return Err(past_end(2 * k, end, code_len));
        }
        let ldelta = pair[1] as i8;
        let this = if ldelta == NO_LINE {
            None
        } else {
            line += ldelta as i64;
            Some(i32::try_from(line).map_err(|_| {
                Error::at(
                    2 * k as u64 + 1,
                    ErrorKind::Invalid(format!("line number {line} out of range")),
                )
            })?)
        };
        out.push(LocEntry::line_only(addr as u32, end as u32, this));
        addr = end;
    }
    Ok(out)
}

/// Encodes entries as 3.10 `co_linetable`, splitting like CPython's
/// `assemble_line_range`: line jumps beyond ±127 first take (0, ±127)
/// pairs, ranges beyond 254 bytes take (254, delta) then (254, 0) pairs
/// ((254, -128) without a line).
pub fn encode(entries: &[LocEntry], firstlineno: i32) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(entries.len() * 2);
    let mut prev = firstlineno as i64;
    for (i, e) in entries.iter().enumerate() {
        let mut bdelta = e.end as i64 - e.start as i64;
        if bdelta < 0 {
            return Err(Error::at(
                i as u64,
                ErrorKind::Invalid(format!("location entry {i} ends before it starts")),
            ));
        }
        let mut ldelta = match e.line {
            None => NO_LINE as i64,
            Some(l) => {
                let d = l as i64 - prev;
                prev = l as i64;
                d
            }
        };
        if e.line.is_some() {
            while ldelta > 127 {
                out.extend_from_slice(&[0, 127]);
                ldelta -= 127;
            }
            while ldelta < -127 {
                out.extend_from_slice(&[0, (-127i8) as u8]);
                ldelta += 127;
            }
        }
        while bdelta > 254 {
            out.extend_from_slice(&[254, ldelta as i8 as u8]);
            ldelta = if e.line.is_some() { 0 } else { NO_LINE as i64 };
            bdelta -= 254;
        }
        out.extend_from_slice(&[bdelta as u8, ldelta as i8 as u8]);
    }
    Ok(out)
}
