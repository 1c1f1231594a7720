//! `pyrewrite::dis` against each real CPython's `dis.dis`, file by file.
//!
//! For every version with an interpreter (`pyrewrite::oracle`), the .pyc
//! files are: everything under `corpus/pyc/3.X/` plus a sample of that
//! interpreter's own standard library, compiled once into
//! `$CARGO_TARGET_TMPDIR/dis-stdlib/3.X` with tools/oracle/compile_tree.py.
//! Plus the stress sources of [`STRESS`] (EXTENDED_ARG, offsets >= 10000,
//! lines >= 1000, every constant kind, every syntax feature up to 3.14),
//! written and compiled by each interpreter (files it cannot compile are
//! skipped). tools/oracle/dis_dump.py prints what `dis.dis` prints for each (addresses
//! masked as ` at 0x?`); our text gets the same masking and both get the
//! frozenset normalisation described in docs/dis.md (element order inside
//! `frozenset({...})` depends on the hash seed, so elements are sorted).
//!
//! Env: `PYREWRITE_DIS_SAMPLE=N` keeps every Nth stdlib file (default 4;
//! 1 = all, 0 = none); `PYREWRITE_DIS_FILES=a.pyc,b.pyc` checks only those
//! files; `PYREWRITE_DIS_DIFFS=DIR` writes `ours`/`cpython` texts of every
//! differing file there. Each version's test fails when any file differs.

use pyrewrite::oracle::{self, Interpreter};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn pyc_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            pyc_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "pyc") {
            out.push(p);
        }
    }
}

/// The stdlib of `py`, compiled once per target dir.
fn stdlib_dir(py: &Interpreter) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("dis-stdlib")
        .join(py.version.to_string());
    let done = dir.join(".complete");
    if !done.exists() {
        let script = oracle::repo_root().join("tools/oracle/compile_tree.py");
        let out = py
            .run_script(&script, &["--stdlib".as_ref(), dir.as_os_str()])
            .expect("run compile_tree.py");
        assert!(
            out.status.success(),
            "compile_tree.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&done, b"").unwrap();
    }
    dir
}

/// Writes the stress sources into `sys.argv[1]`.
const STRESS: &str = r#"import os, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def w(name, text):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text)

# Many constants and names: EXTENDED_ARG on LOAD_CONST / LOAD_NAME / STORE_FAST.
lines = ["def many():"]
for i in range(300):
    lines.append(f"    v{i} = {i * 1000 + 7} + c{i}")
lines.append("    return v0")
w("many_consts.py", "\n".join(lines) + "\n")

# Long jumps (EXTENDED_ARG jumps, offsets >= 10000) and line numbers >= 1000 / 10000.
body = ["def longjump(x):", "    while x:"]
for i in range(3000):
    body.append(f"        x = x + {i % 7}")
body.append("        if x > 5: break")
body.append("    return x")
w("long_jump.py", "\n" * 12000 + "\n".join(body) + "\n")
w("line_1000.py", "\n" * 995 + "a = 1\nb = 2\nif a:\n    b = 3\n\n\ndef f():\n    return b\n")

# Constants of every kind.
w("consts.py", r'''
s1 = 'plain'
s2 = "it's"
s3 = 'say "hi"'
s4 = 'both \' and "'
s5 = 'tab\there\nnewline\r\x00\x7f\x80\xa0\xad\u2028\ud800\U0001F600 é ß \u0378'
b1 = b'\x00\xff\'"\\abc'
i1 = 2**100
i2 = -2**64
i3 = 12345678901234567890123456789
f1 = 1e16; f2 = 1e-5; f3 = 0.1; f4 = -0.0; f5 = 1.5e300; f6 = 2.9802322387695312e-08
c1 = 1j; c2 = 1+2j; c3 = -1.5j
t1 = (1,); t2 = (1, 'a', (2.5, b'x', None), ...); t3 = ()
def f(x):
    return x in {1, 2, 3, 100, -7}, x in {'a', 'b'}, x in {1.5, 2.5}, x in (1, 2), x not in {True, 3}
def g(x):
    return x[1:2], x[::2], x[1:], x[None:'a']
''')

