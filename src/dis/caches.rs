//! Inline cache lines (`dis.dis(show_caches=True)`, `python -m dis -C`):
//! after each instruction with caches, one `CACHE 0` line per 2-byte unit.
//! From 3.12 the first unit of each cache field shows `(name: value)`, the
//! field's bytes read little-endian. The fields are each row's
//! `cache_fields` (`opcode._cache_format`, generated).

use super::{CodeView, Instr};

/// Whether this version's `dis` names the cache fields of an instruction
/// as it is in a code object's `co_code`.
// NB: behaviour, not a row fact: 3.11's dis names them only for quickened
// (specialized) instructions, which `co_code` never holds; 3.12+ always.
fn names_fields(view: &CodeView) -> bool {
    view.table.version.at_least(12)
}

/// `(offset, argrepr)` of each cache unit after `ins`, as `dis` lists them.
pub fn lines(view: &CodeView, ins: &Instr) -> Vec<(u32, String)> {
    let units = ins.info.map_or(0, |i| u32::from(i.cache_entries));
    // NB: rows carry no caches before 3.11.
    if units == 0 {
        return Vec::new();
    }
    let fields = match ins.info {
        Some(i) if names_fields(view) => i.cache_fields,
        _ => &[],
    };
    let mut out = Vec::with_capacity(units as usize);
    let mut offset = ins.offset;
    if fields.iter().map(|(_, n)| u32::from(*n)).sum::<u32>() != units {
        // NB: 3.11, or no named layout: plain units.
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
    use crate::opcodes;
    use crate::version::PyVersion;

    /// Every named layout adds up to the opcode's cache units, and the
    /// opcodes 3.12+ dis names fields for have them.
    #[test]
    fn layouts_match_the_cache_sizes() {
        for v in PyVersion::SUPPORTED {
            let t = opcodes::table(v).unwrap();
            let mut named = 0;
            for info in t.ops.iter().flatten() {
                if info.cache_fields.is_empty() {
                    continue;
                }
                named += 1;
                let units: u32 = info.cache_fields.iter().map(|(_, n)| u32::from(*n)).sum();
                assert_eq!(units, u32::from(info.cache_entries), "{v} {}", info.name);
            }
            assert_eq!(
                named > 0,
                v.at_least(11),
                "{v}: {named} opcodes with named caches"
            );
        }
    }
}
