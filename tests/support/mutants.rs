//! The mutation loop shared by `examples/mutants.rs` and `tests/mutants.rs`:
//! random byte changes in corpus code objects, pushed through lifting, the
//! CFG, the stack depth, both verifiers, `dis` and the assembler.

use pyrewrite::marshal::Value;
use std::panic;
use std::path::{Path, PathBuf};

/// What one run found.
#[derive(Default)]
pub struct Outcome {
    /// Mutants made (a code object had the chosen table).
    pub runs: usize,
    /// Mutants that lifted.
    pub lifted: usize,
    /// Mutants the verifier accepted: the file bytes as assembled, and what changed.
    pub accepted: Vec<(Vec<u8>, String)>,
    /// One line per panic: file, code object, table, message.
    pub panics: Vec<String>,
}

fn pyc_files(d: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(d) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            pyc_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "pyc") {
            out.push(p);
        }
    }
}

/// Makes `count` mutants of the `.pyc` files under `dir` (xorshift, `seed`).
pub fn run(dir: &Path, count: usize, mut seed: u64) -> Outcome {
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut files = Vec::new();
    pyc_files(dir, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no .pyc under {}", dir.display());
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let mut o = Outcome::default();
    for _ in 0..count {
        let path = &files[(rnd() % files.len() as u64) as usize];
        let Ok(mut pyc) = pyrewrite::pyc::Pyc::parse(&std::fs::read(path).expect("read")) else {
            continue;
        };
        let codes = pyc.marshal.code_objects();
        let (id, _) = codes[(rnd() % codes.len() as u64) as usize];
        let Value::Code(c) = pyc.marshal.get(id) else {
            continue;
        };
        let (what, target) = match rnd() % 3 {
            0 => ("co_code", Some(c.code)),
            1 => ("line table", Some(c.linetable)),
            _ => ("exception table", c.exceptiontable),
        };
        let Some(t) = target else { continue };
        let Some(before) = pyc
            .marshal
            .bytes(t)
            .map(<[u8]>::to_vec)
            .filter(|b| !b.is_empty())
        else {
            continue;
        };
        let mut after = before.clone();
        for _ in 0..1 + rnd() % 3 {
            let i = (rnd() % after.len() as u64) as usize;
            after[i] = rnd() as u8;
        }
        *pyc.marshal.get_mut(t) = Value::Bytes(after.clone().into());
        o.runs += 1;
        let m = &mut pyc.marshal;
        let r = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            let Ok(mut f) = pyrewrite::lift::lift(m, id) else {
                return (false, false);
            };
            let _ = pyrewrite::cfg::Cfg::new(&f);
            let _ = pyrewrite::stackdepth::analyze(&f);
            let _ = pyrewrite::verify::verify_code(m, id);
            let _ = pyrewrite::dis::dis_module(m);
            if pyrewrite::verify::verify_in(&f, m).is_err() {
                return (true, false);
            }
            if let Ok(d) = pyrewrite::stackdepth::compute(&f) {
                f.stacksize = d.max;
            }
            (true, pyrewrite::asm::assemble(&f, m, id).is_ok())
        }));
        let (lifted, ok) = match r {
            Ok(x) => x,
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                o.panics.push(format!(
                    "{} code #{} ({what}): {}",
                    path.display(),
                    id.index(),
                    msg.unwrap_or_default()
                ));
                continue;
            }
        };
        o.lifted += usize::from(lifted);
        let Some(bytes) = ok.then(|| pyc.to_bytes().ok()).flatten() else {
            continue;
        };
        let tab = pyrewrite::opcodes::table(pyc.marshal.version).expect("lifted, so supported");
        let name = |op: u8| tab.get(op).map_or("?", |x| x.name);
        let mut note = format!("{} code #{} {what}:", path.display(), id.index());
        for i in (0..before.len().saturating_sub(1)).step_by(2) {
            if what == "co_code" && before[i..i + 2] != after[i..i + 2] {
                note += &format!(
                    " @{i} {} {} -> {} {};",
                    name(before[i]),
                    before[i + 1],
                    name(after[i]),
                    after[i + 1]
                );
            }
        }
        o.accepted.push((bytes, note));
    }
    panic::set_hook(hook);
    o
}
