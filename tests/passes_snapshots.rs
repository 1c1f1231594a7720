//! insta snapshots of the IR before and after each pass on corpus functions,
//! one snapshot per case and CPython version (tests/snapshots/). Review a
//! change with `cargo insta review`, or accept with `INSTA_UPDATE=always`.

mod support;

use pyrewrite::code::qualnames;
use pyrewrite::marshal::Marshal;
use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::{ir, lift, PyVersion};

/// One pipeline step: pass name and its parameters.
type Step = (&'static str, &'static [(&'static str, &'static str)]);

/// (snapshot name, corpus file, pipeline, functions shown)
type Case = (
    &'static str,
    &'static str,
    &'static [Step],
    &'static [&'static str],
);

const CASES: &[Case] = &[
    (
        "swap_const_42_99",
        "passes/consts.pyc",
        &[("swap-const", &[("from", "42"), ("to", "99")])],
        &["scale", "in_tuple", "Box.get"],
    ),
    (
        "swap_const_3_1000",
        "passes/consts.pyc",
        &[("swap-const", &[("from", "3"), ("to", "1000")])],
        &["small_loop"],
    ),
    (
        "replace_op_lt_le",
        "passes/ops.pyc",
        &[("replace-op", &[("from", "<"), ("to", "<=")])],
        &["branch", "chained"],
    ),
    (
        "replace_op_add_sub",
        "passes/ops.pyc",
        &[("replace-op", &[("from", "+"), ("to", "-")])],
        &["arith"],
    ),
    (
        "replace_op_in",
        "passes/ops.pyc",
        &[("replace-op", &[("from", "in"), ("to", "not in")])],
        &["membership"],
    ),
    // NB: the hook module need not exist to rewrite; only running needs it.
    (
        "inject_hook",
        "generators.pyc",
        &[("inject-hook", &[("hook", "tracer:enter")])],
        &["<module>", "countdown", "fib"],
    ),
    (
        "swap_const_then_fold",
        "passes/fold.pyc",
        &[
            (
                "swap-const",
                &[("from", "0"), ("to", "2"), ("qualname", "ratio")],
            ),
            ("fold-constants", &[]),
        ],
        &["ratio"],
    ),
];

fn show(m: &Marshal, names: &[&str]) -> String {
    let q: Vec<_> = qualnames(m);
    let mut out = String::new();
    for want in names {
        let (id, _) = q
            .iter()
            .find(|(_, n)| n == want)
            .unwrap_or_else(|| panic!("no code object {want}"));
        let f = lift::lift(m, *id).unwrap();
        out.push_str(&format!("# {want} (co_stacksize {})\n", f.stacksize));
        ir::write_function(&f, m, &mut out);
    }
    out
}

#[test]
fn pass_snapshots() {
    for v in support::corpus_versions()
        .into_iter()
        .filter(|v| v.at_least(8))
    {
        for (name, rel, steps, funcs) in CASES {
            let path = support::corpus_dir()
                .join("pyc")
                .join(v.to_string())
                .join(rel);
            let mut pyc = Pyc::read_file(&path).unwrap();
            let before = show(&pyc.marshal, funcs);
            let specs: Vec<_> = steps
                .iter()
                .map(|(pass, params)| {
                    let raw = params
                        .iter()
                        .map(|(k, x)| (k.to_string(), RawValue::Text(x.to_string())))
                        .collect();
                    (pass.to_string(), raw)
                })
                .collect();
            let pl = Pipeline::from_specs(&specs).unwrap();
            pl.run(&mut pyc, &path).unwrap();
            let after = show(&pyc.marshal, funcs);
            assert_ne!(before, after, "{v} {name}: nothing changed");
            // NB: one step prints as `pass [params]`, as the first snapshots did.
            let header: Vec<String> = steps
                .iter()
                .map(|(pass, params)| format!("{pass} {params:?}"))
                .collect();
            let text = format!(
                "{} on {rel}, Python {v}\n--- before\n{before}--- after\n{after}",
                header.join(" | ")
            );
            let snap = format!("{name}__{}", v.to_string().replace('.', "_"));
            insta::assert_snapshot!(snap, text);
        }
    }
    let _ = PyVersion::new(3, 8);
}
