//! Oracle tests for `fold-constants` on CPython 3.8..3.14 (each version
//! found): (a) corpus files, already folded by CPython, are left byte for
//! byte; (b) operations CPython could not fold because an operand made them
//! raise become foldable after `swap-const` fixes that operand, and then
//! fold to what CPython itself compiles and computes for the fixed source;
//! (c) what would still raise is left unfolded and raises the same error.
//!
//! (b) and (c) compare two runs of a program that prints its results and,
//! for each function, the operation opcodes left in it (`dis`): the patched
//! `.pyc` of the `Z = 0` source versus CPython's compilation of the same
//! source with the zeros written as 3.

mod support;

use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::path::Path;

/// `Z` is 0 in the compiled file (every `Z` expression raises, so CPython
/// leaves it unfolded) and 3 in the expected one. Every `f_*`/`v_*` function
/// holds the only zeros of its code object.
const SOURCE: &str = r#"
import dis

def f_ints():
    return (7 // Z, -7 // Z, 7 % Z, -7 % Z, 2 ** (9 // Z), 1 << (9 // Z), -5 >> (1 // Z + 1), 6 & (7 // Z) | 8 ^ (5 // Z))

def f_big():
    return (2 ** (189 // Z) * 3, (1 << (360 // Z)) - 1, 12345678901234567 * (10 // Z), -(2 ** (192 // Z)))

def f_floats():
    return (7.5 // Z, -7.5 % Z, 1 / Z, 7 / Z, -1.0 // Z, 0.5 % -(4 // Z), 1e308 * (10 // Z), -(1.5 // Z) * 0.0,
            -0.0 // (1 // Z + 1), -0.0 % -(4 // Z), 5.0 % -(4 // Z), -7.5 % (4 // Z), 1e308 * (10 // Z) - 1e308 * (10 // Z), -1e-320 // (1 // Z + 1))

def f_bools():
    return (True + (1 // Z), (True & (4 // Z == 1)), not (2 // Z), not (1.0 // Z), -(True * (4 // Z)), +(8 // Z))

def f_strs():
    return ('ab' * (7 // Z), b'xy' * (4 // Z), 'abcd'[7 // Z], 'h\u00e9llo'[-1 // Z], b'xyz'[5 // Z], 'x' * (12288 // Z) == 'x' * 4096)

def f_tuples():
    return ((7 // Z, 'a', (1, 2)), (1, 2) + (7 // Z, 3), (1, 'x', 2.5)[-7 // Z], (None,) * (30 // Z), ((1, 2), 3)[1 // Z][-2])

def f_unary():
    return (~(7 // Z), -(7 // Z), +(7.0 / Z), not (1 // Z), ~-(8 // Z))

def f_left():
    return (2 ** (450 // Z), 'x' * (18000 // Z) == 'x' * 6000, (1,) * (1200 // Z), '%s' % (9 // Z), 2 ** -(3 // Z), 2.0 ** (3 // Z), (-2.0) ** -(9 // Z))

def v_pow():
    return (3 ** -(3 // Z), 2.5 ** (6 // Z), 1.5 ** (-1 // Z), 10.0 ** (-6 // Z))

def f_raise_div():
    return 7 // (2 // Z)

def f_raise_shift():
    return 1 << (-1 // Z)

def f_raise_index():
    return 'abc'[9 // Z]

def f_raise_tuple_index():
    return (1, 2)[6 // Z]

def f_raise_type():
    return 'x' + (1 // Z)

def f_raise_invert():
    return ~(1.5 // Z)

def f_raise_neg():
    return -('a' * (3 // Z))

def f_raise_fmod():
    return 7.0 % (2 // Z)

def f_lines():
    x = (7
         //
         Z)
    y = -(
        5 // Z)
    return x, y

KEEP = ('BINARY', 'UNARY', 'BUILD_TUPLE', 'CALL_INTRINSIC_1', 'TO_BOOL')
for name, f in sorted(globals().items()):
    if not name.startswith(('f_', 'v_')):
        continue
    ops = sorted(i.opname + ('' if i.opname != 'BINARY_OP' else ' ' + i.argrepr)
                 for i in dis.get_instructions(f) if i.opname.startswith(KEEP))
    try:
        r = f()
    except Exception as e:
        r = '%s: %s' % (type(e).__name__, e)
    # NB: v_* hold folds CPython makes and this pass does not (inexact pow): values only.
    print(name, repr(r), ops if name.startswith('f_') else '')
    if name == 'f_lines':
        # NB: the folded load must carry the expression's location.
        print(list(dis.findlinestarts(f.__code__)))
        if hasattr(f.__code__, 'co_positions'):
            print(list(f.__code__.co_positions()))
"#;

/// Compiles `src` with `v`'s interpreter to an unchecked-hash `.pyc`.
fn compile(interp: &pyrewrite::oracle::Interpreter, src: &Path, pyc: &Path) {
    let code = "import py_compile, sys\n\
        py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True, \
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)";
    let out = interp
        .run_code(code, &[src, pyc])
        .expect("start interpreter");
    assert!(
        out.status.success(),
        "compile failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(interp: &pyrewrite::oracle::Interpreter, file: &Path) -> String {
    // NB: pyodide cannot run a .pyc as a script: load the code object by hand.
    let code = "import marshal, sys\n\
        p = sys.argv[1]\n\
        data = open(p, 'rb').read()\n\
        src = marshal.loads(data[16:]) if p.endswith('.pyc') else compile(data, p, 'exec')\n\
        exec(src, {'__name__': '__main__'})";
    let out = interp.run_code(code, &[file]).expect("start interpreter");
    assert!(
        out.status.success(),
        "{} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pipeline(steps: &[(&str, &[(&str, &str)])]) -> Pipeline {
    let specs: Vec<(String, Vec<(String, RawValue)>)> = steps
        .iter()
        .map(|(n, ps)| {
            (
                n.to_string(),
                ps.iter()
                    .map(|(k, v)| (k.to_string(), RawValue::Text(v.to_string())))
                    .collect(),
            )
        })
        .collect();
    Pipeline::from_specs(&specs).expect("valid pipeline")
}

/// (b) + (c) for version `v`.
fn check_fold(v: PyVersion) {
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let raising = dir.path().join("fold_src.py");
    let fixed = dir.path().join("fold_fixed.py");
    std::fs::write(&raising, SOURCE.replace('Z', "0")).unwrap();
    std::fs::write(&fixed, SOURCE.replace('Z', "3")).unwrap();
    let pyc = dir.path().join("fold_src.pyc");
    compile(&interp, &raising, &pyc);
    let before = std::fs::read(&pyc).unwrap();
    let mut file = Pyc::parse(&before).expect("parse");
    let p = pipeline(&[
        (
            "swap-const",
            &[("from", "0"), ("to", "3"), ("qualname", "?_*")],
        ),
        ("fold-constants", &[]),
    ]);
    p.run(&mut file, &pyc).expect("pipeline");
    let patched = dir.path().join("patched.pyc");
    std::fs::write(&patched, file.to_bytes().expect("assemble")).unwrap();
    let got = run(&interp, &patched);
    let want = run(&interp, &fixed);
    let swapped_only = {
        let mut f2 = Pyc::parse(&before).unwrap();
        pipeline(&[(
            "swap-const",
            &[("from", "0"), ("to", "3"), ("qualname", "?_*")],
        )])
        .run(&mut f2, &pyc)
        .unwrap();
        let out = dir.path().join("swapped.pyc");
        std::fs::write(&out, f2.to_bytes().unwrap()).unwrap();
        run(&interp, &out)
    };
    let diff: Vec<String> = got
        .lines()
        .zip(want.lines())
        .filter(|(g, w)| g != w)
        .map(|(g, w)| format!("  got  {g}\n  want {w}"))
        .collect();
    assert!(
        diff.is_empty() && got.lines().count() == want.lines().count(),
        "{v}: patched differs from CPython:\n{}",
        diff.join("\n")
    );
    // NB: the folding must be what made the opcodes match, not swap-const alone.
    assert_ne!(
        swapped_only, want,
        "{v}: swap-const alone already matches; the test proves nothing"
    );
}

/// (a) for version `v`: every corpus file is left byte for byte.
fn check_corpus(v: PyVersion) {
    let files = support::corpus_pyc_files(v);
    assert!(!files.is_empty(), "{v}: no corpus");
    let p = pipeline(&[("fold-constants", &[])]);
    let mut changed = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let mut pyc = Pyc::parse(&bytes).expect("parse");
        p.run(&mut pyc, path).expect("pipeline");
        if pyc.to_bytes().expect("assemble") != bytes {
            changed.push(path.display().to_string());
        }
    }
    assert!(
        changed.is_empty(),
        "{v}: fold-constants changed {} of {} corpus files: {changed:?}",
        changed.len(),
        files.len()
    );
}

fn run_for(minor: u8) {
    let v = PyVersion::new(3, minor);
    check_corpus(v);
    check_fold(v);
}

#[test]
fn fold_3_8() {
    run_for(8);
}

#[test]
fn fold_3_9() {
    run_for(9);
}

#[test]
fn fold_3_10() {
    run_for(10);
}

#[test]
fn fold_3_11() {
    run_for(11);
}

#[test]
fn fold_3_12() {
    run_for(12);
}

#[test]
fn fold_3_13() {
    run_for(13);
}

#[test]
fn fold_3_14() {
    run_for(14);
}

/// Files of each version's own standard library that `fold-constants`
/// changes (all semantically equivalent, see docs/passes.md): everything
/// else must come out byte for byte. Slow (the whole stdlib per version):
/// `cargo test --release --test passes_fold -- --ignored`.
const STDLIB_KNOWN: &[(u8, &[&str])] = &[
    (8, &["test/test_named_expressions.pyc"]),
    (9, &["test/test_named_expressions.pyc"]),
    (
        10,
        &[
            "test/test_grammar.pyc",
            "lib2to3/tests/data/py3_test_grammar.pyc",
        ],
    ),
    (
        11,
        &[
            "test/test_grammar.pyc",
            "lib2to3/tests/data/py3_test_grammar.pyc",
        ],
    ),
    (
        12,
        &[
            "test/test_grammar.pyc",
            "test/test_lib2to3/data/py3_test_grammar.pyc",
        ],
    ),
    (13, &["test/test_grammar.pyc"]),
    (14, &[]),
];

#[test]
#[ignore]
fn stdlib_unchanged_except_known() {
    let p = pipeline(&[("fold-constants", &[])]);
    let mut checked = 0;
    for interp in support::oracle_interpreters() {
        let Some((_, known)) = STDLIB_KNOWN
            .iter()
            .find(|(m, _)| *m == interp.version.minor)
        else {
            continue;
        };
        let files = support::stdlib_pycs(&interp).expect("stdlib");
        let root = support::oracle_cache_dir()
            .join(interp.version.to_string())
            .join("stdlib");
        let mut changed = Vec::new();
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let Ok(mut pyc) = Pyc::parse(&bytes) else {
                continue;
            };
            p.run(&mut pyc, path).expect("pipeline");
            if pyc.to_bytes().expect("assemble") != bytes {
                changed.push(
                    path.strip_prefix(&root)
                        .unwrap_or(path)
                        .display()
                        .to_string(),
                );
            }
        }
        let unexpected: Vec<&String> = changed
            .iter()
            .filter(|c| !known.contains(&c.as_str()))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{}: unexpected changes {unexpected:?}",
            interp.version
        );
        eprintln!(
            "{}: {} stdlib files, changed {changed:?}",
            interp.version,
            files.len()
        );
        checked += 1;
    }
    assert!(checked > 0, "no interpreter");
}
