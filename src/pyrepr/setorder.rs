//! The order a frozenset constant prints in: CPython's set table, simulated.
//!
//! `marshal.loads` rebuilds a frozenset by adding the stored elements one by
//! one, and `repr()` walks the hash table slot by slot. For elements whose
//! hash does not depend on the process (ints, bools, finite floats) the
//! resulting order is a pure function of the stored order, reproduced here
//! for 64-bit builds. str/bytes hashes depend on the hash seed, so sets
//! holding anything else keep the stored order (see docs/dis.md).

use crate::marshal::{Marshal, ObjId, Value};

/// `PySet_MINSIZE`.
const MIN_SIZE: usize = 8;
/// `LINEAR_PROBES` of Objects/setobject.c.
const LINEAR_PROBES: usize = 9;
/// `PERTURB_SHIFT`.
const PERTURB_SHIFT: u32 = 5;
/// `_PyHASH_BITS` and `_PyHASH_MODULUS` on 64-bit builds.
const HASH_BITS: u32 = 61;
const MODULUS: u64 = (1 << HASH_BITS) - 1;
/// `_PyHASH_INF`.
const HASH_INF: i64 = 314_159;

/// The iteration order of the frozenset CPython builds from `items` (in
/// stored order), or `None` when some element's hash is seed- or
/// address-dependent.
pub fn frozenset_order(m: &Marshal, items: &[ObjId]) -> Option<Vec<ObjId>> {
    let hashes: Vec<i64> = items.iter().map(|&id| hash(m, id)).collect::<Option<_>>()?;
    let mut table: Vec<Option<(ObjId, i64)>> = vec![None; MIN_SIZE];
    let mut used = 0usize;
    for (&id, &h) in items.iter().zip(&hashes) {
        insert(&mut table, id, h);
        used += 1;
        // NB: no deletions, so fill == used; CPython resizes once the table
        // is 3/5 full, to the smallest power of two above 4x the size.
        let mask = table.len() - 1;
        if used * 5 >= mask * 3 {
            let min_used = if used > 50_000 { used * 2 } else { used * 4 };
            let mut size = MIN_SIZE;
            while size <= min_used {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for (id, h) in old.into_iter().flatten() {
                insert(&mut table, id, h);
            }
        }
    }
    Some(table.into_iter().flatten().map(|(id, _)| id).collect())
}

/// `set_insert_clean`: the elements are distinct, so the first free slot
/// of the probe sequence is taken.
fn insert(table: &mut [Option<(ObjId, i64)>], id: ObjId, h: i64) {
    let mask = table.len() - 1;
    let mut perturb = h as u64;
    let mut i = (h as u64 as usize) & mask;
    loop {
        let probes = if i + LINEAR_PROBES <= mask {
            LINEAR_PROBES
        } else {
            0
        };
        if let Some(slot) = table[i..=i + probes].iter_mut().find(|s| s.is_none()) {
            *slot = Some((id, h));
            return;
        }
        perturb >>= PERTURB_SHIFT;
        i = (i
            .wrapping_mul(5)
            .wrapping_add(1)
            .wrapping_add(perturb as usize))
            & mask;
    }
}

/// `hash()` of an element, when it is the same in every process.
fn hash(m: &Marshal, id: ObjId) -> Option<i64> {
    Some(match m.get(id) {
        Value::False => 0,
        Value::True => 1,
        Value::Int(i) => int_hash(*i < 0, i.unsigned_abs() % MODULUS),
        Value::Long(l) => {
            let mut x: u64 = 0;
            for &d in l.digits.iter().rev() {
                x = ((u128::from(x) << 15 | u128::from(d)) % u128::from(MODULUS)) as u64;
            }
            int_hash(l.negative, x)
        }
        Value::Float(f) => float_hash(*f)?,
        _ => return None,
    })
}

fn int_hash(negative: bool, magnitude_mod: u64) -> i64 {
    let h = if negative {
        -(magnitude_mod as i64)
    } else {
        magnitude_mod as i64
    };
    if h == -1 {
        -2
    } else {
        h
    }
}

/// `_Py_HashDouble` for finite and infinite values (NaN hashes by address).
fn float_hash(v: f64) -> Option<i64> {
    if v.is_nan() {
        return None;
    }
    if v.is_infinite() {
        return Some(if v > 0.0 { HASH_INF } else { -HASH_INF });
    }
    let (mut mant, mut e) = frexp(v);
    let sign: i64 = if mant < 0.0 { -1 } else { 1 };
    mant = mant.abs();
    let mut x: u64 = 0;
    while mant != 0.0 {
        x = ((x << 28) & MODULUS) | x >> (HASH_BITS - 28);
        mant *= 268_435_456.0;
        e -= 28;
        let y = mant as u64;
        mant -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let bits = HASH_BITS as i32;
    let e = if e >= 0 {
        e % bits
    } else {
        bits - 1 - ((-1 - e) % bits)
    } as u32;
    x = ((x << e) & MODULUS) | x >> (HASH_BITS - e);
    let h = (x as i64).wrapping_mul(sign);
    Some(if h == -1 { -2 } else { h })
}

/// C's `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1` (m = 0 for 0).
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::powi(2.0, 64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}
