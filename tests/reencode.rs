//! Re-encoding check: a `NOP` at the start of every basic block moves every
//! jump, offset, line-table record and exception range; each real CPython
//! (3.8..3.14) must still run the corpus with the same output and report
//! the same location for every original instruction (docs/ir.md,
//! "Re-encoding check").
//!
//! `cargo test --release --test reencode -- --nocapture`;
//! `PYREWRITE_REENCODE_ONLY=3.X` picks one version.

mod support;

use pyrewrite::asm::{self, Assembled};
use pyrewrite::exctable;
use pyrewrite::ir::{Arg, Function, Instr, Loc};
use pyrewrite::lift;
use pyrewrite::marshal::ObjId;
use pyrewrite::opcodes::{self, OpTable};
use pyrewrite::oracle::Interpreter;
use pyrewrite::pyc::Pyc;
use pyrewrite::verify::verify;
use pyrewrite::{stackdepth, PyVersion};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How the NOP is placed: the real rule, or one of two deliberate mistakes
/// the positions comparison must catch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The rule of docs/ir.md: no location (3.10+), the next instruction's
    /// line without `starts_line` (3.8/3.9), the next instruction's handler.
    Neutral,
    /// Mistake: the NOP carries the function's first line.
    NopOnFirstLine,
    /// Mistake: the instruction after the first NOP of a function loses
    /// its location.
    DropNextLocation,
}

/// Figures of one version's rewrite.
#[derive(Default, Debug)]
struct Counts {
    files: usize,
    code_objects: usize,
    blocks: usize,
    nops: usize,
    /// NOPs put after the END_FOR a FOR_ITER skips (3.12+).
    for_iter_landings: usize,
    /// Blocks right after a YIELD_VALUE on 3.11+ (left alone, see below).
    after_yield: usize,
    /// FOR_ITER targets holding only the END_FOR: control lands at the
    /// next block, whose own NOP serves.
    end_for_only: usize,
    jumps: usize,
    jumps_retargeted: usize,
    jumps_grew: usize,
    exc_entries: usize,
    exc_moved: usize,
    linetables_changed: usize,
    stacksize_changed: usize,
    /// Where the recomputed co_stacksize differs from CPython's.
    stack_notes: Vec<String>,
}

