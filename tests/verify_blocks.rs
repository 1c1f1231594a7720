//! The 3.9/3.10 block stack (src/verify/blocks.rs; 3.8: the lower bound,
//! underflow and the levels of the blocks SETUP_* opened), each rule
//! broken on every version it applies to: a pop with no block open, a pop
//! below an open block's level, paths meeting with different block
//! stacks, more than CO_MAXBLOCKS blocks. (That every function CPython compiled still
//! verifies is tests/verify.rs::cpython_code_verifies_clean.)

mod support;

use pyrewrite::ir::{Arg, ConstIdx, Function, Instr};
use pyrewrite::marshal::Marshal;
use pyrewrite::opcodes::{self, OpTable, Opcode};
use pyrewrite::verify::{self, Invariant};
use pyrewrite::{stackdepth, PyVersion};

const VERSIONS: [PyVersion; 2] = [PyVersion::new(3, 9), PyVersion::new(3, 10)];

fn functions(v: PyVersion) -> Vec<(Marshal, Function)> {
    support::corpus_functions(v)
}

fn ins(t: &OpTable, name: &str, arg: Arg) -> Instr {
    Instr::new(t.by_name(name).unwrap().op, arg)
}

fn block_errors(m: &Marshal, g: &Function) -> Vec<String> {
    let mut g = g.clone();
    g.stacksize = stackdepth::stacksize(&g).unwrap_or(g.stacksize + 64);
    match verify::verify_in(&g, m) {
        Ok(()) => Vec::new(),
        Err(errs) => errs
            .iter()
            .filter(|e| e.invariant == Invariant::BlockStack)
            .map(|e| e.to_string())
            .collect(),
    }
}

fn positions(f: &Function, op: Opcode) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (b, blk) in f.blocks.iter().enumerate() {
        for (i, x) in blk.instrs.iter().enumerate() {
            if x.op == op {
                out.push((b, i));
            }
        }
    }
    out
}

#[test]
fn pop_block_with_no_block_open_is_refused() {
    // NB: 3.8 too: there the block count is a lower bound.
    for v in [PyVersion::new(3, 8), VERSIONS[0], VERSIONS[1]] {
        let t = opcodes::table(v).unwrap();
        let (m, f) = functions(v)
            .into_iter()
            .find(|(m, f)| verify::verify_in(f, m).is_ok())
            .unwrap();
        // NB: POP_EXCEPT and END_ASYNC_FOR also need exception values on
        // the stack, so the stack checks refuse them first.
        for name in ["POP_BLOCK"] {
            let mut g = f.clone();
            g.blocks[0].instrs.insert(0, ins(t, name, Arg::None));
            let errs = block_errors(&m, &g);
            assert!(
                errs.iter().any(|e| e.contains("block stack is empty")),
                "{v} {name}: {errs:?}"
            );
        }
    }
}

#[test]
fn popping_below_an_open_blocks_level_is_refused() {
    // NB: 3.8 too: the last block of the lower bound is surely open (seed
    // 5150: a POP_TOP made BINARY_SUBTRACT took `__exit__` from under a
    // `with` block's level, and its cleanup called what lay below).
    for v in [PyVersion::new(3, 8), VERSIONS[0], VERSIONS[1]] {
        let t = opcodes::table(v).unwrap();
        let setup = t.by_name("SETUP_FINALLY").unwrap().op;
        let mut found = 0;
        for (m, f) in functions(v) {
            for (b, i) in positions(&f, setup) {
                // SETUP_FINALLY; POP_TOP; LOAD_CONST: the depth is unchanged
                // after, but a value under the block's level was popped.
                let mut g = f.clone();
                let seq = [
                    ins(t, "POP_TOP", Arg::None),
                    ins(t, "LOAD_CONST", Arg::Const(ConstIdx(0))),
                ];
                g.blocks[b].instrs.splice(i + 1..i + 1, seq);
                if block_errors(&m, &g)
                    .iter()
                    .any(|e| e.contains("below the level"))
                {
                    found += 1;
                }
            }
        }
        assert!(
            found > 0,
            "{v}: no try block above a stack value in the corpus"
        );
        eprintln!("{v}: {found} pops below a try block's level refused");
    }
}

