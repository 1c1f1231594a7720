//! The verifier accepts every function CPython compiled (corpus and each
//! version's standard library, lifted unchanged) and rejects hand-broken
//! ones, each breaking one invariant, with that invariant.
//!
//! Stdlib directories as in tests/stackdepth_oracle.rs:
//! `PYREWRITE_STDLIB_3_X=<dir>`, `/tmp/stdlib-3.X.*`, else the oracle cache;
//! `PYREWRITE_STDLIB=0` checks the corpus only.

mod support;

use pyrewrite::cfg::{self, Cfg, EdgeKind};
use pyrewrite::ir::{Arg, Block, ConstIdx, Function, Handler, Instr, Label, NameIdx};
use pyrewrite::lift;
use pyrewrite::marshal::{Marshal, Value};
use pyrewrite::opcodes::{self, OpKind, Opcode};
use pyrewrite::pyc::Pyc;
use pyrewrite::verify::{self, Invariant, Limits};
use pyrewrite::{stackdepth, PyVersion};
use std::path::{Path, PathBuf};

fn load(path: &Path) -> Marshal {
    try_load(path).unwrap_or_else(|| panic!("{}: unreadable", path.display()))
}

/// The file's marshal tree; `None` when the file vanished (a cache being
/// rebuilt by a concurrent test run).
fn try_load(path: &Path) -> Option<Marshal> {
    let data = std::fs::read(path).ok()?;
    Some(
        Pyc::parse(&data)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .marshal,
    )
}

#[test]
fn cpython_code_verifies_clean() {
    let mut failures = Vec::new();
    let mut total = 0usize;
    for v in PyVersion::SUPPORTED {
        let files: Vec<PathBuf> = support::corpus_pyc_files(v)
            .into_iter()
            .chain(support::stdlib_files(v))
            .collect();
        let (mut n, mut bad) = (0usize, 0usize);
        for path in &files {
            let Some(m) = try_load(path) else {
                eprintln!("{}: vanished, skipped", path.display());
                continue;
            };
            for (id, _) in m.code_objects() {
                let Value::Code(c) = m.get(id) else {
                    unreachable!()
                };
                let f =
                    lift::lift(&m, id).unwrap_or_else(|e| panic!("{}: lift: {e}", path.display()));
                n += 1;
                if let Err(errs) = verify::verify_code(&m, id) {
                    bad += 1;
                    failures.push(format!("{} raw: {}", path.display(), errs[0]));
                }
                if let Err(errs) = verify::verify_in(&f, &m) {
                    bad += 1;
                    if failures.len() < 20 {
                        let name = m.str(c.name).unwrap_or_default().into_owned();
                        failures.push(format!(
                            "{} {name} (line {}): {}",
                            path.display(),
                            c.firstlineno,
                            errs[0]
                        ));
                    }
                }
            }
        }
        eprintln!(
            "{v}: {n} code objects from {} files, {bad} rejected",
            files.len()
        );
        total += n;
    }
    assert!(total > 0, "no code objects checked");
    assert!(
        failures.is_empty(),
        "CPython's own code rejected:\n{}",
        failures.join("\n")
    );
}

/// A lifted function of version `v`'s corpus for which `pick` says yes.
fn corpus_function(v: PyVersion, pick: &dyn Fn(&Function) -> bool) -> Option<(Marshal, Function)> {
    for path in support::corpus_pyc_files(v) {
        let m = load(&path);
        for (id, _) in m.code_objects() {
            let f = lift::lift(&m, id).expect("lift");
            if pick(&f) {
                return Some((m, f));
            }
        }
    }
    None
}

fn op(v: PyVersion, name: &str) -> Option<Opcode> {
    opcodes::table(v)?.by_name(name).map(|i| i.op)
}

fn name_of(f: &Function, ins: &Instr) -> &'static str {
    opcodes::table(f.version)
        .and_then(|t| t.get(ins.op))
        .map_or("?", |i| i.name)
}

/// (block, instr) of the first instruction for which `pred` holds.
fn find(f: &Function, pred: impl Fn(&Instr) -> bool) -> Option<(usize, usize)> {
    f.blocks
        .iter()
        .enumerate()
        .find_map(|(b, blk)| blk.instrs.iter().position(&pred).map(|i| (b, i)))
}

