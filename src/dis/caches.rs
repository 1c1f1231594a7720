//! Inline cache lines (`dis.dis(show_caches=True)`, `python -m dis -C`):
//! after each instruction with caches, one `CACHE 0` line per 2-byte unit.
//! From 3.12 the first unit of each cache field shows `(name: value)`, the
//! field's bytes read little-endian (3.11 names a field only for quickened
//! code, never in a `.pyc`). Field layouts are `opcode._cache_format` of
//! each version.

use super::{CodeView, Instr};
use crate::opcodes::Opcode;
use crate::version::PyVersion;

type Format = &'static [(Opcode, &'static [(&'static str, u8)])];

const COUNTER: &[(&str, u8)] = &[("counter", 1)];
const LOAD_GLOBAL: &[(&str, u8)] = &[
    ("counter", 1),
    ("index", 1),
    ("module_keys_version", 1),
    ("builtin_keys_version", 1),
];
const LOAD_ATTR: &[(&str, u8)] = &[
    ("counter", 1),
    ("version", 2),
    ("keys_version", 2),
    ("descr", 4),
];
const STORE_ATTR: &[(&str, u8)] = &[("counter", 1), ("version", 2), ("index", 1)];
const CALL: &[(&str, u8)] = &[("counter", 1), ("func_version", 2)];
const TO_BOOL: &[(&str, u8)] = &[("counter", 1), ("version", 2)];

const V3_12: Format = &[
    (Opcode::LoadGlobal, LOAD_GLOBAL),
    (Opcode::BinaryOp, COUNTER),
    (Opcode::UnpackSequence, COUNTER),
    (Opcode::CompareOp, COUNTER),
    (Opcode::BinarySubscr, COUNTER),
    (Opcode::ForIter, COUNTER),
    (Opcode::LoadSuperAttr, COUNTER),
    (Opcode::LoadAttr, LOAD_ATTR),
    (Opcode::StoreAttr, STORE_ATTR),
    (Opcode::Call, CALL),
    (Opcode::StoreSubscr, COUNTER),
    (Opcode::Send, COUNTER),
];

const V3_13: Format = &[
    (Opcode::LoadGlobal, LOAD_GLOBAL),
    (Opcode::BinaryOp, COUNTER),
    (Opcode::UnpackSequence, COUNTER),
    (Opcode::CompareOp, COUNTER),
    (Opcode::ContainsOp, COUNTER),
    (Opcode::BinarySubscr, COUNTER),
    (Opcode::ForIter, COUNTER),
    (Opcode::LoadSuperAttr, COUNTER),
    (Opcode::LoadAttr, LOAD_ATTR),
    (Opcode::StoreAttr, STORE_ATTR),
    (Opcode::Call, CALL),
    (Opcode::StoreSubscr, COUNTER),
    (Opcode::Send, COUNTER),
    (Opcode::JumpBackward, COUNTER),
    (Opcode::ToBool, TO_BOOL),
    (Opcode::PopJumpIfTrue, COUNTER),
    (Opcode::PopJumpIfFalse, COUNTER),
    (Opcode::PopJumpIfNone, COUNTER),
    (Opcode::PopJumpIfNotNone, COUNTER),
];

const V3_14: Format = &[
    (Opcode::LoadGlobal, LOAD_GLOBAL),
    (Opcode::BinaryOp, &[("counter", 1), ("descr", 4)]),
    (Opcode::UnpackSequence, COUNTER),
    (Opcode::CompareOp, COUNTER),
    (Opcode::ContainsOp, COUNTER),
    (Opcode::ForIter, COUNTER),
    (Opcode::LoadSuperAttr, COUNTER),
    (Opcode::LoadAttr, LOAD_ATTR),
    (Opcode::StoreAttr, STORE_ATTR),
    (Opcode::Call, CALL),
    (Opcode::CallKw, CALL),
    (Opcode::StoreSubscr, COUNTER),
    (Opcode::Send, COUNTER),
    (Opcode::JumpBackward, COUNTER),
    (Opcode::ToBool, TO_BOOL),
    (Opcode::PopJumpIfTrue, COUNTER),
    (Opcode::PopJumpIfFalse, COUNTER),
    (Opcode::PopJumpIfNone, COUNTER),
    (Opcode::PopJumpIfNotNone, COUNTER),
];

/// The named cache fields of `op` on `v` (empty before 3.12 or when it has none).
pub fn format(v: PyVersion, op: Opcode) -> &'static [(&'static str, u8)] {
    let table = match v.minor {
        12 if v.major == 3 => V3_12,
        13 if v.major == 3 => V3_13,
        14 if v.major == 3 => V3_14,
        _ => return &[],
    };
    table.iter().find(|(n, _)| *n == op).map_or(&[], |(_, f)| f)
}

/// `(offset, argrepr)` of each cache unit after `ins`, as `dis` lists them.
pub fn lines(view: &CodeView, ins: &Instr) -> Vec<(u32, String)> {
    let units = ins.info.map_or(0, |i| u32::from(i.cache_entries));
    // NB: rows carry no caches before 3.11.
    if units == 0 {
        return Vec::new();
    }
    let v = view.table.version;
    let fields = ins.info.map_or(&[][..], |i| format(v, i.op));
    let mut out = Vec::with_capacity(units as usize);
    let mut offset = ins.offset;
    if fields.iter().map(|(_, n)| u32::from(*n)).sum::<u32>() != units {
        // NB: 3.11, or a layout this table does not know: plain units.
        for _ in 0..units {
            offset += 2;
            out.push((offset, String::new()));
        }
        return out;
    }
    for (name, size) in fields {
        let start = offset as usize + 2;
        let bytes = view
            .co_code
            .get(start..start + 2 * usize::from(*size))
            .unwrap_or(&[]);
        let value = bytes
            .iter()
            .rev()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        for i in 0..*size {
            offset += 2;
            out.push((
                offset,
                if i == 0 {
                    format!("{name}: {value}")
                } else {
                    String::new()
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opcodes;

    /// Every named layout adds up to the opcode's cache units of that version.
    #[test]
    fn layouts_match_the_cache_sizes() {
        for minor in [12, 13, 14] {
            let v = PyVersion::new(3, minor);
            let t = opcodes::table(v).unwrap();
            let table = match minor {
                12 => V3_12,
                13 => V3_13,
                _ => V3_14,
            };
            for (op, fields) in table {
                let units: u32 = fields.iter().map(|(_, n)| u32::from(*n)).sum();
                let info = t.info(*op).unwrap_or_else(|| panic!("{v}: no {op:?}"));
                assert_eq!(units, u32::from(info.cache_entries), "{v} {op:?}");
            }
        }
    }
}