w("features.py", r'''
import os
from os.path import join as j, split
from . import nothing
global_var = 1
def outer(a, b=2, *args, c, d=4, **kw):
    x = 1
    def inner(y):
        nonlocal x
        x += y
        return x + a
    lam = lambda q, *, r=1: q + r
    return inner, lam, [i * 2 for i in args if i], {k: v for k, v in kw.items()}, {s for s in args}, (g for g in args)
class C(object):
    attr: int = 3
    def m(self):
        return super().m()
    @staticmethod
    def s(): return __class__
    @property
    def p(self): return self.attr
def fmt(a, b):
    return f"{a!r} {b!s:>10} {a!a} {b:{a}} {a=}"
def tries(x):
    try:
        x()
    except (ValueError, TypeError) as e:
        del e
    except Exception:
        raise
    else:
        pass
    finally:
        print("done")
    with open(x) as f, open(x) as g:
        return f.read() + g.read()
def gen():
    yield 1
    yield from range(3)
    return 5
async def co(a):
    async with a as b:
        pass
    async for i in a:
        await i
    return [j async for j in a]
def comps(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b, a is b, a is not b, a in b, a not in b, not a, -a, +a, ~a
def ops(a, b):
    a += b; a -= b; a *= b; a /= b; a //= b; a %= b; a **= b; a <<= b; a >>= b; a &= b; a |= b; a ^= b; a @= b
    return a + b, a - b, a * b, a / b, a // b, a % b, a ** b, a << b, a >> b, a & b, a | b, a ^ b, a @ b, a[b]
def unpack(a):
    x, *y, z = a
    (p, q), r = a
    print(*a, **a)
    return {**a, 'k': 1}, [*a, 1], (*a,)
def asserts(x):
    assert x, "msg"
    assert x
def star_import():
    pass
from os import *
''')

w("py310_match.py", r'''
def m(x):
    match x:
        case 0 | 1:
            return "small"
        case [a, b, *rest]:
            return a
        case {"k": v, **kw}:
            return v
        case Point(x=0, y=yy) if yy > 2:
            return yy
        case str() as s:
            return s
        case _:
            return None
''')
w("py311_groups.py", r'''
def eg():
    try:
        pass
    except* ValueError as e:
        print(e)
    except* TypeError:
        raise
''')
w("py312_types.py", r'''
type Alias[T] = list[T]
def gen[T: int, *Ts, **P](x: T) -> T:
    return x
class K[T]:
    def m(self) -> T: ...
def comp(a):
    return [x for x in a if x], {x: 1 for x in a}
''')
w("py314_annot.py", r'''
def f(x: int, y: "str" = 1) -> list[int]:
    return x
class A:
    z: int
    w: "B" = 3
def tstr(a):
    try:
        return a
    finally:
        pass
''')
w("empty.py", "")
w("docstring_only.py", '"""doc"""\n')
w("deep.py", "x = " + "(" * 50 + "1" + ",)" * 50 + "\n" + "def f():\n" + "".join("    " * (i + 1) + "if x:\n" for i in range(20)) + "    " * 21 + "return 1\n")
"#;

/// The stress sources compiled by `py` into .pyc files.
fn stress_dir(py: &Interpreter) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("dis-stress")
        .join(py.version.to_string());
    let (src, pyc) = (base.join("src"), base.join("pyc"));
    let _ = std::fs::remove_dir_all(&base);
    let out = py
        .run_code(STRESS, &[src.as_os_str()])
        .expect("run stress generator");
    assert!(
        out.status.success(),
        "stress generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = oracle::repo_root().join("tools/oracle/compile_tree.py");
    let out = py
        .run_script(&script, &[src.as_os_str(), pyc.as_os_str()])
        .expect("run compile_tree.py");
    assert!(
        out.status.success(),
        "compile_tree.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    pyc
}

/// ` at 0x1234` -> ` at 0x?`, as dis_dump.py does.
fn mask_addresses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let n = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        if n > 0 {
            out.push('?');
        }
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

/// Sorts the top-level elements of every `frozenset({...})` in `s`
/// (recursively), so texts that differ only in set iteration order match.
fn normalise_frozensets(s: &str) -> String {
    const OPEN: &str = "frozenset({";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i + OPEN.len()]);
        rest = &rest[i + OPEN.len()..];
        let (elems, after) = split_elements(rest);
        let mut elems: Vec<String> = elems.iter().map(|e| normalise_frozensets(e)).collect();
        elems.sort();
        out.push_str(&elems.join(", "));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Splits `a, b, c})...` at top-level commas up to the closing `}`; returns