/// Checks that the unchanged `f` verifies and the broken one reports
/// `inv` (at `at` when given).
fn expect(
    v: PyVersion,
    what: &str,
    f: &Function,
    broken: &Function,
    inv: Invariant,
    at: Option<(usize, usize)>,
    limits: &Limits,
) {
    assert!(
        verify::verify_with(f, limits).is_ok(),
        "{v} {what}: the unbroken function does not verify"
    );
    let errs = verify::verify_with(broken, limits)
        .expect_err(&format!("{v} {what}: broken function accepted"));
    let hit = errs.iter().find(|e| e.invariant == inv);
    let Some(hit) = hit else {
        panic!(
            "{v} {what}: expected {inv:?}, got {:?}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
    };
    if let Some((b, i)) = at {
        assert!(
            errs.iter().any(|e| e.invariant == inv
                && e.location.block == Some(b)
                && e.location.instr == Some(i)),
            "{v} {what}: {inv:?} reported at {hit}, expected block {b} instr {i}"
        );
    }
    eprintln!("{v} {what}: {hit}");
}

/// One hand-broken function per invariant, for every version with a corpus.
#[test]
fn broken_functions_are_rejected() {
    let lim = Limits::CPYTHON;
    let mut versions = 0;
    for v in support::corpus_versions() {
        let t = opcodes::table(v).expect("table");
        let Some((_m, f)) = corpus_function(v, &|f| {
            // a function with a loop, a jump, names, constants and locals
            let cfg = Cfg::new(f).expect("cfg");
            f.localsplus.len() > 1
                && !f.names.is_empty()
                && cfg.blocks().any(|b| {
                    cfg.predecessors_of_kind(b, EdgeKind::Jump).len()
                        + cfg.predecessors_of_kind(b, EdgeKind::Fallthrough).len()
                        >= 2
                })
                && f.instrs().any(|i| matches!(i.arg, Arg::Jump(_)))
                && f.instrs().any(|i| matches!(i.arg, Arg::Local(_)))
                && cfg.reachable().last() == Some(&true)
                && f.blocks
                    .last()
                    .and_then(|b| b.instrs.last())
                    .is_some_and(|i| name_of(f, i).starts_with("RETURN_"))
        }) else {
            continue;
        };
        versions += 1;

        // no code
        let mut g = f.clone();
        for b in &mut g.blocks {
            b.instrs.clear();
        }
        expect(v, "no code", &f, &g, Invariant::NoCode, None, &lim);

        // duplicate label / label beyond next_label
        let mut g = f.clone();
        g.blocks[1].label = g.blocks[0].label;
        expect(
            v,
            "duplicate label",
            &f,
            &g,
            Invariant::DuplicateLabel,
            None,
            &lim,
        );
        let mut g = f.clone();
        g.next_label = 0;
        expect(
            v,
            "label beyond next",
            &f,
            &g,
            Invariant::LabelBeyondNext,
            None,
            &lim,
        );

        // unknown and non-base opcodes
        let (b, i) = find(&f, |ins| name_of(&f, ins) == "POP_TOP").expect("a POP_TOP");
        let undefined = Opcode::ALL
            .into_iter()
            .find(|&o| t.get(o).is_none())
            .expect("an opcode this version lacks");
        let mut g = f.clone();
        g.blocks[b].instrs[i].op = undefined;
        expect(
            v,
            "unknown opcode",
            &f,
            &g,
            Invariant::UnknownOpcode,
            Some((b, i)),
            &lim,
        );
        let special = t
            .ops
            .iter()
            .flatten()
            .find(|o| o.kind == OpKind::Specialized && !o.has_arg)
            .map(|o| o.op);
        let mut g = f.clone();
        g.blocks[b].instrs[i].op = special.unwrap_or(Opcode::ExtendedArg);
        g.blocks[b].instrs[i].arg = if special.is_some() {
            Arg::None
        } else {
            Arg::Int(0)
        };
        expect(
            v,
            "non-base opcode",
            &f,
            &g,
            Invariant::NotBaseOpcode,
            Some((b, i)),
            &lim,
        );

        // argument kind: an argument on an argument-less opcode
        let mut g = f.clone();
        g.blocks[b].instrs[i].arg = Arg::Const(ConstIdx(0));
        expect(
            v,
            "arg on arg-less op",
            &f,
            &g,
            Invariant::ArgKind,
            Some((b, i)),
            &lim,
        );
        // argument range: name flags that do not fit
        let (nb, ni) = find(&f, |ins| matches!(ins.arg, Arg::Name { .. })).expect("a name op");
        let shift = u32::from(t.facts(f.blocks[nb].instrs[ni].op).name_shift);
        let mut g = f.clone();
        if let Arg::Name { ref mut flags, .. } = g.blocks[nb].instrs[ni].arg {
            *flags = 1 << shift;
        }
        expect(
            v,
            "name flags",
            &f,
            &g,
            Invariant::ArgRange,
            Some((nb, ni)),
            &lim,
        );

        // indices out of range
        let (cb, ci) = find(&f, |ins| matches!(ins.arg, Arg::Const(_))).expect("a const op");
        let mut g = f.clone();
        g.blocks[cb].instrs[ci].arg = Arg::Const(ConstIdx(f.consts.len() as u32));
        expect(
            v,
            "const index",
            &f,
            &g,
            Invariant::ConstIndex,
            Some((cb, ci)),
            &lim,
        );
        let mut g = f.clone();
        g.blocks[nb].instrs[ni].arg = Arg::Name {
            index: NameIdx(f.names.len() as u32),
            flags: 0,
        };
        expect(
            v,
            "name index",
            &f,
            &g,
            Invariant::NameIndex,
            Some((nb, ni)),
            &lim,
        );
        let (lb, li) = find(&f, |ins| matches!(ins.arg, Arg::Local(_))).expect("a local op");
        let mut g = f.clone();
        g.blocks[lb].instrs[li].arg =
            Arg::Local(pyrewrite::ir::LocalIdx(f.localsplus.len() as u32));
        expect(
            v,
            "local index",
            &f,
            &g,
            Invariant::LocalIndex,
            Some((lb, li)),
            &lim,
        );
        // a LOAD_CONST turned into LOAD_DEREF of a variable that is no cell
        let mut g = f.clone();
        g.blocks[cb].instrs[ci].op = op(v, "LOAD_DEREF").expect("LOAD_DEREF");
        g.blocks[cb].instrs[ci].arg = Arg::Free(pyrewrite::ir::FreeIdx(if v.at_least(11) {
            0
        } else {
            (f.cellvars.len() + f.freevars.len()) as u32
        }));
        let is_cell0 = v.at_least(11) && f.localspluskinds.first().is_some_and(|k| k & 0xc0 != 0);
        if t.by_name("LOAD_DEREF").unwrap().arg == opcodes::ArgKind::Local {
            // NB: 3.14's dis counts LOAD_DEREF as haslocal: a localsplus index.
            g.blocks[cb].instrs[ci].arg =
                Arg::Local(pyrewrite::ir::LocalIdx(f.localsplus.len() as u32));
            expect(
                v,
                "deref index",
                &f,
                &g,
                Invariant::LocalIndex,
                Some((cb, ci)),
                &lim,
            );
        } else if !is_cell0 {
            expect(
                v,
                "free index",
                &f,
                &g,
                Invariant::FreeIndex,
                Some((cb, ci)),
                &lim,
            );
        }

        // locals tables
        let mut g = f.clone();
        if v.at_least(11) {
            g.localspluskinds.pop();
        } else {
            g.nlocals += 1;
        }
        expect(
            v,
            "locals table",
            &f,
            &g,
            Invariant::LocalsTable,
            None,
            &lim,
        );

        // jump to a label no block has
        let (jb, ji) = find(&f, |ins| matches!(ins.arg, Arg::Jump(_))).expect("a jump");
        let mut g = f.clone();
        g.blocks[jb].instrs[ji].arg = Arg::Jump(Label(f.next_label + 7));
        expect(
            v,
            "jump target",
            &f,
            &g,
            Invariant::JumpTarget,
            Some((jb, ji)),
            &lim,
        );
        // jump to an empty block appended after the last instruction
        let mut g = f.clone();
        let l = g.new_label();
        g.blocks.push(Block {
            label: l,
            instrs: Vec::new(),
        });
        g.blocks[jb].instrs[ji].arg = Arg::Jump(l);
        expect(
            v,
            "jump past the end",
            &f,
            &g,
            Invariant::JumpTarget,
            Some((jb, ji)),
            &lim,
        );

        // handlers
        let mut g = f.clone();
        if v.at_least(11) {
            g.blocks[b].instrs[i].handler = Some(Handler {
                target: Label(f.next_label + 7),
                depth: 0,
                lasti: false,
            });
        } else {
            g.blocks[b].instrs[i].handler = Some(Handler {
                target: f.blocks[0].label,
                depth: 0,
                lasti: false,
            });
        }
        expect(v, "handler", &f, &g, Invariant::Handler, Some((b, i)), &lim);
        if v.at_least(11) {
            let mut g = f.clone();
            g.blocks[b].instrs[i].handler = Some(Handler {
                target: f.blocks[0].label,
                depth: f.stacksize as u32,
                lasti: true,
            });
            expect(
                v,
                "handler depth vs stacksize",
                &f,
                &g,
                Invariant::Handler,
                Some((b, i)),
                &lim,
            );
        }

        // stack: underflow at the body start, mismatch at a merge, size
        let start = cfg::body_start(&f, &Cfg::new(&f).unwrap()).expect("body start");
        let mut g = f.clone();
        let pop = Instr::new(op(v, "POP_TOP").unwrap(), Arg::None);
        g.blocks[start.at.block.index()]
            .instrs
            .insert(start.at.instr, pop);
        expect(
            v,
            "underflow",
            &f,
            &g,
            Invariant::Stack,
            Some((start.at.block.index(), start.at.instr)),
            &lim,
        );
        // a LOAD_CONST on one path into a merge only: before an
        // unconditional jump into it, else at the end of a block falling
        // into it while a jump also reaches it
        let cfgf = Cfg::new(&f).unwrap();
        let depths = stackdepth::depths(&f).unwrap();
        let reached = |b: &cfg::BlockId| depths[b.index()].is_some();
        let others = |m: cfg::BlockId, x: cfg::BlockId| {
            cfgf.predecessors(m)
                .iter()
                .any(|(p, e)| *p != x && e.kind != EdgeKind::Exception && reached(p))
        };
        let ends_in_goto = |b: &cfg::BlockId| {
            f.blocks[b.index()]
                .instrs
                .last()
                .is_some_and(|i| matches!(i.arg, Arg::Jump(_)) && cfg::flow::ends_flow(t, i.op))
        };
        let goto = cfgf.blocks().find_map(|m| {
            let j = cfgf
                .predecessors_of_kind(m, EdgeKind::Jump)
                .into_iter()
                .find(|j| reached(j) && ends_in_goto(j))?;
            others(m, j).then_some(j)
        });
        let faller = cfgf.blocks().find_map(|m| {
            let p = cfgf
                .predecessors_of_kind(m, EdgeKind::Fallthrough)
                .into_iter()
                .find(|p| reached(p))?;
            cfgf.predecessors_of_kind(m, EdgeKind::Jump)
                .iter()
                .any(|j| *j != p && reached(j))
                .then_some(p)
        });
        let mut g = f.clone();
        let load = Instr::new(op(v, "LOAD_CONST").unwrap(), Arg::Const(ConstIdx(0)));
        match (goto, faller) {
            (Some(j), _) => {
                let n = g.blocks[j.index()].instrs.len();
                g.blocks[j.index()].instrs.insert(n - 1, load);
            }
            (None, Some(p)) => g.blocks[p.index()].instrs.push(load),
            (None, None) => panic!("{v}: no merge to break"),
        }
        g.stacksize += 1;
        expect(v, "mismatch", &f, &g, Invariant::Stack, None, &lim);
        let mut g = f.clone();
        g.stacksize = stackdepth::stacksize(&f).unwrap() - 1;
        expect(v, "stacksize", &f, &g, Invariant::Stack, None, &lim);

        // falling off the end
        let mut g = f.clone();
        let last = g.blocks.len() - 1;
        let ret = g.blocks[last].instrs.last_mut().unwrap();
        // NB: a return replaced by what leaves the stack as it was.
        *ret = if name_of(&f, ret) == "RETURN_VALUE" {
            Instr::new(op(v, "POP_TOP").unwrap(), Arg::None)
        } else {
            Instr::new(op(v, "NOP").unwrap(), Arg::None)
        };
        expect(
            v,
            "falls off end",
            &f,
            &g,
            Invariant::FallsOffEnd,
            None,
            &lim,
        );

        // locations
        let mut g = f.clone();
        let loc = &mut g.blocks[b].instrs[i].loc;
        if v.at_least(11) {
            loc.line = Some(10);
            loc.end_line = Some(9);
            loc.col = Some(0);
            loc.end_col = Some(1);
        } else if v.at_least(10) {
            loc.line = Some(-5);
        } else {
            loc.col = Some(4);
        }
        expect(
            v,
            "location",
            &f,
            &g,
            Invariant::Location,
            Some((b, i)),
            &lim,
        );

        // code size, with a small limit
        assert!(verify::verify_with(
            &f,
            &Limits {
                max_code_units: Some(1 << 20)
            }
        )
        .is_ok());
        let errs = verify::verify_with(
            &f,
            &Limits {
                max_code_units: Some(4),
            },
        )
        .expect_err("code size");
        assert!(
            errs.iter().any(|e| e.invariant == Invariant::CodeSize),
            "{v}: code size not reported"
        );
    }
    assert!(versions > 0, "no corpus version had a suitable function");
}

/// A 3.11+ exception-table range moved to start inside an instruction (in
/// its inline caches or after an EXTENDED_ARG) is reported with its offset.
#[test]
fn exception_range_inside_instruction_rejected() {
    let mut checked = 0;
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(11))
    {
        let t = opcodes::table(v).unwrap();
        'files: for path in support::corpus_pyc_files(v) {
            let m = load(&path);
            for (id, _) in m.code_objects() {
                let Value::Code(c) = m.get(id) else {
                    unreachable!()
                };
                let code = m.bytes(c.code).unwrap().to_vec();
                let Some(tab) = c.exceptiontable.and_then(|e| m.bytes(e)) else {
                    continue;
                };
                let mut entries = pyrewrite::exctable::decode(tab, code.len()).unwrap();
                let raw = lift::decode(t, &code).unwrap();
                // an entry whose first instruction is longer than one code unit
                let Some(k) = entries.iter().position(|e| {
                    raw.iter()
                        .any(|r| r.start == e.start && r.end > r.start + 2)
                }) else {
                    continue;
                };
                assert!(
                    verify::verify_code(&m, id).is_ok(),
                    "{v}: unbroken code rejected"
                );
                entries[k].start += 2;
                let inside = entries[k].start;
                let mut m2 = m.clone();
                let newtab = m2.push(Value::Bytes(
                    pyrewrite::exctable::encode(&entries).unwrap().into(),
                ));
                let Value::Code(c2) = m2.get_mut(id) else {
                    unreachable!()
                };
                c2.exceptiontable = Some(newtab);
                let errs = verify::verify_code(&m2, id)
                    .expect_err("range start inside an instruction accepted");
                assert!(
                    errs.iter()
                        .any(|e| e.invariant == Invariant::Handler
                            && e.location.offset == Some(inside)),
                    "{v}: {:?}",
                    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
                );
                eprintln!("{v}: {}", errs[0]);
                checked += 1;
                break 'files;
            }
        }
    }
    assert!(
        checked > 0,
        "no 3.11+ corpus code object with a suitable exception table"
    );
}

