//! Random byte changes in corpus code objects (`tests/support/mutants.rs`)
//! must never make lifting, the CFG, the stack depth, the verifiers, `dis`
//! or the assembler panic, on any version. Running the accepted mutants in
//! their interpreters is `tools/mutants.sh` (docs/verifier.md).

#[path = "support/mutants.rs"]
mod mutants;
mod support;

#[test]
fn mutated_code_never_panics() {
    let mut checked = 0;
    for v in support::corpus_versions() {
        let dir = support::corpus_dir().join("pyc").join(v.to_string());
        let o = mutants::run(&dir, 1500, 0x9e37_79b9_7f4a_7c15);
        println!(
            "{v}: {} mutants, {} lifted, {} accepted, {} panics",
            o.runs,
            o.lifted,
            o.accepted.len(),
            o.panics.len()
        );
        assert!(
            o.panics.is_empty(),
            "{v}: mutants made pyrewrite panic:\n{}",
            o.panics.join("\n")
        );
        assert!(
            o.accepted.len() > 20,
            "{v}: only {} mutants accepted: the assembler is hardly exercised",
            o.accepted.len()
        );
        checked += 1;
    }
    assert!(checked > 0);
}
