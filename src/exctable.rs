//! Exception tables of CPython 3.11+ (`co_exceptiontable`): decode, encode, validate.
//!
//! Each entry is four numbers, `start`, `length`, `target` (all in code
//! units) and `depth << 1 | lasti`, each written big-endian in 6-bit chunks
//! with 0x40 meaning "more follows". The first byte of an entry also has
//! bit 7 set, so a reader can find entry boundaries without parsing.

use crate::error::{Error, ErrorKind, Result};

/// One handler range: instructions in `start..end` jump to `target` with
/// the stack cut to `depth` items (plus the offset pushed when `lasti`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExcEntry {
    /// First byte offset covered.
    pub start: u32,
    /// One past the last byte offset covered.
    pub end: u32,
    /// Byte offset of the handler.
    pub target: u32,
    /// Stack depth at the handler, before the exception is pushed.
    pub depth: u32,
    /// Whether the offset of the raising instruction is pushed too.
    pub lasti: bool,
}

/// The largest value CPython writes in one field (it asserts `< 1 << 30`).
const MAX_FIELD: u64 = (1 << 30) - 1;

const START_BIT: u8 = 0x80;
const MORE: u8 = 0x40;

/// Decodes `co_exceptiontable`. Every entry must begin with a byte that has
/// bit 7 set, and no other byte may; offsets must stay within `code_len`.
/// Errors carry the byte offset in the table.
pub fn decode(table: &[u8], code_len: usize) -> Result<Vec<ExcEntry>> {
    let mut out = Vec::with_capacity(table.len() / 4);
    let mut pos = 0;
    while pos < table.len() {
        let at = pos;
        if table[at] & START_BIT == 0 {
            return Err(Error::at(
                at as u64,
                ErrorKind::Invalid(format!(
                    "expected an exception entry start (bit 7 set), found {:#04x}",
                    table[at]
                )),
            ));
        }
        let start = field(table, &mut pos, true, "exception entry start")?;
        let length = field(table, &mut pos, false, "exception entry length")?;
        let target = field(table, &mut pos, false, "exception handler target")?;
        let dl = field(table, &mut pos, false, "exception handler depth")?;
        let (start, end, target) = (2 * start, 2 * (start + length), 2 * target);
        if end > code_len as u64 || target >= code_len as u64 {
            return Err(Error::at(
                at as u64,
                ErrorKind::Invalid(format!(
                    "exception entry {start}..{end} -> {target} lies outside the code's {code_len} byte(s)"
                )),
            ));
        }
        out.push(ExcEntry {
            start: start as u32,
            end: end as u32,
            target: target as u32,
            depth: (dl >> 1) as u32,
            lasti: dl & 1 != 0,
        });
    }
    Ok(out)
}

/// Reads one big-endian 6-bit varint at `*pos`.
fn field(table: &[u8], pos: &mut usize, first: bool, what: &'static str) -> Result<u64> {
    let begin = *pos;
    let mut val = 0u64;
    loop {
        let Some(&b) = table.get(*pos) else {
            return Err(Error::at(
                *pos as u64,
                ErrorKind::Truncated {
                    what,
                    needed: 1,
                    available: 0,
                },
            ));
        };
        if b & START_BIT != 0 && !(first && *pos == begin) {
            return Err(Error::at(
                *pos as u64,
                ErrorKind::Invalid(format!(
                    "byte {b:#04x} with bit 7 set inside an exception entry ({what})"
                )),
            ));
        }
        *pos += 1;
        val = (val << 6) | (b & 63) as u64;
        if val > MAX_FIELD {
            return Err(Error::at(
                begin as u64,
                ErrorKind::Invalid(format!("{what} too large")),
            ));
        }
        if b & MORE == 0 {
            return Ok(val);
        }
    }
}

