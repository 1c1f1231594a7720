//! The verifier's definite-assignment rule (src/verify/locals.rs): from
//! 3.12, loads that do not check for NULL (`LOAD_FAST`,
//! `LOAD_FAST_LOAD_FAST`, `STORE_FAST_LOAD_FAST`, `LOAD_FAST_BORROW`) may
//! only read locals bound on every path. Each case is broken on every
//! version that has the opcode, next to an unbroken control; 3.8-3.11,
//! whose `LOAD_FAST` raises `UnboundLocalError`, accept the same code.
//! (That every function CPython compiled still verifies is
//! tests/verify.rs::cpython_code_verifies_clean.)

mod support;

use pyrewrite::ir::{Arg, ConstIdx, Function, Instr, LocalIdx};
use pyrewrite::marshal::Marshal;
use pyrewrite::opcodes::{self, OpTable};
use pyrewrite::verify::{self, Invariant};
use pyrewrite::{stackdepth, PyVersion};

const CO_VARARGS: u32 = 0x04;
const CO_VARKEYWORDS: u32 = 0x08;

fn functions(v: PyVersion) -> Vec<(Marshal, Function)> {
    support::corpus_functions(v)
}

fn params(f: &Function) -> usize {
    f.argcount as usize
        + f.kwonlyargcount as usize
        + usize::from(f.flags & CO_VARARGS != 0)
        + usize::from(f.flags & CO_VARKEYWORDS != 0)
}

/// A plain local slot (no cell, no free variable) that is no parameter.
fn plain_local(f: &Function) -> Option<LocalIdx> {
    (params(f)..f.localsplus.len())
        .find(|&i| f.localspluskinds.get(i).is_none_or(|k| k & 0xC0 == 0))
        .map(|i| LocalIdx(i as u32))
}

fn ins(t: &OpTable, name: &str, arg: Arg) -> Instr {
    Instr::new(
        t.by_name(name)
            .unwrap_or_else(|| panic!("{name} in {}", t.version))
            .op,
        arg,
    )
}

/// Where the body starts in block 0: after RESUME (3.11+), which comes
/// after the frame set-up (MAKE_CELL, COPY_FREE_VARS); else at 0.
fn body_index(f: &Function, t: &OpTable) -> usize {
    f.blocks[0]
        .instrs
        .iter()
        .rposition(|i| t.get(i.op).is_some_and(|o| o.name == "RESUME"))
        .map_or(0, |k| k + 1)
}

/// `f` with `seq` where its body starts, and a co_stacksize to fit.
fn with_prefix(f: &Function, t: &OpTable, seq: Vec<Instr>) -> Function {
    let mut g = f.clone();
    let at = body_index(f, t);
    g.blocks[0].instrs.splice(at..at, seq);
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 8);
    g
}

fn unbound_errors(m: &Marshal, g: &Function) -> Vec<String> {
    match verify::verify_in(g, m) {
        Ok(()) => Vec::new(),
        Err(errs) => {
            let other: Vec<_> = errs
                .iter()
                .filter(|e| e.invariant != Invariant::UnboundLocal)
                .collect();
            assert!(other.is_empty(), "unexpected problems: {other:?}");
            errs.iter().map(|e| e.to_string()).collect()
        }
    }
}

/// A corpus function of `v` without handlers in block 0, with a plain
/// local and a constant.
fn subject(v: PyVersion) -> (Marshal, Function, LocalIdx) {
    functions(v)
        .into_iter()
        .find_map(|(m, f)| {
            let i = plain_local(&f)?;
            let ok = !f.consts.is_empty()
                && f.blocks[0].instrs.iter().all(|i| i.handler.is_none())
                && f.flags & 0x1A0 == 0 // NB: no generator frame: its prologue differs
                && verify::verify_in(&f, &m).is_ok();
            ok.then_some((m, f, i))
        })
        .unwrap_or_else(|| panic!("{v}: no corpus function with a plain local"))
}

