//! insta snapshots of the IR before and after each pass on corpus functions,
//! one snapshot per case and CPython version (tests/snapshots/). Review a
//! change with `cargo insta review`, or accept with `INSTA_UPDATE=always`.

mod support;

use pyrewrite::code::qualnames;
use pyrewrite::marshal::Marshal;
use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::{ir, lift, PyVersion};

/// (snapshot name, corpus file, pass, params, functions shown)
type Case = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], &'static [&'static str]);

const CASES: &[Case] = &[
    ("swap_const_42_99", "passes/consts.pyc", "swap-const", &[("from", "42"), ("to", "99")], &["scale", "in_tuple", "Box.get"]),
    ("swap_const_3_1000", "passes/consts.pyc", "swap-const", &[("from", "3"), ("to", "1000")], &["small_loop"]),
    ("replace_op_lt_le", "passes/ops.pyc", "replace-op", &[("from", "<"), ("to", "<=")], &["branch", "chained"]),
    ("replace_op_add_sub", "passes/ops.pyc", "replace-op", &[("from", "+"), ("to", "-")], &["arith"]),
    ("replace_op_in", "passes/ops.pyc", "replace-op", &[("from", "in"), ("to", "not in")], &["membership"]),
];

fn show(m: &Marshal, names: &[&str]) -> String {
    let q: Vec<_> = qualnames(m);
    let mut out = String::new();
    for want in names {
        let (id, _) = q.iter().find(|(_, n)| n == want).unwrap_or_else(|| panic!("no code object {want}"));
        let f = lift::lift(m, *id).unwrap();
        out.push_str(&format!("# {want} (co_stacksize {})\n", f.stacksize));
        ir::write_function(&f, m, &mut out);
    }
    out
}

#[test]
fn pass_snapshots() {
    for v in support::corpus_versions().into_iter().filter(|v| v.at_least(8)) {
        for (name, rel, pass, params, funcs) in CASES {
            let path = support::corpus_dir().join("pyc").join(v.to_string()).join(rel);
            let mut pyc = Pyc::read_file(&path).unwrap();
            let before = show(&pyc.marshal, funcs);
            let raw = params.iter().map(|(k, x)| (k.to_string(), RawValue::Text(x.to_string()))).collect();
            let pl = Pipeline::from_specs(&[(pass.to_string(), raw)]).unwrap();
            pl.run(&mut pyc, &path).unwrap();
            let after = show(&pyc.marshal, funcs);
            assert_ne!(before, after, "{v} {name}: nothing changed");
            let text = format!("{pass} {params:?} on {rel}, Python {v}\n--- before\n{before}--- after\n{after}");
            let snap = format!("{name}__{}", v.to_string().replace('.', "_"));
            insta::assert_snapshot!(snap, text);
        }
    }
    let _ = PyVersion::new(3, 8);
}