#[test]
fn paths_with_different_block_stacks_are_refused() {
    for v in VERSIONS {
        let t = opcodes::table(v).unwrap();
        let pop_block = t.by_name("POP_BLOCK").unwrap().op;
        let mut found = 0;
        for (m, f) in functions(v) {
            let Some(&(b, i)) = positions(&f, pop_block).first() else {
                continue;
            };
            if verify::verify_in(&f, &m).is_err() {
                continue;
            }
            // Without its POP_BLOCK the try body leaves its block open on
            // the normal path; the handler's path closes it.
            let mut g = f.clone();
            g.blocks[b].instrs.remove(i);
            let errs = block_errors(&m, &g);
            if errs.iter().any(|e| e.contains("different block stacks")) {
                found += 1;
            }
        }
        assert!(found > 0, "{v}: no removal of a POP_BLOCK was caught");
        eprintln!("{v}: {found} functions without their first POP_BLOCK refused");
    }
}

/// A verifying corpus function of `v` that is one block without jumps.
fn straight_line(v: PyVersion) -> (Marshal, Function) {
    functions(v)
        .into_iter()
        .find(|(m, f)| {
            verify::verify_in(f, m).is_ok()
                && f.blocks.len() == 1
                && f.instrs().all(|i| !matches!(i.arg, Arg::Jump(_)))
        })
        .unwrap()
}

#[test]
fn more_than_co_maxblocks_is_refused() {
    for v in VERSIONS {
        let t = opcodes::table(v).unwrap();
        // A straight-line function, with a handler block appended that returns.
        let (m, f) = straight_line(v);
        for n in [20usize, 21] {
            let mut g = f.clone();
            let handler = g.new_label();
            let mut b = g.blocks[0].clone();
            b.label = handler;
            b.instrs = vec![ins(t, "RETURN_VALUE", Arg::None)];
            g.blocks.push(b);
            g.blocks[0].instrs.splice(
                0..0,
                (0..n).map(|_| ins(t, "SETUP_FINALLY", Arg::Jump(handler))),
            );
            let errs = block_errors(&m, &g);
            assert_eq!(
                errs.iter().any(|e| e.contains("CO_MAXBLOCKS")),
                n > 20,
                "{v} {n} blocks: {errs:?}"
            );
        }
    }
}

/// 3.8's block count is a lower bound (its `POP_FINALLY`/`END_FINALLY`
/// pop a block only on an exception), so a loop that opens a block on
/// every turn was not seen; the upper bound beside it stops at
/// `CO_MAXBLOCKS` (seed 31415: a `LOAD_FAST` after `SETUP_FINALLY` made a
/// jump back to the start, `Py_FatalError` "block stack overflow"). The
/// same loop closing its block each turn is accepted.
#[test]
fn a_loop_that_opens_a_block_each_turn_is_refused_on_3_8() {
    let v = PyVersion::new(3, 8);
    let t = opcodes::table(v).unwrap();
    let (m, f) = straight_line(v);
    for close in [false, true] {
        let mut g = f.clone();
        let top = g.blocks[0].label;
        let handler = g.new_label();
        let mut h = g.blocks[0].clone();
        h.label = handler;
        h.instrs = vec![ins(t, "RETURN_VALUE", Arg::None)];
        let mut body = vec![ins(t, "SETUP_FINALLY", Arg::Jump(handler))];
        if close {
            body.push(ins(t, "POP_BLOCK", Arg::None));
        }
        body.push(ins(t, "JUMP_ABSOLUTE", Arg::Jump(top)));
        g.blocks[0].instrs = body;
        g.blocks.push(h);
        g.stacksize = g.stacksize.max(6);
        let errs = block_errors(&m, &g);
        assert_eq!(
            errs.iter().any(|e| e.contains("CO_MAXBLOCKS")),
            !close,
            "closing the block each turn: {close}: {errs:?}"
        );
    }
}
