//! Mutants: what the verifier accepts that CPython then crashes on.
//!
//! `cargo run --release --example mutants -- DIR COUNT OUTDIR [SEED]`
//!
//! Picks COUNT times a random `.pyc` under DIR and a random code object in
//! it, overwrites 1 to 3 random bytes of its `co_code`, line table or
//! exception table, and runs lift, CFG, stack depth, the verifiers and
//! `dis` on it: none may panic (a panic is printed and counted). When the
//! verifier accepts the mutant, it is assembled with its recomputed stack
//! size and written to OUTDIR/NNNNN.pyc, with what changed in NNNNN.txt.
//! `tools/mutants.sh` runs those files in their interpreter and counts
//! the ones that die of a signal: each is code the verifier should have
//! refused (docs/verifier.md, "Mutants").

use pyrewrite::marshal::Value;
use std::panic;
use std::path::{Path, PathBuf};

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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, outdir, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo run --release --example mutants -- DIR COUNT OUTDIR [SEED]");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let mut seed: u64 = rest.first().map_or(0x9e37_79b9_7f4a_7c15, |s| s.parse().expect("SEED is a number"));
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut files = Vec::new();
    pyc_files(Path::new(dir), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no .pyc under {dir}");
    std::fs::create_dir_all(outdir).expect("OUTDIR");
    panic::set_hook(Box::new(|_| {}));
    let (mut runs, mut lifted, mut accepted, mut panics) = (0, 0, 0, 0);
    for _ in 0..count {
        let path = &files[(rnd() % files.len() as u64) as usize];
        let Ok(mut pyc) = pyrewrite::pyc::Pyc::parse(&std::fs::read(path).expect("read")) else { continue };
        let codes = pyc.marshal.code_objects();
        let (id, _) = codes[(rnd() % codes.len() as u64) as usize];
        let Value::Code(c) = pyc.marshal.get(id) else { continue };
        let (what, target) = match rnd() % 3 {
            0 => ("co_code", Some(c.code)),
            1 => ("line table", Some(c.linetable)),
            _ => ("exception table", c.exceptiontable),
        };
        let Some(t) = target else { continue };
        let Some(before) = pyc.marshal.bytes(t).map(<[u8]>::to_vec).filter(|b| !b.is_empty()) else { continue };
        let mut after = before.clone();
        for _ in 0..1 + rnd() % 3 {
            let i = (rnd() % after.len() as u64) as usize;
            after[i] = rnd() as u8;
        }
        *pyc.marshal.get_mut(t) = Value::Bytes(after.clone().into());
        runs += 1;
        let m = &mut pyc.marshal;
        let r = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            let Ok(mut f) = pyrewrite::lift::lift(m, id) else { return (false, false) };
            let _ = pyrewrite::cfg::Cfg::new(&f);
            let _ = pyrewrite::stackdepth::analyze(&f);
            let _ = pyrewrite::verify::verify_code(m, id);
            let _ = pyrewrite::dis::dis_module(m);
            if pyrewrite::verify::verify(&f).is_err() {
                return (true, false);
            }
            if let Ok(d) = pyrewrite::stackdepth::compute(&f) {
                f.stacksize = d.max;
            }
            (true, pyrewrite::asm::assemble(&f, m, id).is_ok())
        }));
        let (l, ok) = match r {
            Ok(x) => x,
            Err(e) => {
                panics += 1;
                let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                println!("PANIC {} code #{} ({what}): {}", path.display(), id.index(), msg.unwrap_or_default());
                continue;
            }
        };
        lifted += usize::from(l);
        if !ok {
            continue;
        }
        let Ok(bytes) = pyc.to_bytes() else { continue };
        let tab = pyrewrite::opcodes::table(pyc.marshal.version).expect("lifted, so supported");
        let name = |o: u8| tab.get(o).map_or("?", |x| x.name);
        let mut note = format!("{} code #{} {what}:", path.display(), id.index());
        for i in (0..before.len()).step_by(2) {
            if what == "co_code" && i + 1 < before.len() && before[i..i + 2] != after[i..i + 2] {
                note += &format!(" @{i} {} {} -> {} {};", name(before[i]), before[i + 1], name(after[i]), after[i + 1]);
            }
        }
        std::fs::write(format!("{outdir}/{accepted:05}.pyc"), bytes).expect("write");
        std::fs::write(format!("{outdir}/{accepted:05}.txt"), note + "\n").expect("write");
        accepted += 1;
    }
    println!("{runs} mutants, {lifted} lifted, {accepted} accepted by the verifier and written, {panics} panics");
    if panics > 0 {
        std::process::exit(1);
    }
}