/// Inserts one NOP per block (see [`Mode`]); returns, per instruction of
/// the new layout, whether it is an inserted NOP.
fn insert_nops(f: &mut Function, mode: Mode, c: &mut Counts) -> Vec<bool> {
    let v = f.version;
    let t = opcodes::table(v).unwrap();
    let nop = t.by_name("NOP").unwrap().op;
    let name = |ins: &Instr| t.get(ins.op).map_or("?", |o| o.name);
    // NB: on 3.12+ FOR_ITER's label is the END_FOR, but an exhausted
    // iterator lands after it (3.12, 3.14) or after END_FOR + POP_TOP
    // (3.13); checked on each interpreter by patching the byte after the
    // label. The NOP goes where control really lands.
    let for_iter_skip = match (v.at_least(12), v.minor) {
        (false, _) => 0,
        (true, 13) => 2,
        (true, _) => 1,
    };
    let for_iter_targets: HashSet<_> = f
        .instrs()
        .filter(|i| name(i) == "FOR_ITER")
        .filter_map(|i| {
            if let Arg::Jump(l) = i.arg {
                Some(l)
            } else {
                None
            }
        })
        .collect();
    let mut prev_last: Option<Instr> = None;
    let mut first_done = false;
    let mut marks = Vec::new();
    for b in &mut f.blocks {
        c.blocks += 1;
        let last = b.instrs.last().copied();
        let mut at = 0;
        if for_iter_skip > 0
            && for_iter_targets.contains(&b.label)
            && b.instrs.first().is_some_and(|i| name(i) == "END_FOR")
        {
            at = for_iter_skip;
            if v.minor == 13 {
                assert_eq!(
                    b.instrs.get(1).map(name),
                    Some("POP_TOP"),
                    "3.13 FOR_ITER target without END_FOR, POP_TOP"
                );
            }
            c.for_iter_landings += 1;
        }
        // NB: 3.11+ resumes a generator right after YIELD_VALUE and checks
        // that a RESUME is there (yield-from delegation): nothing may go
        // between them. No corpus block starts there (counted).
        let after_yield = v.at_least(11) && prev_last.is_some_and(|p| name(&p) == "YIELD_VALUE");
        if after_yield {
            c.after_yield += 1;
        }
        if at >= b.instrs.len() || after_yield {
            if at >= b.instrs.len() {
                c.end_for_only += 1;
            }
            marks.extend(std::iter::repeat_n(false, b.instrs.len()));
            prev_last = last.or(prev_last);
            continue;
        }
        let next = b.instrs[at];
        let mut n = Instr::new(nop, Arg::None);
        // NB: the handler of the instruction it precedes: 3.13+ looks up a
        // SEND's handler at the code unit before it.
        n.handler = next.handler;
        if !v.at_least(10) {
            // NB: 3.8/3.9 cannot encode "no line". The NOP takes the next
            // instruction's line and never `starts_line`, so a record it
            // opens has the line the next instruction had and
            // `dis.findlinestarts` lists the same lines; the next
            // instruction's empty "ghost" records move in front of the NOP.
            n.loc = Loc {
                line: next.loc.line,
                ..Loc::default()
            };
            if at == 0 {
                n.ghosts = b.instrs[0].ghosts.take();
            }
        }
        match mode {
            Mode::Neutral => {}
            Mode::NopOnFirstLine => {
                n.loc = Loc {
                    line: Some(f.firstlineno),
                    ..Loc::default()
                };
                if v.at_least(11) {
                    n.loc.end_line = n.loc.line;
                }
            }
            Mode::DropNextLocation if !first_done => {
                // NB: the NOP too, or 3.8/3.9 would hand its line on.
                b.instrs[at].loc = Loc::default();
                n.loc = Loc::default();
                first_done = true;
            }
            Mode::DropNextLocation => {}
        }
        b.instrs.insert(at, n);
        c.nops += 1;
        marks.extend((0..b.instrs.len()).map(|k| k == at));
        prev_last = last.or(prev_last);
    }
    marks
}

/// One rewritten file: its bytes and, per code object in
/// `Marshal::code_objects` order, the byte offsets of the inserted NOPs.
struct Rewritten {
    bytes: Vec<u8>,
    inserted: Vec<Vec<u32>>,
}