#[test]
fn unchecked_load_of_an_unbound_local() {
    for v in PyVersion::SUPPORTED {
        let Some(t) = opcodes::table(v) else { continue };
        if support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let unchecked = v.at_least(12);
        let (m, f, i) = subject(v);
        let c = Arg::Const(ConstIdx(0));
        let load = |name| vec![ins(t, name, Arg::Local(i)), ins(t, "POP_TOP", Arg::None)];

        // Read before any store: only the unchecked load is refused.
        let g = with_prefix(&f, t, load("LOAD_FAST"));
        let errs = unbound_errors(&m, &g);
        assert_eq!(
            !errs.is_empty(),
            unchecked,
            "{v}: LOAD_FAST before a store: {errs:?}"
        );
        if unchecked {
            assert!(
                errs[0].contains("[unbound-local]") && errs[0].contains("LOAD_FAST"),
                "{v}: {errs:?}"
            );
            let g = with_prefix(&f, t, load("LOAD_FAST_CHECK"));
            assert_eq!(
                unbound_errors(&m, &g),
                Vec::<String>::new(),
                "{v}: LOAD_FAST_CHECK checks"
            );
        }

        // Stored first: bound.
        let mut seq = vec![ins(t, "LOAD_CONST", c), ins(t, "STORE_FAST", Arg::Local(i))];
        seq.extend(load("LOAD_FAST"));
        let g = with_prefix(&f, t, seq.clone());
        assert_eq!(
            unbound_errors(&m, &g),
            Vec::<String>::new(),
            "{v}: stored, then loaded"
        );

        // Stored, deleted, loaded: unbound again.
        seq.insert(2, ins(t, "DELETE_FAST", Arg::Local(i)));
        let g = with_prefix(&f, t, seq);
        assert_eq!(
            !unbound_errors(&m, &g).is_empty(),
            unchecked,
            "{v}: deleted, then loaded"
        );

        // 3.12+: LOAD_FAST_AND_CLEAR's value may be NULL; storing it back
        // leaves the local maybe unbound (an inlined comprehension's restore).
        if unchecked {
            let mut seq = vec![
                ins(t, "LOAD_FAST_AND_CLEAR", Arg::Local(i)),
                ins(t, "STORE_FAST", Arg::Local(i)),
            ];
            seq.extend(load("LOAD_FAST"));
            let g = with_prefix(&f, t, seq);
            assert!(
                !unbound_errors(&m, &g).is_empty(),
                "{v}: a maybe-NULL value stored back"
            );
        }
    }
}

#[test]
fn superinstructions_read_both_slots() {
    for v in PyVersion::SUPPORTED {
        let Some(t) = opcodes::table(v) else { continue };
        if t.by_name("LOAD_FAST_LOAD_FAST").is_none() || support::corpus_pyc_files(v).is_empty() {
            continue;
        }
        let (m, f, i) = subject(v);
        let c = Arg::Const(ConstIdx(0));
        let pop2 = [ins(t, "POP_TOP", Arg::None), ins(t, "POP_TOP", Arg::None)];
        let store = |j| vec![ins(t, "LOAD_CONST", c), ins(t, "STORE_FAST", Arg::Local(j))];
        // `i` unbound as the second of the pair: refused; bound: accepted.
        let mut seq = vec![ins(t, "LOAD_CONST", c), ins(t, "STORE_FAST", Arg::Local(i))];
        seq.push(ins(t, "LOAD_FAST_LOAD_FAST", Arg::LocalPair(i, i)));
        seq.extend(pop2.clone());
        let g = with_prefix(&f, t, seq);
        assert_eq!(
            unbound_errors(&m, &g),
            Vec::<String>::new(),
            "{v}: pair of a bound local"
        );
        let Some(j) = (i.0 + 1..f.localsplus.len() as u32)
            .find(|&j| {
                f.localspluskinds
                    .get(j as usize)
                    .is_none_or(|k| k & 0xC0 == 0)
            })
            .map(LocalIdx)
        else {
            // NB: one plain local only: the pair reads it twice.
            let mut seq = vec![ins(t, "LOAD_FAST_LOAD_FAST", Arg::LocalPair(i, i))];
            seq.extend(pop2.clone());
            assert!(
                !unbound_errors(&m, &with_prefix(&f, t, seq)).is_empty(),
                "{v}: pair of an unbound local"
            );
            continue;
        };
        let mut seq = store(i);
        seq.push(ins(t, "LOAD_FAST_LOAD_FAST", Arg::LocalPair(i, j)));
        seq.extend(pop2.clone());
        let errs = unbound_errors(&m, &with_prefix(&f, t, seq));
        assert!(
            errs.iter().any(|e| e.contains("LOAD_FAST_LOAD_FAST")),
            "{v}: second slot unbound: {errs:?}"
        );
        // STORE_FAST_LOAD_FAST stores the first slot, then reads the second.
        let seq = vec![
            ins(t, "LOAD_CONST", c),
            ins(t, "STORE_FAST_LOAD_FAST", Arg::LocalPair(i, i)),
            ins(t, "POP_TOP", Arg::None),
        ];
        assert_eq!(
            unbound_errors(&m, &with_prefix(&f, t, seq)),
            Vec::<String>::new(),
            "{v}: store then read the same slot"
        );
        let seq = vec![
            ins(t, "LOAD_CONST", c),
            ins(t, "STORE_FAST_LOAD_FAST", Arg::LocalPair(i, j)),
            ins(t, "POP_TOP", Arg::None),
        ];
        assert!(
            !unbound_errors(&m, &with_prefix(&f, t, seq)).is_empty(),
            "{v}: store one, read another unbound"
        );
    }
}

