//! Mutants: what the verifier accepts that CPython then crashes on.
//!
//! `cargo run --release --example mutants -- DIR COUNT OUTDIR [SEED]`
//!
//! Picks COUNT times a random `.pyc` under DIR and a random code object in
//! it, overwrites 1 to 3 random bytes of its `co_code`, line table or
//! exception table, and runs lift, CFG, stack depth, the verifiers and
//! `dis` on it: none may panic (each panic is printed; the exit status is
//! then 1). When the verifier accepts the mutant, it is assembled with its
//! recomputed stack size and written to OUTDIR/NNNNN.pyc, with what
//! changed in NNNNN.txt. `tools/mutants.sh` runs those files in their
//! interpreter and counts the ones that die of a signal: each is code the
//! verifier should have refused (docs/verifier.md, "Mutants"). The loop is
//! shared with `tests/mutants.rs`.

#[path = "../tests/support/mutants.rs"]
mod mutants;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, count, outdir, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo run --release --example mutants -- DIR COUNT OUTDIR [SEED]");
        std::process::exit(2);
    };
    let count: usize = count.parse().expect("COUNT is a number");
    let seed: u64 = rest.first().map_or(0x9e37_79b9_7f4a_7c15, |s| {
        s.parse().expect("SEED is a number")
    });
    std::fs::create_dir_all(outdir).expect("OUTDIR");
    let o = mutants::run(std::path::Path::new(dir), count, seed);
    for (k, (bytes, note)) in o.accepted.iter().enumerate() {
        std::fs::write(format!("{outdir}/{k:05}.pyc"), bytes).expect("write");
        std::fs::write(format!("{outdir}/{k:05}.txt"), format!("{note}\n")).expect("write");
    }
    for p in &o.panics {
        println!("PANIC {p}");
    }
    println!(
        "{} mutants, {} lifted, {} accepted by the verifier and written, {} panics",
        o.runs,
        o.lifted,
        o.accepted.len(),
        o.panics.len()
    );
    if !o.panics.is_empty() {
        std::process::exit(1);
    }
}