/// 3.13+: the instruction before a `SEND` must share its handler (CPython
/// looks the handler up there when the awaitable raises; docs/ir.md).
/// Taking the handler off that instruction is rejected there and accepted
/// on 3.12, which looks it up at the `SEND` itself.
#[test]
fn send_needs_the_handler_of_the_instruction_before() {
    let mut checked = 0;
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(12))
    {
        let before_send = |f: &Function| -> Option<(usize, usize)> {
            let flat: Vec<(usize, usize)> = f
                .blocks
                .iter()
                .enumerate()
                .flat_map(|(b, blk)| (0..blk.instrs.len()).map(move |i| (b, i)))
                .collect();
            flat.windows(2).find_map(|w| {
                let (p, s) = (w[0], w[1]);
                let (pi, si) = (&f.blocks[p.0].instrs[p.1], &f.blocks[s.0].instrs[s.1]);
                (name_of(f, si) == "SEND" && si.handler.is_some() && pi.handler == si.handler)
                    .then_some(p)
            })
        };
        let Some((_m, f)) = corpus_function(v, &|f| before_send(f).is_some()) else {
            continue;
        };
        let (b, i) = before_send(&f).unwrap();
        let mut g = f.clone();
        g.blocks[b].instrs[i].handler = None;
        if v.at_least(13) {
            let send_at = if i + 1 < g.blocks[b].instrs.len() {
                (b, i + 1)
            } else {
                (b + 1, 0)
            };
            expect(
                v,
                "SEND handler",
                &f,
                &g,
                Invariant::Handler,
                Some(send_at),
                &Limits::CPYTHON,
            );
        } else {
            assert!(
                verify::verify(&g).is_ok(),
                "{v}: a SEND's neighbour's handler is free before 3.13"
            );
        }
        checked += 1;
    }
    assert!(checked > 0 || support::corpus_versions().iter().all(|v| !v.at_least(12)));
}

