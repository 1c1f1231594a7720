//! Behavioural oracle for the rewrite passes: each pass is applied to corpus
//! `.pyc` files of every CPython 3.8..3.14 found, the patched files are run
//! on that interpreter, and their output must equal what the same
//! interpreter prints for the SOURCE edited the same way at the AST level
//! (CPython compiles the edited program itself). The output must also
//! differ from the unpatched run, so a pass that does nothing fails.

mod support;

use pyrewrite::passes::{Pipeline, RawValue};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::path::{Path, PathBuf};

/// One pipeline step: pass name and `--param`-style parameters.
type Step = (&'static str, &'static [(&'static str, &'static str)]);

struct Case {
    name: &'static str,
    /// The pipeline, or empty when `config` gives it.
    steps: &'static [Step],
    /// A shipped pipeline (`passes/*.toml`), applied through the CLI binary.
    config: Option<&'static str>,
    /// Corpus sources (relative); `*` = every corpus file of the version.
    files: &'static [&'static str],
}

const CONSTS: &[&str] = &["passes/consts.py"];
const OPS: &[&str] = &["passes/ops.py"];

const CASES: &[Case] = &[
    Case {
        name: "int",
        config: None,
        steps: &[("swap-const", &[("from", "42"), ("to", "99")])],
        files: CONSTS,
    },
    Case {
        name: "int-not-small",
        config: None,
        steps: &[("swap-const", &[("from", "42"), ("to", "1000")])],
        files: CONSTS,
    },
    Case {
        name: "small-int",
        config: None,
        steps: &[("swap-const", &[("from", "3"), ("to", "5")])],
        files: CONSTS,
    },
    Case {
        name: "big-int",
        config: None,
        steps: &[(
            "swap-const",
            &[("from", "12345678901234567890"), ("to", "-7")],
        )],
        files: CONSTS,
    },
    Case {
        name: "str",
        config: None,
        steps: &[("swap-const", &[("from", "'hello'"), ("to", "'bye'")])],
        files: CONSTS,
    },
    Case {
        name: "float",
        config: None,
        steps: &[("swap-const", &[("from", "42.0"), ("to", "0.5")])],
        files: CONSTS,
    },
    Case {
        name: "negative",
        config: None,
        steps: &[("swap-const", &[("from", "-42"), ("to", "42")])],
        files: CONSTS,
    },
    Case {
        name: "tuple",
        config: None,
        steps: &[("swap-const", &[("from", "(1, 42)"), ("to", "(2, 3)")])],
        files: CONSTS,
    },
    Case {
        name: "qualname",
        config: None,
        steps: &[(
            "swap-const",
            &[("from", "42"), ("to", "99"), ("qualname", "Box.*")],
        )],
        files: CONSTS,
    },
    Case {
        name: "bool",
        config: None,
        steps: &[(
            "swap-const",
            &[("from", "True"), ("to", "False"), ("qualname", "flags")],
        )],
        files: CONSTS,
    },
    Case {
        name: "corpus-42",
        config: None,
        steps: &[("swap-const", &[("from", "42"), ("to", "99")])],
        files: &["*"],
    },
    Case {
        name: "add-sub",
        config: None,
        steps: &[("replace-op", &[("from", "+"), ("to", "-")])],
        files: OPS,
    },
    Case {
        name: "mul-add",
        config: None,
        steps: &[("replace-op", &[("from", "*"), ("to", "+")])],
        files: OPS,
    },
    Case {
        name: "iadd",
        config: None,
        steps: &[("replace-op", &[("from", "+="), ("to", "-=")])],
        files: OPS,
    },
    Case {
        name: "ifloordiv",
        config: None,
        steps: &[("replace-op", &[("from", "//="), ("to", "%=")])],
        files: OPS,
    },
    Case {
        name: "lt-le",
        config: None,
        steps: &[("replace-op", &[("from", "<"), ("to", "<=")])],
        files: OPS,
    },
    Case {
        name: "eq-ne",
        config: None,
        steps: &[("replace-op", &[("from", "=="), ("to", "!=")])],
        files: OPS,
    },
    Case {
        name: "gt-ge",
        config: None,
        steps: &[("replace-op", &[("from", ">"), ("to", ">=")])],
        files: OPS,
    },
    Case {
        name: "in",
        config: None,
        steps: &[("replace-op", &[("from", "in"), ("to", "not in")])],
        files: OPS,
    },
    Case {
        name: "is",
        config: None,
        steps: &[("replace-op", &[("from", "is not"), ("to", "is")])],
        files: OPS,
    },
    Case {
        name: "qualname-op",
        config: None,
        steps: &[(
            "replace-op",
            &[("from", "<"), ("to", ">"), ("qualname", "hot")],
        )],
        files: OPS,
    },
    Case {
        name: "pipeline",
        config: None,
        steps: &[
            ("replace-op", &[("from", "+"), ("to", "-")]),
            ("replace-op", &[("from", "-"), ("to", "*")]),
        ],
        files: OPS,
    },
    Case {
        name: "hotfix-constant",
        config: Some("passes/hotfix-constant.toml"),
        steps: &[],
        files: CONSTS,
    },
    Case {
        name: "swap-operators",
        config: Some("passes/swap-operators.toml"),
        steps: &[],
        files: OPS,
    },
];