#[test]
fn cpythons_checked_loads_made_unchecked_are_refused() {
    // CPython's own LOAD_FAST_CHECKs guard locals unbound on some path
    // (a branch, a loop, a handler); unchecking any of them is refused.
    for v in PyVersion::SUPPORTED {
        let Some(t) = opcodes::table(v) else { continue };
        let Some(check) = t.by_name("LOAD_FAST_CHECK") else {
            continue;
        };
        let fast = t.by_name("LOAD_FAST").unwrap().op;
        let mut n = 0;
        for (m, f) in functions(v) {
            for (bi, b) in f.blocks.iter().enumerate() {
                for (k, i) in b.instrs.iter().enumerate() {
                    if i.op != check.op {
                        continue;
                    }
                    let mut g = f.clone();
                    g.blocks[bi].instrs[k].op = fast;
                    let errs = unbound_errors(&m, &g);
                    assert!(
                        errs.iter().any(|e| e.contains("[unbound-local]")),
                        "{v}: LOAD_FAST_CHECK #{k} of block {bi} made unchecked is accepted"
                    );
                    n += 1;
                }
            }
        }
        assert!(n > 0, "{v}: the corpus has no LOAD_FAST_CHECK");
        eprintln!("{v}: {n} checked loads unchecked, each refused");
    }
}

/// 3.11+: the deref ops read the cell in a localsplus slot unchecked; the
/// slot is bound by COPY_FREE_VARS (free) or MAKE_CELL (cell). Without
/// COPY_FREE_VARS, a closure's LOAD_DEREF reads NULL.
#[test]
fn deref_needs_its_cell_slot_bound() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(11)) {
        let Some(t) = opcodes::table(v) else { continue };
        let Some(copy) = t.by_name("COPY_FREE_VARS").map(|i| i.op) else {
            continue;
        };
        let nop = t.by_name("NOP").unwrap().op;
        let mut refused = 0;
        for (m, f) in functions(v) {
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            let Some(i) = f.blocks[0].instrs.iter().position(|x| x.op == copy) else {
                continue;
            };
            let mut g = f.clone();
            g.blocks[0].instrs[i].op = nop;
            g.blocks[0].instrs[i].arg = Arg::None;
            let errs = unbound_errors(&m, &g);
            if !errs.is_empty() {
                refused += 1;
            }
        }
        assert!(
            refused > 0,
            "{v}: no closure without COPY_FREE_VARS refused"
        );
        eprintln!("{v}: {refused} closures without COPY_FREE_VARS refused");
    }
}
