//! Instruction decoding as each version's `dis._unpack_opargs` does it.

use crate::opcodes::{OpInfo, OpTable};

/// One instruction as `dis` sees it (inline caches skipped).
#[derive(Clone, Debug)]
pub struct Instr {
    /// Byte offset.
    pub offset: u32,
    /// Opcode byte.
    pub op: u8,
    /// The opcode's facts; `None` for a byte the version does not define.
    pub info: Option<&'static OpInfo>,
    /// The argument with EXTENDED_ARG prefixes merged, `None` when `dis`
    /// treats the opcode as argument-less.
    pub arg: Option<i64>,
}

impl Instr {
    /// The name `dis` prints: `<N>` for an undefined opcode.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        match self.info {
            Some(i) => i.name.into(),
            None => format!("<{}>", self.op).into(),
        }
    }
}

/// Decodes `code` as version `t.version`'s `dis._unpack_opargs`:
///
/// * 3.8/3.9: an argument for `op >= HAVE_ARGUMENT`; the EXTENDED_ARG
///   accumulator survives argument-less opcodes;
/// * 3.10: the accumulator is cleared by argument-less opcodes;
/// * 3.11+: inline cache units are skipped and the accumulator wraps to a
///   negative 32-bit value; from 3.12 "has an argument" is `hasarg`.
pub fn decode(t: &'static OpTable, code: &[u8]) -> Vec<Instr> {
    let v = t.version;
    let mut out = Vec::with_capacity(code.len() / 2);
    let mut ext: i64 = 0;
    let mut skip = 0u32;
    let mut i = 0usize;
    while i < code.len() {
        if skip > 0 {
            skip -= 1;
            i += 2;
            continue;
        }
        let op = code[i];
        let info = t.get(op);
        // NB: dis reads code[i+1] even for the last byte of an odd-length
        // code string; CPython never writes one, so treat a missing byte as 0.
        let byte = i64::from(code.get(i + 1).copied().unwrap_or(0));
        let has_arg = t.takes_arg(op);
        // NB: rows carry no caches before 3.11.
        skip = info.map_or(0, |o| u32::from(o.cache_entries));
        let arg = if has_arg {
            let a = byte | ext;
            // NB: 3.11+ compare the deoptimized opcode (EXTENDED_ARG_QUICK counts).
            // NB: deopt is the identity before 3.11.
            let is_ext = t.deopt(op) == t.extended_arg;
            ext = if is_ext { a << 8 } else { 0 };
            // NB: behaviour of dis: 3.11+ wraps the prefix to a C int.
            if v.at_least(11) && ext >= 1 << 31 {
                ext -= 1 << 32;
            }
            Some(a)
        } else {
            // NB: behaviour of dis: 3.10+ drops a prefix before an argument-less opcode.
            if v.at_least(10) {
                ext = 0;
            }
            None
        };
        out.push(Instr {
            offset: i as u32,
            op,
            info,
            arg,
        });
        i += 2;
    }
    out
}