/// the elements and the text from that `}` on. Understands nesting and
/// repr string literals.
fn split_elements(s: &str) -> (Vec<&str>, &str) {
    let b = s.as_bytes();
    let (mut depth, mut i, mut start) = (0i32, 0usize, 0usize);
    let mut elems = Vec::new();
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' => depth -= 1,
            b'}' if depth == 0 => {
                elems.push(&s[start..i]);
                return (elems, &s[i..]);
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                elems.push(&s[start..i]);
                start = i + 2;
                i += 1;
            }
            b'\n' => break,
            _ => {}
        }
        i += 1;
    }
    // Unbalanced (e.g. a str holding "frozenset({"): leave the text alone.
    (vec![], s)
}

fn normalise(s: &str) -> String {
    normalise_frozensets(&mask_addresses(s))
}

/// First differing line, for the summary.
fn first_diff(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n    cpython: {x:?}\n    ours:    {y:?}", i + 1);
        }
    }
    format!(
        "lengths differ: cpython {} lines, ours {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

fn check(v: PyVersion) {
    let Some(py) = oracle::find(v) else {
        eprintln!("dis oracle {v}: no interpreter found, nothing compared");
        return;
    };
    let mut files = Vec::new();
    if let Ok(list) = std::env::var("PYREWRITE_DIS_FILES") {
        files.extend(list.split(',').filter(|s| !s.is_empty()).map(PathBuf::from));
    } else {
        pyc_files(
            &oracle::repo_root().join("corpus/pyc").join(v.to_string()),
            &mut files,
        );
        pyc_files(&stress_dir(&py), &mut files);
        let sample: usize = std::env::var("PYREWRITE_DIS_SAMPLE")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(4);
        if sample > 0 {
            let mut std = Vec::new();
            pyc_files(&stdlib_dir(&py), &mut std);
            files.extend(std.into_iter().step_by(sample));
        }
    }
    assert!(!files.is_empty(), "no .pyc files to compare for {v}");

    // One interpreter run for all files (pyodide starts slowly).
    let list = tempfile::NamedTempFile::new().unwrap();
    let text: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    std::fs::write(list.path(), text).unwrap();
    let script = oracle::repo_root().join("tools/oracle/dis_dump.py");
    let arg = format!("@{}", list.path().display());
    let out = py
        .run_script(&script, &[arg.as_str()])
        .expect("run dis_dump.py");
    assert!(
        out.status.success(),
        "dis_dump.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8(out.stdout).expect("utf-8 dis output");
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    for line in dump.split_inclusive('\n') {
        if let Some(p) = line.strip_prefix("== ") {
            if let Some((k, t)) = cur.take() {
                expected.insert(k, t);
            }
            cur = Some((p.trim_end_matches('\n').to_string(), String::new()));
        } else if let Some((_, t)) = cur.as_mut() {
            t.push_str(line);
        }
    }
    if let Some((k, t)) = cur.take() {
        expected.insert(k, t);
    }

    let diffs_dir = std::env::var_os("PYREWRITE_DIS_DIFFS").map(PathBuf::from);
    let (mut same, mut differ, mut oracle_errors) = (0usize, Vec::new(), 0usize);
    for p in &files {
        let key = p.display().to_string();
        let want = expected
            .get(&key)
            .unwrap_or_else(|| panic!("dis_dump.py printed nothing for {key}"));
        if want.starts_with("!error") {
            oracle_errors += 1;
            continue;
        }
        let ours = match Pyc::read_file(p).and_then(|pyc| pyrewrite::dis::dis_module(&pyc.marshal))
        {
            Ok(t) => t,
            Err(e) => format!("!error {e}\n"),
        };
        let (w, o) = (normalise(want), normalise(&ours));
        if w == o {
            same += 1;
        } else {
            if let Some(d) = &diffs_dir {
                let base = d.join(v.to_string()).join(key.trim_start_matches('/'));
                std::fs::create_dir_all(base.parent().unwrap()).unwrap();
                std::fs::write(base.with_extension("cpython"), &w).unwrap();
                std::fs::write(base.with_extension("ours"), &o).unwrap();
            }
            differ.push(format!("{key}: {}", first_diff(&w, &o)));
        }
    }
    let total = same + differ.len();
    eprintln!(
        "dis oracle {}: {same}/{total} files identical ({:.2}%), {oracle_errors} the interpreter could not load",
        py.describe(),
        100.0 * same as f64 / total.max(1) as f64
    );
    for d in differ.iter().take(15) {
        eprintln!("  {d}");
    }
    assert!(
        differ.is_empty(),
        "{v}: {} of {total} files differ from dis.dis",
        differ.len()
    );
}

/// Code objects the compiler never writes, made with `code.replace`: no
/// line table, an undefined opcode, EXTENDED_ARG before an argument-less
/// opcode, `co_firstlineno == 0`, an out-of-range name index. Prints
/// `HEX<TAB>ascii(dis text)` per case, or `HEX<TAB>!error` when dis raised.
const CRAFTED: &str = r#"
import dis, io, marshal, opcode, re, sys
V = sys.version_info[:2]
src = 'x = 1\ny = 2\nif x:\n    y = 3\ndef f(a):\n    return a + y\n'
co = compile(src, 'c.py', 'exec')
fn = [c for c in co.co_consts if hasattr(c, 'co_code')][0]
nolines = dict(co_linetable=b'') if V >= (3, 10) else dict(co_lnotab=b'')
free = [i for i in range(256) if opcode.opname[i].startswith('<')]
EXT = opcode.opmap['EXTENDED_ARG']
NOP = opcode.opmap['NOP']
cases = [
    co.replace(**nolines),
    co.replace(co_consts=tuple(c.replace(**nolines) if hasattr(c, 'co_code') else c for c in co.co_consts)),
    co.replace(co_code=bytes([free[-1], 0]) + co.co_code[2:]),
    co.replace(co_code=bytes([EXT, 1, NOP, 0]) + co.co_code[4:]),
    co.replace(co_consts=tuple(c.replace(co_firstlineno=0) if hasattr(c, 'co_code') else c for c in co.co_consts)),
    co.replace(co_names=co.co_names[:1]),
]
for c in cases:
    data = marshal.dumps(c)
    buf = io.StringIO()
    try:
        dis.dis(marshal.loads(data), file=buf)
        text = re.sub(r' at 0x[0-9a-fA-F]+', ' at 0x?', buf.getvalue())
        print(data.hex() + '\t' + ascii(text))
    except Exception as e:
        print(data.hex() + '\t!error')
"#;

/// Undoes Python's `ascii()` of a str (quotes and escapes).
fn unascii(s: &str) -> String {
    let chars: Vec<char> = s[1..s.len() - 1].chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars[i];
        i += 1;
        let width = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if width > 0 {
            let h: String = chars[i..i + width].iter().collect();
            i += width;
            out.push(
                char::from_u32(u32::from_str_radix(&h, 16).unwrap())
                    .expect("dis text holds no lone surrogates"),
            );
        } else {
            out.push(match e {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
        }
    }
    out
}

fn check_crafted(v: PyVersion) {
    let Some(py) = oracle::find(v) else {
        eprintln!("dis crafted {v}: no interpreter found, nothing compared");
        return;
    };
    let out = py
        .run_code(CRAFTED, &[] as &[&str])
        .expect("run interpreter");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let (hex, want) = line.split_once('\t').unwrap();
        let data: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let m = pyrewrite::marshal::read::read(&data, v).expect("marshal read");
        let ours = pyrewrite::dis::dis_module(&m);
        if want == "!error" {
            assert!(
                ours.is_err(),
                "{v} case {n}: dis raised, we printed:\n{}",
                ours.unwrap()
            );
        } else {
            let want = unascii(want);
            let ours = ours.unwrap_or_else(|e| panic!("{v} case {n}: {e}"));
            let ours = normalise(&ours);
            let want = normalise(&want);
            assert_eq!(
                want,
                ours,
                "{v} crafted case {n}:\n{}",
                first_diff(&want, &ours)
            );
        }
        n += 1;
    }
    assert_eq!(n, 6, "expected 6 crafted cases");
}

macro_rules! crafted_tests {
    ($($name:ident => $minor:expr),*) => {$(
        #[test]
        fn $name() {
            check_crafted(PyVersion::new(3, $minor));
        }
    )*};
}

crafted_tests!(crafted_38 => 8, crafted_39 => 9, crafted_310 => 10, crafted_311 => 11, crafted_312 => 12,
               crafted_313 => 13, crafted_314 => 14);

macro_rules! version_tests {
    ($($name:ident => $minor:expr),*) => {$(
        #[test]
        fn $name() {
            check(PyVersion::new(3, $minor));
        }
    )*};
}

version_tests!(dis_38 => 8, dis_39 => 9, dis_310 => 10, dis_311 => 11, dis_312 => 12,
               dis_313 => 13, dis_314 => 14);
