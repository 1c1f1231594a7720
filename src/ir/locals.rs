//! Adding a local variable slot to a function, in either locals layout.

use super::{Arg, FreeIdx, Function, LocalIdx};
use crate::marshal::ObjId;

/// `co_localspluskinds` bit of a plain local (3.11+).
const CO_FAST_LOCAL: u8 = 0x20;
/// 4-bit fields of a packed local pair (3.13+ superinstructions).
const PAIR_LIMIT: u32 = 16;

impl Function {
    /// Adds a plain local variable called `name` (a str node) and returns
    /// its slot for `LOAD_FAST`/`STORE_FAST`; it starts unbound.
    ///
    /// Before 3.11 it is appended to `co_varnames` (cells and free
    /// variables are numbered apart). From 3.11 the locals, cells and free
    /// variables share one array, whose free variables must come last
    /// (`COPY_FREE_VARS` fills the last `n` slots) and whose plain locals
    /// come first: the slot goes after the last local and every slot
    /// argument at or past it moves up by one. A packed pair that would
    /// no longer fit its 4-bit fields is an error, and nothing is changed.
    pub fn add_local(&mut self, name: ObjId) -> Result<LocalIdx, String> {
        if !self.version.localsplus_layout() {
            self.localsplus.push(name);
            self.nlocals += 1;
            return Ok(LocalIdx(self.localsplus.len() as u32 - 1));
        }
        let at = self
            .localspluskinds
            .iter()
            .position(|&k| k & CO_FAST_LOCAL == 0)
            .unwrap_or(self.localspluskinds.len()) as u32;
        let shift = |i: u32| if i >= at { i + 1 } else { i };
        let local = |i: LocalIdx| LocalIdx(shift(i.0));
        for ins in self.blocks.iter().flat_map(|b| b.instrs.iter()) {
            if let Arg::LocalPair(a, b) = ins.arg {
                if shift(a.0) >= PAIR_LIMIT || shift(b.0) >= PAIR_LIMIT {
                    return Err(format!(
                        "a local pair ({a}, {b}) would move past slot {}: its packed argument cannot hold it",
                        PAIR_LIMIT - 1
                    ));
                }
            }
        }
        for ins in self.blocks.iter_mut().flat_map(|b| b.instrs.iter_mut()) {
            ins.arg = match ins.arg {
                Arg::Local(i) => Arg::Local(local(i)),
                Arg::Free(i) => Arg::Free(FreeIdx(shift(i.0))),
                Arg::LocalPair(a, b) => Arg::LocalPair(local(a), local(b)),
                other => other,
            };
        }
        self.localsplus.insert(LocalIdx(at), name);
        self.localspluskinds.insert(at as usize, CO_FAST_LOCAL);
        self.nlocals += 1;
        Ok(LocalIdx(at))
    }
}
