//! The properties each fuzz target checks, one function per stage. The
//! fuzz targets call them on libFuzzer's input, and tests/fuzz_regressions.rs
//! calls them on every saved crasher, so a fixed bug stays fixed.
//!
//! Each function panics when its property fails; any other outcome (an
//! input refused with a located error) is fine.

use pyrewrite::marshal::{canon, Marshal, ObjId, Value};
use pyrewrite::passes::{config, manager::Pipeline};
use pyrewrite::pyc::Pyc;
use pyrewrite::{asm, lift, verify};

/// Inputs above this size are skipped by the costlier stages: libFuzzer
/// finds the same bugs in small inputs, and big ones only slow it down.
const BIG: usize = 1 << 18;

/// Parses `data`; a refusal must carry an offset inside the input.
fn parse(data: &[u8]) -> Option<Pyc> {
    match Pyc::parse(data) {
        Ok(p) => Some(p),
        Err(e) => {
            let at = e.offset().expect("parse errors carry an offset");
            assert!(
                at <= data.len() as u64,
                "offset {at} past the end ({} bytes): {e}",
                data.len()
            );
            None
        }
    }
}

/// Marshal read -> write: what is read writes, re-reads to the same value
/// and header, and writes again to the same bytes.
pub fn pyc_roundtrip(data: &[u8]) {
    let Some(p) = parse(data) else { return };
    let bytes = p.to_bytes().expect("an accepted file must write");
    let back = Pyc::parse(&bytes).expect("written bytes must re-read");
    assert_eq!(back.header, p.header);
    // NB: shared objects are repeated in the dump; keep it bounded.
    if bytes.len() < 1 << 16 {
        assert_eq!(
            canon::dump(&back.marshal),
            canon::dump(&p.marshal),
            "value changed by write + read"
        );
    }
    assert_eq!(
        back.to_bytes().expect("rewrite"),
        bytes,
        "second write differs"
    );
}

/// The code objects of `p` that pass the verifier, once each.
fn valid_code(m: &Marshal) -> Vec<ObjId> {
    let mut seen = std::collections::HashSet::new();
    m.code_objects()
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| seen.insert(*id))
        .filter(|&id| {
            verify::verify_code(m, id).is_ok()
                && lift::lift(m, id).is_ok_and(|f| verify::verify_in(&f, m).is_ok())
        })
        .collect()
}

/// Lift -> assemble on valid code: assembling succeeds, the result is a
/// fixpoint (lifting and assembling it again gives the same bytes and
/// tables), and it still verifies. (Byte identity with CPython's own
/// output is checked on every stdlib by tests/identity.rs.)
pub fn lift_assemble(data: &[u8]) {
    if data.len() > BIG {
        return;
    }
    let Some(p) = parse(data) else { return };
    let mut m = p.marshal;
    for id in valid_code(&m) {
        let f = lift::lift(&m, id).expect("verified code lifts");
        let first = asm::assemble_bytes(&f).expect("verified code assembles");
        asm::assemble(&f, &mut m, id).expect("verified code assembles into the arena");
        let g = lift::lift(&m, id).expect("assembled code lifts again");
        let second = asm::assemble_bytes(&g).expect("and assembles again");
        assert_eq!(first.code, second.code, "co_code is not a fixpoint");
        assert_eq!(
            first.linetable, second.linetable,
            "line table is not a fixpoint"
        );
        assert_eq!(
            first.exceptiontable, second.exceptiontable,
            "exception table is not a fixpoint"
        );
        if let Err(e) = verify::verify_in(&g, &m) {
            panic!("assembled code no longer verifies: {}", e[0]);
        }
    }
}

/// One pipeline per pass, each with parameters that match common code.
const PIPELINES: &[&str] = &[
    "[[pass]]\nname = 'inject-hook'\nhook = 'h:f'\nargs = 'qualname,filename,firstlineno'\nclasses = true",
    "[[pass]]\nname = 'swap-const'\nfrom = 1\nto = \"'x'\"",
    "[[pass]]\nname = 'swap-const'\nfrom = 'None'\nto = 10",
    "[[pass]]\nname = 'replace-op'\nfrom = '+'\nto = '-'\n[[pass]]\nname = 'replace-op'\nfrom = '<'\nto = '>='",
    "[[pass]]\nname = 'fold-constants'",
    "[[pass]]\nname = 'coverage'",
];

/// Each pass on valid input either refuses with an error or gives a file
/// that writes, re-reads and verifies in every code object.
pub fn passes(data: &[u8]) {
    if data.len() > BIG {
        return;
    }
    let Some(p) = parse(data) else { return };
    if !verify::verify_module(&p.marshal).is_empty() {
        return;
    }
    for text in PIPELINES {
        let specs = config::parse(text, "fuzz").expect("fixed pipelines parse");
        let pipe = Pipeline::from_specs(&specs).expect("fixed pipelines configure");
        if !pipe.check_version(p.version()).is_empty() {
            continue;
        }
        let mut q = p.clone();
        if pipe.run(&mut q, std::path::Path::new("fuzz.pyc")).is_err() {
            continue;
        }
        let bytes = q.to_bytes().expect("a rewritten file writes");
        let back = Pyc::parse(&bytes).expect("a rewritten file re-reads");
        let problems = verify::verify_module(&back.marshal);
        assert!(
            problems.is_empty(),
            "{text}: output does not verify: {}",
            problems[0]
        );
    }
}

/// `dis`, `info` and the instruction listing on any input: text or an error.
pub fn dis_info(data: &[u8]) {
    if data.len() > BIG {
        return;
    }
    let Some(p) = parse(data) else { return };
    let _ = pyrewrite::dis::dis_module(&p.marshal);
    let _ = pyrewrite::inspect::info::FileInfo::of(&p).map(|i| i.to_text());
    let _ = pyrewrite::inspect::instr::instructions(&p.marshal);
    for (id, _) in p.marshal.code_objects() {
        if let Value::Code(_) = p.marshal.get(id) {
            if let Ok(f) = lift::lift(&p.marshal, id) {
                let mut s = String::new();
                pyrewrite::ir::write_function(&f, &p.marshal, &mut s);
            }
        }
    }
}

/// Config and parameter parsing on any text: a pipeline or a message,
/// never a panic. The bytes are also tried as `--pass`/`--param` lists.
pub fn config_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(specs) = config::parse(text, "fuzz.toml") {
        let _ = Pipeline::from_specs(&specs);
    }
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(' ')
        .map(str::to_string)
        .collect();
    let params: Vec<String> = lines.map(str::to_string).collect();
    if let Ok(specs) = config::from_cli(&names, &params) {
        let _ = Pipeline::from_specs(&specs);
    }
}