/// Checks that entries are writable and safe for CPython: non-empty ranges
/// on code-unit boundaries inside `code_len`, in order and not overlapping,
/// handlers inside the code, fields below 2^30. The error offset is the
/// entry index.
pub fn validate(entries: &[ExcEntry], code_len: usize) -> Result<()> {
    let mut prev_end = 0;
    for (i, e) in entries.iter().enumerate() {
        let bad = |m: String| {
            Err(Error::at(
                i as u64,
                ErrorKind::Invalid(format!("exception entry {i}: {m}")),
            ))
        };
        if e.start >= e.end {
            return bad(format!("empty or reversed range {}..{}", e.start, e.end));
        }
        if e.start % 2 != 0 || e.end % 2 != 0 || e.target % 2 != 0 {
            return bad("offsets not on code-unit boundaries".into());
        }
        if e.end as usize > code_len || e.target as usize >= code_len {
            return bad(format!("outside the code's {code_len} byte(s)"));
        }
        if e.start < prev_end {
            // NB: CPython binary-searches the table by start offset.
            return bad(format!(
                "starts at {} inside or before the previous entry (ends {prev_end})",
                e.start
            ));
        }
        if (e.depth as u64) * 2 + 1 > MAX_FIELD {
            return bad(format!("depth {} too large", e.depth));
        }
        prev_end = e.end;
    }
    Ok(())
}

/// Encodes entries as CPython writes them (shortest varints, in the order
/// given). Fails when a field does not fit in 30 bits.
pub fn encode(entries: &[ExcEntry]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(entries.len() * 4);
    for (i, e) in entries.iter().enumerate() {
        if e.end < e.start {
            return Err(Error::at(
                i as u64,
                ErrorKind::Invalid(format!("exception entry {i} ends before it starts")),
            ));
        }
        let fields = [
            (e.start / 2) as u64,
            ((e.end - e.start) / 2) as u64,
            (e.target / 2) as u64,
            ((e.depth as u64) << 1) | e.lasti as u64,
        ];
        for (k, v) in fields.into_iter().enumerate() {
            if v > MAX_FIELD {
                return Err(Error::at(
                    i as u64,
                    ErrorKind::Invalid(format!("exception entry {i}: field {v} too large")),
                ));
            }
            write_field(&mut out, v, if k == 0 { START_BIT } else { 0 });
        }
    }
    Ok(out)
}

fn write_field(out: &mut Vec<u8>, v: u64, mut mark: u8) {
    for shift in [24, 18, 12, 6] {
        if v >> shift != 0 {
            out.push(((v >> shift) & 63) as u8 | MORE | mark);
            mark = 0;
        }
    }
    out.push((v & 63) as u8 | mark);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(r: Result<Vec<ExcEntry>>) -> u64 {
        r.expect_err("malformed table accepted")
            .offset()
            .expect("error without offset")
    }

    #[test]
    fn malformed_tables_are_located() {
        // Entry 0 fine (0..4 -> 6, depth 1, lasti), entry 1 cut inside its target.
        let good = [0x80, 0x02, 0x03, 0x03];
        assert_eq!(
            decode(&good, 8).unwrap(),
            vec![ExcEntry {
                start: 0,
                end: 4,
                target: 6,
                depth: 1,
                lasti: true
            }]
        );
        let mut cut = good.to_vec();
        cut.extend_from_slice(&[0x81, 0x01, 0x41]);
        let e = decode(&cut, 8).unwrap_err();
        assert_eq!(e.offset(), Some(7));
        assert!(matches!(e.kind(), ErrorKind::Truncated { .. }));
        // No start bit on an entry's first byte, and a start bit inside an entry.
        assert_eq!(offset(decode(&[0x00, 0x02, 0x03, 0x03], 8)), 0);
        assert_eq!(offset(decode(&[0x80, 0x82, 0x03, 0x03], 8)), 1);
        // Range and target beyond the code.
        assert_eq!(offset(decode(&[0x80, 0x05, 0x03, 0x03], 8)), 0);
        assert_eq!(offset(decode(&[0x80, 0x02, 0x04, 0x03], 8)), 0);
    }

    #[test]
    fn multi_chunk_values_round_trip_and_validate_checks_order() {
        let es = vec![
            ExcEntry {
                start: 0,
                end: 2 * 5000,
                target: 2 * 300_000,
                depth: 70,
                lasti: false,
            },
            ExcEntry {
                start: 2 * 5000,
                end: 2 * 5001,
                target: 2,
                depth: 0,
                lasti: true,
            },
        ];
        let code_len = 2 * 300_001;
        let bytes = encode(&es).unwrap();
        assert_eq!(decode(&bytes, code_len).unwrap(), es);
        validate(&es, code_len).unwrap();
        let overlap = [es[0], ExcEntry { start: 8, ..es[1] }];
        assert_eq!(validate(&overlap, code_len).unwrap_err().offset(), Some(1));
        assert!(validate(&es, 2 * 5001).is_err());
    }
}