/// The AST-level oracle: edits the source like the pipeline edits bytecode
/// (with CPython's own constant folding taken into account), compiles it
/// with the running interpreter and executes it.
const HARNESS: &str = r#"
import ast, fnmatch, struct, sys

SOURCE = __SOURCE__
STEPS = __STEPS__

BIN = {'+': ast.Add, '-': ast.Sub, '*': ast.Mult, '/': ast.Div, '//': ast.FloorDiv, '%': ast.Mod,
       '**': ast.Pow, '@': ast.MatMult, '<<': ast.LShift, '>>': ast.RShift, '&': ast.BitAnd,
       '|': ast.BitOr, '^': ast.BitXor}
CMP = {'<': ast.Lt, '<=': ast.LtE, '==': ast.Eq, '!=': ast.NotEq, '>': ast.Gt, '>=': ast.GtE,
       'in': ast.In, 'not in': ast.NotIn, 'is': ast.Is, 'is not': ast.IsNot}
NEG = {ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def strict_eq(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack('<d', a) == struct.pack('<d', b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(strict_eq(x, y) for x, y in zip(a, b))
    return a == b


def folded(node):
    # CPython folds unary/binary operations on constants before codegen.
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
        return folded(node.operand)
    if isinstance(node, ast.BinOp):
        return folded(node.left) and folded(node.right)
    return False


class NoValue:
    pass


def value(node):
    # NB: CPython leaves operations that raise (1 / 0) unfolded; so does this.
    try:
        return eval(compile(ast.Expression(node), '<fold>', 'eval'), {})
    except Exception:
        return NoValue



class Scoped(ast.NodeTransformer):
    changed = False

    def __init__(self, params):
        self.p = params
        self.stack = []

    def active(self):
        q = self.stack[-1][0] if self.stack else '<module>'
        return fnmatch.fnmatchcase(q, self.p.get('qualname', '*'))

    def scoped(self, node, name, is_func, outer, inner):
        for f in outer:
            v = getattr(node, f, None)
            if isinstance(v, list):
                setattr(node, f, [self.visit(x) if x is not None else None for x in v])
            elif v is not None:
                setattr(node, f, self.visit(v))
        if self.stack:
            q, fn = self.stack[-1]
            q = q + ('.<locals>.' if fn else '.') + name
        else:
            q = name
        self.stack.append((q, is_func))
        v = getattr(node, inner)
        setattr(node, inner, [self.visit(x) for x in v] if isinstance(v, list) else self.visit(v))
        self.stack.pop()
        return node

    def visit_FunctionDef(self, node):
        node.args.defaults = [self.visit(x) for x in node.args.defaults]
        node.args.kw_defaults = [self.visit(x) if x is not None else None for x in node.args.kw_defaults]
        return self.scoped(node, node.name, True, ['decorator_list'], 'body')

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        node.args.defaults = [self.visit(x) for x in node.args.defaults]
        return self.scoped(node, '<lambda>', True, [], 'body')

    def visit_ClassDef(self, node):
        return self.scoped(node, node.name, False, ['decorator_list', 'bases', 'keywords'], 'body')

    def visit_UnaryOp(self, node):
        # `not a in b` is compiled as `a not in b`
        if isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Compare) \
                and len(node.operand.ops) == 1 and type(node.operand.ops[0]) in NEG:
            c = node.operand
            c.ops = [NEG[type(c.ops[0])]()]
            return self.visit(c)
        return self.generic_visit(node)


class Const(Scoped):
    def swap(self, node):
        if self.active() and strict_eq(value(node), self.p['from']):
            Scoped.changed = True
            return ast.copy_location(ast.Constant(self.p['to']), node)
        return node

    def visit_Constant(self, node):
        return self.swap(node)

    def visit_UnaryOp(self, node):
        return self.swap(node) if folded(node) else Scoped.visit_UnaryOp(self, node)

    def visit_BinOp(self, node):
        return self.swap(node) if folded(node) else self.generic_visit(node)

    def visit_Tuple(self, node):
        if isinstance(self.p['from'], tuple) and all(folded(e) for e in node.elts):
            new = self.swap(node)
            if new is not node:
                return new
        return self.generic_visit(node)


class Op(Scoped):
    def visit_BinOp(self, node):
        if folded(node):
            return node
        self.generic_visit(node)
        f, t = self.p['from'], self.p['to']
        if self.active() and f in BIN and type(node.op) is BIN[f]:
            node.op = BIN[t]()
            Scoped.changed = True
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        f, t = self.p['from'], self.p['to']
        if self.active() and f.endswith('=') and f[:-1] in BIN and type(node.op) is BIN[f[:-1]]:
            node.op = BIN[t[:-1]]()
            Scoped.changed = True
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        f, t = self.p['from'], self.p['to']
        if self.active() and f in CMP:
            new = [CMP[t]() if type(o) is CMP[f] else o for o in node.ops]
            Scoped.changed |= any(type(a) is not type(b) for a, b in zip(new, node.ops))
            node.ops = new
        return node


# NB: deep ASTs (a 1500-term sum) need a high limit for the transform only;
# it is restored before the program runs (the process runs other files too).
saved_limit = sys.getrecursionlimit()
sys.setrecursionlimit(50000)
with open(SOURCE, encoding='utf-8') as fh:
    text = fh.read()
tree = ast.parse(text, SOURCE)
for name, params in STEPS:
    params = dict(params)
    if name == 'swap-const':
        params['from'] = ast.literal_eval(params['from'])
        params['to'] = ast.literal_eval(params['to'])
        tree = Const(params).visit(tree)
    else:
        tree = Op(params).visit(tree)
    ast.fix_missing_locations(tree)
sys.setrecursionlimit(saved_limit)
# NB: unedited programs compile from their text (some ASTs, like a
# 1500-term sum, are too deep to compile from an AST object).
code = compile(tree if Scoped.changed else text, SOURCE, 'exec', dont_inherit=True)
exec(code, {'__name__': '__main__', '__builtins__': __builtins__, '__file__': SOURCE})
"#;

fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Owned pipeline steps: pass name and `(key, value text)` parameters.
type Steps = Vec<(String, Vec<(String, String)>)>;

fn owned(steps: &[Step]) -> Steps {
    steps
        .iter()
        .map(|(n, ps)| {
            (
                n.to_string(),
                ps.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// The steps of a shipped TOML pipeline, values as Python literal text
/// (TOML integers are the shorthand for the int literal).
fn toml_steps(path: &Path) -> Steps {
    let doc: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let toml::Value::Array(items) = &doc["pass"] else {
        panic!("no [[pass]] in {}", path.display())
    };
    items
        .iter()
        .map(|t| {
            let t = t.as_table().unwrap();
            let ps = t
                .iter()
                .filter(|(k, _)| *k != "name")
                .map(|(k, v)| {
                    let text = match v {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(i) => i.to_string(),
                        other => panic!("unexpected {other} in {}", path.display()),
                    };
                    (k.clone(), text)
                })
                .collect();
            (t["name"].as_str().unwrap().to_string(), ps)
        })
        .collect()
}

fn harness(source: &Path, steps: &Steps) -> String {
    let steps_py: Vec<String> = steps
        .iter()
        .map(|(name, ps)| {
            let ps: Vec<String> = ps
                .iter()
                .map(|(k, v)| format!("({}, {})", py_str(k), py_str(v)))
                .collect();
            format!("({}, [{}])", py_str(name), ps.join(", "))
        })
        .collect();
    HARNESS
        .replace("__SOURCE__", &py_str(&source.display().to_string()))
        .replace("__STEPS__", &format!("[{}]", steps_py.join(", ")))
}

fn pipeline(steps: &Steps) -> Pipeline {
    let specs: Vec<(String, Vec<(String, RawValue)>)> = steps
        .iter()
        .map(|(n, ps)| {
            (
                n.clone(),
                ps.iter()
                    .map(|(k, v)| (k.clone(), RawValue::Text(v.clone())))
                    .collect(),
            )
        })
        .collect();
    Pipeline::from_specs(&specs).expect("valid pipeline")
}

/// Corpus sources of a case for version `v` that have a compiled `.pyc`.
fn case_files(case: &Case, v: PyVersion) -> Vec<(PathBuf, PathBuf)> {
    let pyc_dir = support::corpus_dir().join("pyc").join(v.to_string());
    if case.files == ["*"] {
        return support::corpus_pyc_files(v)
            .into_iter()
            .map(|p| (support::corpus_rel_source(v, &p), p))
            .collect();
    }
    case.files
        .iter()
        .map(|rel| (PathBuf::from(rel), pyc_dir.join(rel).with_extension("pyc")))
        .filter(|(_, p)| p.exists())
        .collect()
}

fn check_version(v: PyVersion) -> Vec<String> {
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return Vec::new();
    };
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let mut runs: Vec<PathBuf> = Vec::new();
    // (case, rel source, patched key, oracle key, changed?)
    let mut plan = Vec::new();
    for case in CASES {
        let steps = match case.config {
            Some(c) => toml_steps(&support::repo_root().join(c)),
            None => owned(case.steps),
        };
        let pl = pipeline(&steps);
        for (rel, pyc) in case_files(case, v) {
            let data = std::fs::read(&pyc).unwrap();
            let bytes = match case.config {
                // NB: shipped pipelines go through the command line, as a user runs them.
                Some(c) => {
                    let out = root.join(format!("cli-{}.pyc", case.name));
                    let o = std::process::Command::new(env!("CARGO_BIN_EXE_pyrewrite"))
                        .arg("--config")
                        .arg(support::repo_root().join(c))
                        .arg(&pyc)
                        .arg(&out)
                        .output()
                        .unwrap();
                    assert!(
                        o.status.success(),
                        "{v} {c}: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    std::fs::read(&out).unwrap()
                }
                None => {
                    let mut p = Pyc::parse(&data).unwrap();
                    pl.run(&mut p, &pyc)
                        .unwrap_or_else(|e| panic!("{v} {} {}: {e}", case.name, rel.display()));
                    p.to_bytes().unwrap()
                }
            };
            let patched = Path::new(case.name)
                .join("patched")
                .join(&rel)
                .with_extension("pyc");
            let oracle = Path::new(case.name).join("oracle").join(&rel);
            std::fs::create_dir_all(root.join(&patched).parent().unwrap()).unwrap();
            std::fs::create_dir_all(root.join(&oracle).parent().unwrap()).unwrap();
            std::fs::write(root.join(&patched), &bytes).unwrap();
            std::fs::write(
                root.join(&oracle),
                harness(&support::corpus_dir().join(&rel), &steps),
            )
            .unwrap();
            runs.push(root.join(&patched));
            runs.push(root.join(&oracle));
            plan.push((
                case,
                rel,
                patched.with_extension("py"),
                oracle,
                bytes != data,
            ));
        }
    }
    let out = support::run_many(&interp, root, &runs).unwrap();
    let mut failures = Vec::new();
    let mut changed_outputs = 0;
    for (case, rel, patched, oracle, bytes_changed) in &plan {
        let got = &out[patched];
        let want = &out[oracle];
        let orig = support::expected_output(rel, v).unwrap_or_default();
        let tag = format!("{v} {} {}", case.name, rel.display());
        if got != want {
            let short = |s: &str| {
                s.lines()
                    .map(|l| l.chars().take(200).collect::<String>() + "\n")
                    .collect::<String>()
            };
            failures.push(format!(
                "{tag}: patched output differs from the AST-edited source\n--- patched\n{}--- oracle\n{}",
                short(got),
                short(want)
            ));
        }
        if case.files != ["*"] {
            if got == &orig {
                failures.push(format!(
                    "{tag}: output did not change (bytes changed: {bytes_changed})"
                ));
            }
        } else if got != &orig {
            changed_outputs += 1;
        }
    }
    eprintln!(
        "{v}: {} patched runs compared, {changed_outputs} corpus-wide outputs changed",
        plan.len()
    );
    failures
}

fn run_for(minor: u8) {
    let v = PyVersion::new(3, minor);
    let failures = check_version(v);
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn passes_oracle_3_8() {
    run_for(8);
}
#[test]
fn passes_oracle_3_9() {
    run_for(9);
}
#[test]
fn passes_oracle_3_10() {
    run_for(10);
}
#[test]
fn passes_oracle_3_11() {
    run_for(11);
}
#[test]
fn passes_oracle_3_12() {
    run_for(12);
}
#[test]
fn passes_oracle_3_13() {
    run_for(13);
}
#[test]
fn passes_oracle_3_14() {
    run_for(14);
}