/// Stack reads and the arguments CPython trusts: each broken function
/// below passed the verifier before these rules (net stack effects alone
/// looked fine) and made the interpreter crash when run (found by running
/// mutated corpus code, docs/verifier.md).
#[test]
fn reads_below_the_stack_and_trusted_arguments_are_rejected() {
    let lim = Limits::CPYTHON;
    let mut checked = 0;
    for v in support::corpus_versions() {
        let t = opcodes::table(v).expect("table");
        let op = |n: &str| t.by_name(n).unwrap_or_else(|| panic!("{v}: no {n}")).op;
        let is = |f: &Function, ins: &Instr, n: &str| name_of(f, ins) == n;

        // A value-reading, stack-neutral instruction where the stack is empty.
        let Some((_m, f)) = corpus_function(v, &|f| f.flags & 0x2a0 == 0 && f.localsplus.len() > 1)
        else {
            continue;
        };
        let d = pyrewrite::stackdepth::compute(&f).unwrap();
        let (b, i) = (0..f.blocks.len())
            .find_map(|b| {
                (0..f.blocks[b].instrs.len())
                    .find(|&i| {
                        d.before(b, i) == Some(0) && !is(&f, &f.blocks[b].instrs[i], "RESUME")
                    })
                    .map(|i| (b, i))
            })
            .expect("an instruction at depth 0");
        let mut g = f.clone();
        g.blocks[b]
            .instrs
            .insert(i, Instr::new(op("UNARY_NEGATIVE"), Arg::None));
        expect(
            v,
            "read below the stack",
            &f,
            &g,
            Invariant::Stack,
            Some((b, i)),
            &lim,
        );

        // A list comprehension's LIST_APPEND with argument 0.
        if let Some((_m, f)) =
            corpus_function(v, &|f| f.instrs().any(|ins| is(f, ins, "LIST_APPEND")))
        {
            let (b, i) = find(&f, |ins| is(&f, ins, "LIST_APPEND")).unwrap();
            let mut g = f.clone();
            g.blocks[b].instrs[i].arg = Arg::Int(0);
            expect(
                v,
                "LIST_APPEND 0",
                &f,
                &g,
                Invariant::ArgRange,
                Some((b, i)),
                &lim,
            );
        }

        // MAKE_FUNCTION no longer right after the load of its code object
        // (a stack-neutral copy and pop in between).
        if let Some((_m, f)) =
            corpus_function(v, &|f| f.instrs().any(|ins| is(f, ins, "MAKE_FUNCTION")))
        {
            let (b, i) = find(&f, |ins| is(&f, ins, "MAKE_FUNCTION")).unwrap();
            let (dup, dup_arg) = if v.at_least(11) {
                (op("COPY"), Arg::Int(1))
            } else {
                (op("DUP_TOP"), Arg::None)
            };
            let mut g = f.clone();
            g.blocks[b]
                .instrs
                .insert(i, Instr::new(op("POP_TOP"), Arg::None));
            g.blocks[b].instrs.insert(i, Instr::new(dup, dup_arg));
            expect(
                v,
                "MAKE_FUNCTION after a copy",
                &f,
                &g,
                Invariant::ArgRange,
                Some((b, i + 2)),
                &lim,
            );
        }

        // 3.11+: COPY_FREE_VARS copying more cells than the closure has.
        if v.at_least(11) {
            if let Some((_m, f)) =
                corpus_function(v, &|f| f.instrs().any(|ins| is(f, ins, "COPY_FREE_VARS")))
            {
                let (b, i) = find(&f, |ins| is(&f, ins, "COPY_FREE_VARS")).unwrap();
                let mut g = f.clone();
                let Arg::Int(n) = g.blocks[b].instrs[i].arg else {
                    panic!("{v}: COPY_FREE_VARS arg")
                };
                g.blocks[b].instrs[i].arg = Arg::Int(n + 1);
                expect(
                    v,
                    "COPY_FREE_VARS n+1",
                    &f,
                    &g,
                    Invariant::ArgRange,
                    Some((b, i)),
                    &lim,
                );
            }
        }

        // 3.11: CALL's count differs from its PRECALL's.
        if v == PyVersion::new(3, 11) {
            let (_m, f) =
                corpus_function(v, &|f| f.instrs().any(|ins| is(f, ins, "CALL"))).expect("a CALL");
            let (b, i) = find(&f, |ins| is(&f, ins, "CALL")).unwrap();
            let mut g = f.clone();
            let Arg::Int(n) = g.blocks[b].instrs[i].arg else {
                panic!("CALL arg")
            };
            g.blocks[b].instrs[i].arg = Arg::Int(n + 30);
            expect(
                v,
                "CALL n+30",
                &f,
                &g,
                Invariant::ArgRange,
                Some((b, i)),
                &lim,
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no corpus version checked");
}

/// `MAKE_FUNCTION` must get a closure exactly when its code object has free
/// variables (checked by `verify_in`, which sees the constants): dropping
/// the closure of a nested function that uses a cell is rejected; the same
/// function passes `verify`, which does not see the constant's value.
#[test]
fn make_function_closure_must_match_the_code_object() {
    let mut checked = 0;
    for v in support::corpus_versions() {
        let t = opcodes::table(v).expect("table");
        let set_attr = t.by_name("SET_FUNCTION_ATTRIBUTE").map(|i| i.op);
        let pick = |f: &Function| {
            f.instrs().any(|ins| match set_attr {
                Some(s) => ins.op == s && ins.arg == Arg::Int(8),
                None => {
                    name_of(f, ins) == "MAKE_FUNCTION"
                        && matches!(ins.arg, Arg::Int(a) if a & 8 != 0)
                }
            })
        };
        let Some((m, f)) = corpus_function(v, &pick) else {
            continue;
        };
        let (b, i) = match set_attr {
            Some(s) => find(&f, |ins| ins.op == s && ins.arg == Arg::Int(8)).unwrap(),
            None => find(&f, |ins| {
                name_of(&f, ins) == "MAKE_FUNCTION" && matches!(ins.arg, Arg::Int(a) if a & 8 != 0)
            })
            .unwrap(),
        };
        assert!(
            verify::verify_in(&f, &m).is_ok(),
            "{v}: the unbroken function does not verify"
        );
        let mut g = f.clone();
        // NB: 3.13+ drops the SET_FUNCTION_ATTRIBUTE 8 and its closure tuple
        // (the closure tuple is pushed before it: pop it there instead);
        // before, the flag goes and the tuple is popped just before.
        let pop = Instr::new(t.by_name("POP_TOP").unwrap().op, Arg::None);
        let at = if set_attr.is_some() {
            g.blocks[b].instrs.remove(i);
            // the closure tuple sits under the function: swap it up and pop it
            g.blocks[b].instrs.insert(i, pop);
            g.blocks[b]
                .instrs
                .insert(i, Instr::new(t.by_name("SWAP").unwrap().op, Arg::Int(2)));
            let (mb, mi) = (0..=i)
                .rev()
                .find_map(|k| {
                    (name_of(&g, &g.blocks[b].instrs[k]) == "MAKE_FUNCTION").then_some((b, k))
                })
                .expect("MAKE_FUNCTION before");
            (mb, mi)
        } else {
            let Arg::Int(a) = g.blocks[b].instrs[i].arg else {
                unreachable!()
            };
            g.blocks[b].instrs[i].arg = Arg::Int(a & !8);
            (b, i)
        };
        let errs = verify::verify_in(&g, &m).expect_err(&format!("{v}: closure dropped, accepted"));
        assert!(
            errs.iter().any(|e| e.invariant == Invariant::ArgRange
                && e.location.block == Some(at.0)
                && e.location.instr == Some(at.1)),
            "{v}: {:?}",
            errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
        );
        checked += 1;
    }
    assert!(checked > 0);
}

/// 3.12+ FOR_ITER skips the END_FOR at its target when the iterator is
/// exhausted (bytecodes.c `JUMPBY(oparg + 1)`): a target that is anything
/// else is refused; 3.8-3.11, which land on the target, accept the same.
#[test]
fn for_iter_lands_past_its_end_for() {
    let mut checked = 0;
    for v in support::corpus_versions() {
        let Some(fi) = op(v, "FOR_ITER") else {
            continue;
        };
        let Some((_m, f)) = corpus_function(v, &|f| f.instrs().any(|i| i.op == fi)) else {
            continue;
        };
        let (b, i) = find(&f, |i| i.op == fi).unwrap();
        let Arg::Jump(target) = f.blocks[b].instrs[i].arg else {
            panic!("{v}: FOR_ITER has a jump")
        };
        // Retarget to the block after the exit block (past END_FOR on 3.12+).
        let at = f.blocks.iter().position(|x| x.label == target).unwrap();
        let Some(next) = f.blocks[at + 1..].iter().find(|x| !x.instrs.is_empty()) else {
            continue;
        };
        let mut g = f.clone();
        g.blocks[b].instrs[i].arg = Arg::Jump(next.label);
        let lands = !opcodes::table(v).unwrap().facts(fi).lands_after.is_empty();
        assert_eq!(lands, v.at_least(12), "{v}: the lands_after column");
        if lands {
            let first = f.blocks[at..]
                .iter()
                .find_map(|x| x.instrs.first())
                .unwrap();
            assert_eq!(
                name_of(&f, first),
                "END_FOR",
                "{v}: CPython targets END_FOR"
            );
            expect(
                v,
                "FOR_ITER past END_FOR",
                &f,
                &g,
                Invariant::JumpTarget,
                Some((b, i)),
                &Limits::CPYTHON,
            );
            // 3.13 also skips the POP_TOP after END_FOR (JUMPBY(oparg + 2)).
            let (eb, ei) = (at..f.blocks.len())
                .flat_map(|x| (0..f.blocks[x].instrs.len()).map(move |y| (x, y)))
                .nth(1)
                .unwrap();
            let mut g = f.clone();
            g.blocks[eb].instrs[ei].op = op(v, "NOP").unwrap();
            let errs = verify::verify(&g).err().unwrap_or_default();
            let caught = errs
                .iter()
                .any(|e| e.invariant == Invariant::JumpTarget && e.message.contains("POP_TOP"));
            assert_eq!(
                caught,
                v == PyVersion::new(3, 13),
                "{v}: the instruction after END_FOR: {errs:?}"
            );
        } else {
            let errs = verify::verify(&g).err().unwrap_or_default();
            assert!(
                !errs.iter().any(|e| e.message.contains("lands past")),
                "{v}: only 3.12+ lands past its target: {errs:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 0);
}

/// 3.11+ inline caches are written zeroed by CPython, and the specializing
/// interpreter trusts what they hold: a nonzero cache byte is refused
/// before lifting (`inline-cache`, at the instruction's offset); the
/// untouched code verifies.
#[test]
fn a_nonzero_inline_cache_byte_is_refused() {
    for v in PyVersion::SUPPORTED.into_iter().filter(|v| v.at_least(11)) {
        let Some(path) = support::corpus_pyc_files(v).into_iter().next() else {
            continue;
        };
        let t = opcodes::table(v).unwrap();
        let mut m = Pyc::parse(&std::fs::read(&path).unwrap()).unwrap().marshal;
        let root = m.root;
        assert!(verify::verify_code(&m, root).is_ok(), "{v}: untouched");
        let Value::Code(c) = m.get(root).clone() else {
            unreachable!()
        };
        let mut code = m.bytes(c.code).unwrap().to_vec();
        let raw = lift::decode(t, &code).unwrap();
        let r = raw
            .iter()
            .find(|r| r.end > r.op_offset + 2)
            .expect("an instruction with caches");
        code[r.op_offset as usize + 2] = 1;
        *m.get_mut(c.code) = Value::Bytes(code.into());
        let errs = verify::verify_code(&m, root).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.invariant == Invariant::InlineCache
                    && e.location.offset == Some(r.op_offset)),
            "{v}: {errs:?}"
        );
    }
}

/// 3.11's CALL reads what its PRECALL left: a block something jumps to may
/// be entered from elsewhere, so the pair does not carry across its start
/// (seed 31415: a `JUMP_BACKWARD` retargeted to a `CALL`, SIGSEGV). The
/// block split alone (entered only by falling through) still verifies.
#[test]
fn a_jump_to_a_call_past_its_precall_is_refused() {
    let v = PyVersion::new(3, 11);
    let (call, jb) = (op(v, "CALL").unwrap(), op(v, "JUMP_BACKWARD").unwrap());
    let functions: Vec<(Marshal, Function)> = support::corpus_functions(v);
    let (m, f) = functions
        .into_iter()
        .find(|(m, f)| {
            f.instrs().any(|i| i.op == call)
                && f.instrs().any(|i| i.op == jb)
                && verify::verify_in(f, m).is_ok()
        })
        .expect("a 3.11 function with a call and a loop");
    let (b, k) = find(&f, |i| i.op == call).unwrap();
    // Split the block at the CALL under a new label.
    let mut g = f.clone();
    let l = g.new_label();
    let tail = g.blocks[b].instrs.split_off(k);
    g.blocks.insert(
        b + 1,
        Block {
            label: l,
            instrs: tail,
        },
    );
    assert!(
        !verify::verify_in(&g, &m)
            .err()
            .unwrap_or_default()
            .iter()
            .any(|e| e.message.contains("PRECALL")),
        "{v}: split only"
    );
    // Now a loop's backward jump goes there.
    let (jb_b, jb_k) = find(&g, |i| i.op == jb).unwrap();
    g.blocks[jb_b].instrs[jb_k].arg = Arg::Jump(l);
    let errs = verify::verify_in(&g, &m).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.invariant == Invariant::ArgRange && e.message.contains("after a PRECALL")),
        "{v}: {errs:?}"
    );
}