/// Rewrites every code object of one .pyc; also gathers the figures.
fn rewrite_file(path: &Path, mode: Mode, c: &mut Counts) -> Result<Rewritten, String> {
    let data = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut pyc = Pyc::parse(&data).map_err(|e| format!("{}: {e}", path.display()))?;
    let t = opcodes::table(pyc.marshal.version).unwrap();
    let order = pyc.marshal.code_objects();
    let mut done: HashMap<ObjId, Vec<u32>> = HashMap::new();
    for &(id, _) in &order {
        // NB: a code object shared through a marshal reference is edited once.
        if done.contains_key(&id) {
            continue;
        }
        let at = |e: String| format!("{} code object #{}: {e}", path.display(), id.index());
        let mut f = lift::lift(&pyc.marshal, id).map_err(|e| at(format!("lift: {e}")))?;
        let orig = f.clone();
        let before = asm::assemble_bytes(&f).map_err(|e| at(format!("assemble: {e}")))?;
        let marks = insert_nops(&mut f, mode, c);
        let recount = stackdepth::stacksize(&f).map_err(|e| at(format!("stack depth: {e}")))?;
        // NB: a NOP changes no depth, so the recount with the NOPs must equal
        // the recount without them (src/stackdepth once missed orphaned
        // handlers that no longer start with PUSH_EXC_INFO; this catches it).
        let unchanged =
            stackdepth::stacksize(&orig).map_err(|e| at(format!("stack depth: {e}")))?;
        if recount != unchanged {
            return Err(at(format!(
                "stack size with NOPs {recount} differs from without them {unchanged}"
            )));
        }
        if recount != orig.stacksize {
            c.stacksize_changed += 1;
            let name = pyc.marshal.str(f.name).unwrap_or_default().into_owned();
            c.stack_notes.push(format!(
                "{} {name}: CPython {}, recomputed {recount}",
                path.display(),
                orig.stacksize
            ));
        }
        f.stacksize = recount;
        // NB: after the recount, so the verifier also checks co_stacksize.
        verify(&f).map_err(|p| {
            at(format!(
                "verify: {}",
                p.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
        let after = asm::assemble_bytes(&f).map_err(|e| at(format!("assemble: {e}")))?;
        tally(t, &orig, &before, &after, &marks, c);
        asm::assemble(&f, &mut pyc.marshal, id).map_err(|e| at(format!("assemble: {e}")))?;
        let offsets = marks
            .iter()
            .zip(&after.spans)
            .filter(|(m, _)| **m)
            .map(|(_, s)| s.0)
            .collect();
        done.insert(id, offsets);
        c.code_objects += 1;
    }
    c.files += 1;
    let bytes = pyc
        .to_bytes()
        .map_err(|e| format!("{}: write: {e}", path.display()))?;
    Ok(Rewritten {
        bytes,
        inserted: order.iter().map(|(id, _)| done[id].clone()).collect(),
    })
}

/// Counts what moved between the original assembly and the new one.
fn tally(
    t: &OpTable,
    orig: &Function,
    before: &Assembled,
    after: &Assembled,
    marks: &[bool],
    c: &mut Counts,
) {
    let raw_before = lift::decode(t, &before.code).unwrap();
    let raw_after = lift::decode(t, &after.code).unwrap();
    let kept: Vec<usize> = (0..marks.len()).filter(|&k| !marks[k]).collect();
    for (k, ins) in orig.instrs().enumerate() {
        if matches!(ins.arg, Arg::Jump(_)) {
            let j = kept[k];
            c.jumps += 1;
            c.jumps_retargeted += usize::from(raw_after[j].arg != raw_before[k].arg);
            c.jumps_grew += usize::from(raw_after[j].ext > raw_before[k].ext);
        }
    }
    if orig.version.at_least(11) {
        let e0 = exctable::decode(&before.exceptiontable, before.code.len()).unwrap();
        let e1 = exctable::decode(&after.exceptiontable, after.code.len()).unwrap();
        c.exc_entries += e0.len();
        c.exc_moved += e1.iter().filter(|e| !e0.contains(e)).count();
    }
    c.linetables_changed += usize::from(before.linetable != after.linetable);
}

/// One code object as `tools/oracle/positions_map.py` reports it.
#[derive(Deserialize, Debug)]
struct CodeDump {
    file: String,
    index: usize,
    name: String,
    instrs: Vec<InstrDump>,
    linestarts: Vec<Option<i64>>,
}

/// `[offset, opname, arg, jump, [line, end_line, col, end_col], handler]`.
#[derive(Deserialize, Debug, Clone)]
struct InstrDump(
    u32,
    String,
    Option<String>,
    Option<i64>,
    [Option<i64>; 4],
    Option<(i64, i64, bool)>,
);

/// Runs positions_map.py once over `files`; the dumps of each file in order.
fn positions(interp: &Interpreter, files: &[PathBuf]) -> BTreeMap<String, Vec<CodeDump>> {
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("files.txt");
    std::fs::write(
        &list,
        files
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect::<String>(),
    )
    .unwrap();
    let out = interp
        .run_script(
            &support::oracle_script("positions_map.py"),
            &[format!("@{}", list.display())],
        )
        .unwrap();
    assert!(
        out.status.success(),
        "positions_map.py on {}: {}",
        interp.describe(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, Vec<CodeDump>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let d: CodeDump = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        map.entry(d.file.clone()).or_default().push(d);
    }
    map
}

/// Figures of one positions comparison.
#[derive(Default, Debug)]
struct PosCounts {
    code_objects: usize,
    instrs: usize,
    linestart_lines: usize,
    none_starts_added: usize,
}

/// The lines of `dis.findlinestarts` with `None` dropped and repeats merged:
/// 3.13+ lists a no-line range (the NOPs) as `None`, which splits a run of
/// one line into two entries.
fn line_sequence(starts: &[Option<i64>]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for l in starts.iter().flatten() {
        if out.last() != Some(l) {
            out.push(*l);
        }
    }
    out
}

/// Compares one code object before and after; every problem as a message.
fn compare(orig: &CodeDump, new: &CodeDump, inserted: &[u32], pc: &mut PosCounts) -> Vec<String> {
    let at = format!("{} #{} {}", new.file, new.index, new.name);
    let mut problems = Vec::new();
    let ins: HashSet<u32> = inserted.iter().copied().collect();
    for off in inserted {
        match new.instrs.iter().find(|i| i.0 == *off) {
            Some(i) if i.1 == "NOP" => {}
            other => problems.push(format!("{at}: inserted NOP at {off} is {other:?}")),
        }
    }
    // Index of the first original instruction at or after a byte offset.
    let index_map = |list: &[InstrDump], skip: &HashSet<u32>| {
        let mut m = Vec::new();
        let mut k = 0usize;
        for i in list {
            m.push((i.0, k));
            if !skip.contains(&i.0) {
                k += 1;
            }
        }
        move |off: i64| {
            m.iter()
                .find(|(o, _)| i64::from(*o) >= off)
                .map(|(_, k)| *k)
        }
    };
    let none = HashSet::new();
    let map0 = index_map(&orig.instrs, &none);
    let map1 = index_map(&new.instrs, &ins);
    let kept: Vec<&InstrDump> = new.instrs.iter().filter(|i| !ins.contains(&i.0)).collect();
    if kept.len() != orig.instrs.len() {
        problems.push(format!(
            "{at}: {} original instructions, {} after dropping the NOPs",
            orig.instrs.len(),
            kept.len()
        ));
    }
    for (k, (a, b)) in orig.instrs.iter().zip(&kept).enumerate() {
        pc.instrs += 1;
        let what = format!("{at} instruction {k} ({} at {} -> {})", a.1, a.0, b.0);
        if (&a.1, &a.2) != (&b.1, &b.2) {
            problems.push(format!(
                "{what}: {:?} {:?} became {:?} {:?}",
                a.1, a.2, b.1, b.2
            ));
        }
        if a.3.map(&map0) != b.3.map(&map1) {
            problems.push(format!(
                "{what}: jumps to original #{:?}, now #{:?}",
                a.3.map(&map0),
                b.3.map(&map1)
            ));
        }
        if a.4 != b.4 {
            problems.push(format!("{what}: location {:?} became {:?}", a.4, b.4));
        }
        let h = |h: &Option<(i64, i64, bool)>, m: &dyn Fn(i64) -> Option<usize>| {
            h.map(|(t, d, l)| (m(t), d, l))
        };
        if h(&a.5, &map0) != h(&b.5, &map1) {
            problems.push(format!("{what}: handler {:?} became {:?}", a.5, b.5));
        }
    }
    // NB: before 3.13 findlinestarts lists no None and no repeated line, so
    // the raw lists must be equal; normalising only matters on 3.13+.
    let (l0, l1) = if orig
        .linestarts
        .iter()
        .chain(&new.linestarts)
        .any(Option::is_none)
    {
        (
            line_sequence(&orig.linestarts),
            line_sequence(&new.linestarts),
        )
    } else {
        (
            orig.linestarts.iter().flatten().copied().collect(),
            new.linestarts.iter().flatten().copied().collect(),
        )
    };
    if l0 != l1 {
        problems.push(format!("{at}: findlinestarts lines {l0:?} became {l1:?}"));
    }
    pc.linestart_lines += l0.len();
    let nones = |s: &[Option<i64>]| s.iter().filter(|l| l.is_none()).count();
    pc.none_starts_added += nones(&new.linestarts).saturating_sub(nones(&orig.linestarts));
    pc.code_objects += 1;
    problems
}

/// Compares every (original, rewritten) pair; problems and figures.
fn compare_files(
    dumps: &BTreeMap<String, Vec<CodeDump>>,
    pairs: &[(PathBuf, PathBuf, Vec<Vec<u32>>)],
) -> (Vec<String>, PosCounts) {
    let mut pc = PosCounts::default();
    let mut problems = Vec::new();
    for (o, n, inserted) in pairs {
        let (Some(a), Some(b)) = (
            dumps.get(&o.display().to_string()),
            dumps.get(&n.display().to_string()),
        ) else {
            problems.push(format!("{}: no positions dump", n.display()));
            continue;
        };
        if a.len() != b.len() || a.len() != inserted.len() {
            problems.push(format!(
                "{}: {} / {} / {} code objects",
                n.display(),
                a.len(),
                b.len(),
                inserted.len()
            ));
            continue;
        }
        for ((x, y), ins) in a.iter().zip(b).zip(inserted) {
            problems.extend(compare(x, y, ins, &mut pc));
        }
    }
    (problems, pc)
}

/// Rewrites `files` (corpus paths of version `v`) into `dir/new/<rel>` and
/// copies the originals to `dir/orig/<rel>`; returns the pairs.
fn rewrite_all(
    v: PyVersion,
    files: &[PathBuf],
    dir: &Path,
    mode: Mode,
    c: &mut Counts,
) -> Vec<(PathBuf, PathBuf, Vec<Vec<u32>>)> {
    let mut pairs = Vec::new();
    for p in files {
        let rel = support::corpus_rel_source(v, p).with_extension("pyc");
        let (o, n) = (dir.join("orig").join(&rel), dir.join("new").join(&rel));
        std::fs::create_dir_all(o.parent().unwrap()).unwrap();
        std::fs::create_dir_all(n.parent().unwrap()).unwrap();
        let r = rewrite_file(p, mode, c).unwrap_or_else(|e| panic!("{v}: {e}"));
        std::fs::copy(p, &o).unwrap();
        std::fs::write(&n, &r.bytes).unwrap();
        pairs.push((o, n, r.inserted));
    }
    pairs
}

#[test]
fn nop_per_block_keeps_output_and_positions() {
    let only = std::env::var("PYREWRITE_REENCODE_ONLY").ok();
    let mut failures = Vec::new();
    let mut ran = 0;
    for v in support::corpus_versions() {
        if only.as_deref().is_some_and(|o| o != v.to_string()) {
            continue;
        }
        let Some(interp) = support::oracle_for(v) else {
            println!("{v}: no interpreter, skipped");
            continue;
        };
        let files = support::corpus_pyc_files(v);
        let dir = tempfile::tempdir().unwrap();
        let mut c = Counts::default();
        let pairs = rewrite_all(v, &files, dir.path(), Mode::Neutral, &mut c);

        // 1. Run originals and rewritten files in one interpreter start.
        let to_run: Vec<PathBuf> = pairs
            .iter()
            .flat_map(|(o, n, _)| [o.clone(), n.clone()])
            .collect();
        let outputs = support::run_many(&interp, dir.path(), &to_run).unwrap();
        let (mut same, mut recorded) = (0, 0);
        for (o, _, _) in &pairs {
            let rel = o
                .strip_prefix(dir.path().join("orig"))
                .unwrap()
                .with_extension("py");
            let got_orig = &outputs[&Path::new("orig").join(&rel)];
            let got_new = &outputs[&Path::new("new").join(&rel)];
            let want = support::expected_output(&rel, v);
            if let Some(w) = &want {
                recorded += 1;
                if got_orig != w {
                    failures.push(format!(
                        "{v} {}: the ORIGINAL does not print the recorded output",
                        rel.display()
                    ));
                }
            }
            let want = want.as_ref().unwrap_or(got_orig);
            if got_new == want {
                same += 1;
            } else {
                failures.push(format!(
                    "{v} {}: output differs\n--- got\n{got_new}\n--- want\n{want}",
                    rel.display()
                ));
            }
        }

        // 2. Positions of every original instruction, same interpreter.
        let all: Vec<PathBuf> = pairs
            .iter()
            .flat_map(|(o, n, _)| [o.clone(), n.clone()])
            .collect();
        let dumps = positions(&interp, &all);
        let (problems, pc) = compare_files(&dumps, &pairs);
        let verdict = if problems.is_empty() && same == pairs.len() {
            "pass"
        } else {
            "FAIL"
        };
        println!(
            "{v}: {verdict}: {} files ({recorded} with recorded output), {same}/{} print the same; {} code objects, {} blocks, {} NOPs \
             ({} after a FOR_ITER's END_FOR, {} blocks after YIELD_VALUE left alone, {} END_FOR-only blocks landing on the next block's NOP); {}/{} jumps retargeted, {} grew EXTENDED_ARG; \
             {}/{} exception entries moved; {} line tables changed; co_stacksize recomputed ({} differ from CPython's); \
             positions: {} code objects, {} instructions, {} findlinestarts lines equal ({} None entries added){}",
            c.files, pairs.len(), c.code_objects, c.blocks, c.nops, c.for_iter_landings, c.after_yield, c.end_for_only,
            c.jumps_retargeted, c.jumps, c.jumps_grew, c.exc_moved, c.exc_entries, c.linetables_changed,
            c.stacksize_changed, pc.code_objects, pc.instrs, pc.linestart_lines, pc.none_starts_added,
            if problems.is_empty() { String::new() } else { format!("; {} position problems", problems.len()) }
        );
        for n in &c.stack_notes {
            println!("  co_stacksize: {n}");
        }
        // NB: a NOP changes no depth: every recount is CPython's own value.
        assert!(
            c.stack_notes.is_empty(),
            "{v}: {} recomputed stack sizes differ from CPython's",
            c.stack_notes.len()
        );
        for p in problems.iter().take(20) {
            println!("  {p}");
        }
        failures.extend(problems.into_iter().map(|p| format!("{v}: {p}")));
        assert!(
            c.nops > 0 && pc.instrs > 0,
            "{v}: nothing inserted or compared, the test proves nothing"
        );
        assert!(
            c.jumps_retargeted > 0 && c.linetables_changed > 0,
            "{v}: no jump or line table moved"
        );
        assert!(
            !v.at_least(11) || c.exc_moved > 0,
            "{v}: no exception range moved"
        );
        ran += 1;
    }
    assert!(ran > 0, "no interpreter with a corpus found");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The comparison is not blind: on the newest native 3.11+ interpreter and
/// on the oldest one, a NOP carrying the function's first line and an
/// original instruction that lost its location must both be reported,
/// while the real rule passes.
#[test]
fn positions_check_catches_wrong_locations() {
    let native: Vec<Interpreter> = support::oracle_interpreters()
        .into_iter()
        .filter(|i| !i.is_pyodide() && !support::corpus_pyc_files(i.version).is_empty())
        .collect();
    let newest = native
        .iter()
        .filter(|i| i.version.at_least(11))
        .max_by_key(|i| i.version);
    let oldest = native.iter().min_by_key(|i| i.version);
    let mut picked: Vec<&Interpreter> = newest.into_iter().chain(oldest).collect();
    picked.dedup_by_key(|i| i.version);
    assert!(!picked.is_empty(), "no native interpreter with a corpus");
    for interp in picked {
        let v = interp.version;
        let files = support::corpus_pyc_files(v);
        let dir = tempfile::tempdir().unwrap();
        let modes = [Mode::Neutral, Mode::NopOnFirstLine, Mode::DropNextLocation];
        let mut sets = Vec::new();
        let mut all = Vec::new();
        for m in modes {
            let d = dir.path().join(format!("{m:?}"));
            let pairs = rewrite_all(v, &files, &d, m, &mut Counts::default());
            all.extend(pairs.iter().flat_map(|(o, n, _)| [o.clone(), n.clone()]));
            sets.push((m, pairs));
        }
        let dumps = positions(interp, &all);
        for (m, pairs) in &sets {
            let (problems, pc) = compare_files(&dumps, pairs);
            let lines = problems
                .iter()
                .filter(|p| p.contains("findlinestarts"))
                .count();
            let locs = problems.iter().filter(|p| p.contains(": location")).count();
            println!("{v} {m:?}: {} problems ({lines} findlinestarts, {locs} locations) over {} instructions", problems.len(), pc.instrs);
            match m {
                Mode::Neutral => assert!(
                    problems.is_empty(),
                    "{:?}",
                    &problems[..problems.len().min(5)]
                ),
                Mode::NopOnFirstLine => assert!(lines > 0, "{v}: a NOP with a line went unnoticed"),
                Mode::DropNextLocation => assert!(
                    locs > 0,
                    "{v}: an instruction that lost its location went unnoticed"
                ),
            }
        }
    }
}
