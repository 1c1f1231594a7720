#!/usr/bin/env python3
"""Generate src/opcodes/v3_8.rs .. v3_14.rs from real interpreters' opcode facts.

Usage:
  python3 tools/gen_opcodes.py --collect          # run every interpreter, then generate
  python3 tools/gen_opcodes.py FACTS.json ...     # generate from saved facts
  python3 tools/gen_opcodes.py --collect --save-facts DIR   # also keep the JSON

--collect runs tools/oracle/opcode_facts.py under each CPython 3.8..3.14:
each found as src/oracle.rs finds it: env PYREWRITE_PYTHONS
(`3.8=/path/python3.8,3.14=pyodide`), `python3.X` on PATH, pyenv's newest
3.X, and for 3.14 pyodide (`node tools/pyodide/run.mjs`, package py314 in
node_modules: `npm ci` first). Any version it cannot run is an error: the
generated tables must all come from a real interpreter.

Stack effects
-------------
dis.stack_effect is sampled for every opcode, jump in (None, True, False)
and every oparg in the facts' sample (0..=300 and a few large values; one
call with oparg=None for codes without an argument). For each opcode and
jump value the generator fits ONE formula from the templates below, in
order, and keeps the first that reproduces every sample exactly:

  T0  c                                 constant (also: every sample raised -> None)
  T1  c + k*f(a)                        one feature
  T2  c + k1*f1(a) + k2*f2(a)           two features
  T3  c + k1*f1(a) + k2*f2(a) + k3*f3(a)

where a is the oparg and each f is one of FEATURES:

  a & 0xff         low byte                   (UNPACK_EX: (a & 0xff) + (a >> 8))
  a                the oparg itself           (BUILD_TUPLE: 1 - a)
  a & 1            bit 0                      (LOAD_GLOBAL 3.11+: 1 + (a & 1))
  (a >> b) & 1     bit b, b = 1..4            (FORMAT_VALUE: -((a >> 2) & 1))
  a >> b           b = 1, 2, 8
  popcount(a & 0xf)  number of flag bits set  (MAKE_FUNCTION 3.8-3.10)
  [a == n]         n = 0..3, as 0/1           (BUILD_SLICE 3.8-3.13: -1 - [a == 3])

Coefficients are solved exactly (rational normal equations) over all
samples and must be integers; a candidate is accepted only if it matches
every sample, so a wrong formula cannot be emitted. If no template fits,
the generator stops with the opcode, jump value and first samples: add a
feature or template here, never a hand-written exception.

The emitted Rust evaluates the formula in i64 and returns None when the
result does not fit in i32 (CPython's C int) or when CPython raised.

Other facts copied verbatim: names and codes (< 256), which take an
argument, has* lists (as ArgKind), jump direction and unit, inline cache
sizes, specialized/instrumented kinds, deoptimization map and the tables
dis uses to render arguments. Consistency checks (each list maps to one
ArgKind, 3.11 jumps carry no caches, ...) stop the generator when violated.
"""

import glob
import itertools
import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FACTS_SCRIPT = os.path.join(ROOT, "tools", "oracle", "opcode_facts.py")
OUT_DIR = os.path.join(ROOT, "src", "opcodes")
VERSIONS = [(3, m) for m in range(8, 15)]


# ---------------------------------------------------------------- features

def _feat(name, fn, rust):
    return {"name": name, "fn": fn, "rust": rust}


FEATURES = (
    # NB: order matters only for readability: the first fitting combination wins.
    [_feat("a & 0xff", lambda a: a & 0xFF, "(a & 0xff)"),
     _feat("a", lambda a: a, "a"),
     _feat("a & 1", lambda a: a & 1, "(a & 1)")]
    + [_feat("(a >> %d) & 1" % b, (lambda b: lambda a: (a >> b) & 1)(b), "((a >> %d) & 1)" % b)
       for b in range(1, 5)]
    + [_feat("a >> %d" % b, (lambda b: lambda a: a >> b)(b), "(a >> %d)" % b) for b in (1, 2, 8)]
    + [_feat("popcount(a & 0xf)", lambda a: bin(a & 0xF).count("1"),
             "i64::from((oparg & 0xf).count_ones())")]
    + [_feat("[a == %d]" % n, (lambda n: lambda a: int(a == n))(n), "i64::from(a == %d)" % n)
       for n in range(4)]
)
MAX_TERMS = 3


def _solve(rows, rhs):
    """Exact least squares: solve (X^T X) w = X^T y; None when singular."""
    n = len(rows[0])
    m = [[Fraction(0)] * (n + 1) for _ in range(n)]
    for r, y in zip(rows, rhs):
        for i in range(n):
            m[i][n] += r[i] * y
            for j in range(n):
                m[i][j] += r[i] * r[j]
    for col in range(n):
        piv = next((i for i in range(col, n) if m[i][col] != 0), None)
        if piv is None:
            return None
        m[col], m[piv] = m[piv], m[col]
        for i in range(n):
            if i != col and m[i][col] != 0:
                f = m[i][col] / m[col][col]
                m[i] = [x - f * y for x, y in zip(m[i], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(sample, values):
    """The first template reproducing every (arg, value); None when none does.

    Returns ("none",) when every call raised, else ("formula", c, [(k, feature)]).
    """
    if all(v is None for v in values):
        return ("none",)
    if any(v is None for v in values):
        return None  # NB: partial failures need a new template (never seen so far)
    if len(set(values)) == 1:
        return ("formula", values[0], [])
    for n in range(1, MAX_TERMS + 1):
        for feats in itertools.combinations(FEATURES, n):
            cols = [[f["fn"](a) for f in feats] for a in sample]
            rows = [[1] + c for c in cols]
            w = _solve(rows, values)
            if w is None or any(x.denominator != 1 for x in w):
                continue
            w = [int(x) for x in w]
            if any(k == 0 for k in w[1:]):
                continue
            if all(w[0] + sum(k * x for k, x in zip(w[1:], c)) == v for c, v in zip(cols, values)):
                return ("formula", w[0], list(zip(w[1:], feats)))
    return None


def rust_formula(f):
    if f[0] == "none":
        return "return None"
    _, c, terms = f
    parts = []
    for k, feat in terms:
        t = feat["rust"] if abs(k) == 1 else "%d * %s" % (abs(k), feat["rust"])
        parts.append(("-" if k < 0 else "+", t))
    if c == 0 and parts:
        sign, t = parts[0]
        out = ("-" if sign == "-" else "") + t
        rest = parts[1:]
    else:
        out = str(c)
        rest = parts
    for sign, t in rest:
        out += " %s %s" % (sign, t)
    if out.startswith("(") and out.endswith(")") and _balanced(out[1:-1]):
        out = out[1:-1]  # NB: rustc warns on a parenthesized match arm
    return out


def _balanced(s):
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def describe_formula(f):
    if f[0] == "none":
        return "raises"
    _, c, terms = f
    return " + ".join([str(c)] + ["%d*(%s)" % (k, feat["name"]) for k, feat in terms])


# ---------------------------------------------------------------- collection

def _env_pythons():
    """PYREWRITE_PYTHONS=3.8=/path,3.14=pyodide[:alias] as {(3, 8): value}."""
    out = {}
    for item in os.environ.get("PYREWRITE_PYTHONS", "").split(","):
        if "=" in item:
            key, val = item.split("=", 1)
            parts = key.strip().split(".")
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                out[(int(parts[0]), int(parts[1]))] = val.strip()
    return out


def _pyodide(alias):
    runner = os.path.join(ROOT, "tools", "pyodide", "run.mjs")
    if os.path.isdir(os.path.join(ROOT, "node_modules", alias)) and shutil.which("node"):
        return ["node", runner], {"PYREWRITE_PYODIDE": alias}
    return None


def _pyenv(major, minor):
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = glob.glob(os.path.join(root, "versions", "%d.%d.*" % (major, minor), "bin", "python3"))

    def micro(path):
        tail = path.split(os.sep)[-3].split(".")[2]
        return int(tail) if tail.isdigit() else -1
    found = [p for p in found if micro(p) >= 0]
    return max(found, key=micro) if found else None


def candidates(major, minor, env):
    """Ways to start CPython major.minor, in src/oracle.rs's order:
    PYREWRITE_PYTHONS, python3.X on PATH, pyenv's newest 3.X, pyodide (3.14+)."""
    val = env.get((major, minor))
    if val and val.startswith("pyodide"):
        c = _pyodide(val.split(":", 1)[1] if ":" in val else "py%d%d" % (major, minor))
        return [c] if c else []
    if val:
        return [([val], {})]
    out = []
    exe = shutil.which("python%d.%d" % (major, minor))
    if exe:
        out.append(([exe, "-s"], {}))
    exe = _pyenv(major, minor)
    if exe:
        out.append(([exe, "-s"], {}))
    if (major, minor) >= (3, 14):
        c = _pyodide("py%d%d" % (major, minor))
        if c:
            out.append(c)
    return out


def collect(save_dir=None):
    """Facts of every version in VERSIONS; exits when one cannot be had."""
    env = _env_pythons()
    facts = []
    missing = []
    for major, minor in VERSIONS:
        got = None
        for argv, extra_env in candidates(major, minor, env):
            p = subprocess.run(argv + [FACTS_SCRIPT, "--compact"], capture_output=True, text=True,
                               env=dict(os.environ, **extra_env))
            if p.returncode != 0:
                print("gen_opcodes: %s failed, trying next: %s"
                      % (" ".join(argv), (p.stderr.strip().splitlines() or [""])[0]), file=sys.stderr)
                continue
            f = json.loads(p.stdout)
            if tuple(f["version"]) != (major, minor):
                print("gen_opcodes: %s is %s, not %d.%d" % (argv, f["version"], major, minor),
                      file=sys.stderr)
                continue
            got = f
            print("gen_opcodes: %d.%d from %s (%s)" % (major, minor, " ".join(argv),
                                                    f["full_version"].split()[0]), file=sys.stderr)
            if save_dir:
                os.makedirs(save_dir, exist_ok=True)
                with open(os.path.join(save_dir, "%d.%d.json" % (major, minor)), "w") as fh:
                    fh.write(p.stdout)
            break
        if got is None:
            missing.append("%d.%d" % (major, minor))
        else:
            facts.append(got)
    if missing:
        sys.exit("gen_opcodes: no working interpreter for " + ", ".join(missing)
                 + " (set PYREWRITE_PYTHONS=3.X=/path/python, install via pyenv,"
                 + " or `npm ci` for pyodide); nothing written")
    return facts


# ---------------------------------------------------------------- tables

LIST_KINDS = [
    ("hasconst", "Const"), ("hasname", "Name"), ("hasjrel", "Jump"), ("hasjabs", "Jump"),
    ("hasjump", "Jump"), ("haslocal", "Local"), ("hasfree", "Free"), ("hascompare", "Compare"),
]
# NB: argument meanings dis special-cases by opcode name (each backed by a list in opcode.py).
NAME_KINDS = {
    "BINARY_OP": "BinaryOp", "CALL_INTRINSIC_1": "Intrinsic1", "CALL_INTRINSIC_2": "Intrinsic2",
    "LOAD_SPECIAL": "SpecialMethod", "LOAD_COMMON_CONSTANT": "CommonConstant",
}


class GenError(Exception):
    pass


def build_ops(f):
    v = "%d.%d" % tuple(f["version"])
    names = {c: n for c, n in f["ops"]}
    deopt = {int(k): b for k, b in f["deopt"].items()}
    has_arg = set(f["has_arg"])
    lists = {k: set(v_) for k, v_ in f["lists"].items()}
    backward = set(f["backward"])
    spec = set(f["specialized"])
    instr = set(f["instrumented"])
    caches = {int(k): n for k, n in f["cache_entries"].items()}
    unit = 1 if tuple(f["version"]) < (3, 10) else 2
    ops = {}
    for code, name in f["ops"]:
        base = deopt.get(code, code)
        kinds = set(k for lst, k in LIST_KINDS if base in lists.get(lst, ()))
        if names.get(base) in NAME_KINDS:
            kinds.add(NAME_KINDS[names[base]])
        if len(kinds) > 1:
            raise GenError("%s: %s has several argument kinds %s" % (v, name, sorted(kinds)))
        if code not in has_arg:
            if kinds:
                raise GenError("%s: %s takes no argument but is %s" % (v, name, kinds))
            arg = "None"
        else:
            arg = kinds.pop() if kinds else "Int"
        jump = None
        if arg == "Jump":
            relative = base in lists.get("hasjrel", ())
            if not relative and base not in lists.get("hasjabs", ()):
                raise GenError("%s: %s in hasjump but neither hasjrel nor hasjabs" % (v, name))
            jump = {"relative": relative, "backward": base in backward, "unit": unit}
            if f["version"] == [3, 11] and caches.get(code, 0):
                # NB: 3.11's dis adds no cache units to jump targets; fine only while none exist.
                raise GenError("3.11: jump %s has inline caches" % name)
        # NB: dis's backward test is by name, so it also names non-jumps
        # (3.12 INSTRUMENTED_JUMP_BACKWARD); only jumps carry the flag here.
        if code in spec and code in instr:
            raise GenError("%s: %s both specialized and instrumented" % (v, name))
        kind = "Specialized" if code in spec else "Instrumented" if code in instr else "Base"
        ops[code] = {"name": name, "has_arg": code in has_arg, "arg": arg, "jump": jump,
                     "cache": caches.get(code, 0), "kind": kind}
    return ops


def fit_effects(f, ops):
    """{code: {"N": formula, "T": formula, "F": formula}}; raises GenError on no fit."""
    sample = f["sample"]
    out = {}
    for code_s, d in f["stack_effect"].items():
        code = int(code_s)
        per = {}
        for j in "NTF":
            vals = d[j]
            if len(vals) == 1:
                if ops[code]["has_arg"]:
                    raise GenError("%d: %s sampled without oparg" % (code, ops[code]["name"]))
                per[j] = ("none",) if vals[0] is None else ("formula", vals[0], [])
                continue
            fm = fit(sample, vals)
            if fm is None:
                raise GenError("%d.%d: no stack-effect template fits %s (jump=%s); samples %s ..."
                               % (f["version"][0], f["version"][1], ops[code]["name"],
                                  {"N": None, "T": True, "F": False}[j],
                                  list(zip(sample, vals))[:12]))
            per[j] = fm
        out[code] = per
    for code_s, vals in f.get("unused_stack_effect", {}).items():
        if any(x is not None for x in vals):
            # NB: the emitted default arm answers None for every unused byte.
            raise GenError("%d.%d: unused byte %s has a stack effect %s"
                           % (f["version"][0], f["version"][1], code_s, vals))
    return out


# ---------------------------------------------------------------- emit

def rs_str(s):
    return json.dumps(s, ensure_ascii=False)


def rs_str_list(xs):
    return "&[" + ", ".join(rs_str(x) for x in xs) + "]"


def emit(f, ops, effects):
    major, minor = f["version"]
    full = f["full_version"].split()[0]
    L = []
    w = L.append
    w("//! CPython %d.%d opcode table: generated by tools/gen_opcodes.py from CPython %s, do not edit."
      % (major, minor, full))
    w("")
    w("use super::{ArgKind, Jump, OpInfo, OpKind, OpTable};")
    w("use crate::version::PyVersion;")
    w("")
    w("/// The opcode table of CPython %d.%d (facts from CPython %s)." % (major, minor, full))
    w("pub static TABLE: OpTable = OpTable {")
    w("    version: PyVersion::new(%d, %d)," % (major, minor))
    w("    ops: &OPS,")
    w("    have_argument: %d," % f["have_argument"])
    w("    extended_arg: %d," % f["extended_arg"])
    w("    cmp_op: %s," % rs_str_list(f["cmp_op"]))
    w("    nb_ops: &[%s]," % ", ".join("(%s, %s)" % (rs_str(a), rs_str(b)) for a, b in f.get("nb_ops", [])))
    w("    intrinsic1: %s," % rs_str_list(f.get("intrinsic1", [])))
    w("    intrinsic2: %s," % rs_str_list(f.get("intrinsic2", [])))
    w("    special_method_names: %s," % rs_str_list(f.get("special_method_names", [])))
    w("    common_constants: %s," % rs_str_list(f.get("common_constants", [])))
    w("    format_value_converters: %s," % rs_str_list(f.get("format_value_converters", [])))
    w("    function_attr_flags: %s," % rs_str_list(f.get("function_attr_flags", [])))
    w("    deopt: &[%s]," % ", ".join("(%d, %d)" % (int(k), b) for k, b in
                                   sorted(f["deopt"].items(), key=lambda kv: int(kv[0]))))
    w("    stack_effect,")
    w("};")
    w("")
    w("static OPS: [Option<OpInfo>; 256] = [")
    for code in range(256):
        o = ops.get(code)
        if o is None:
            w("    None, // %d" % code)
            continue
        j = o["jump"]
        jump = "None" if j is None else "Some(Jump { relative: %s, backward: %s, unit_bytes: %d })" % (
            "true" if j["relative"] else "false", "true" if j["backward"] else "false", j["unit"])
        w("    Some(OpInfo { name: %s, code: %d, has_arg: %s, arg: ArgKind::%s, jump: %s, cache_entries: %d, kind: OpKind::%s }),"
          % (rs_str(o["name"]), code, "true" if o["has_arg"] else "false", o["arg"], jump, o["cache"], o["kind"]))
    w("];")
    w("")
    w("/// `dis.stack_effect(opcode, oparg, jump=jump)` of CPython %d.%d; `None` where it raises" % (major, minor))
    w("/// (unknown or specialized opcode) or the result leaves `i32`. `oparg` is ignored for")
    w("/// opcodes without an argument. Each arm is a formula fitted to and checked against")
    w("/// every sampled oparg by tools/gen_opcodes.py.")
    w("#[allow(clippy::identity_op, clippy::erasing_op)]")
    w("fn stack_effect(opcode: u8, oparg: u32, jump: Option<bool>) -> Option<i32> {")
    uses_a = any(fm[0] == "formula" and fm[2] for per in effects.values() for fm in per.values())
    w("    let a = i64::from(oparg);" if uses_a else "    let _ = oparg;")
    w("    let effect: i64 = match opcode {")
    for code in sorted(effects):
        per = effects[code]
        name = ops[code]["name"]
        rn, rt, rf = (rust_formula(per[j]) for j in "NTF")
        if rn == rt == rf:
            if rn == "return None":
                continue  # NB: falls through to the default arm
            w("        %d => %s, // %s" % (code, rn, name))
        else:
            w("        // %s" % name)
            w("        %d => match jump {" % code)
            w("            None => %s," % rn)
            w("            Some(true) => %s," % rt)
            w("            Some(false) => %s," % rf)
            w("        },")
    w("        _ => return None,")
    w("    };")
    w("    let _ = jump;")
    w("    i32::try_from(effect).ok()")
    w("}")
    return "\n".join(L) + "\n"


def generate(facts_list):
    seen = set()
    for f in facts_list:
        v = tuple(f["version"])
        ops = build_ops(f)
        effects = fit_effects(f, ops)
        text = emit(f, ops, effects)
        path = os.path.join(OUT_DIR, "v%d_%d.rs" % v)
        with open(path, "w") as fh:
            fh.write(text)
        n_formula = sum(1 for per in effects.values() for fm in per.values()
                        if fm[0] == "formula" and fm[2])
        print("%d.%d: %d opcodes (%d specialized, %d instrumented), %d non-constant effect formulas -> %s"
              % (v[0], v[1], len(ops), sum(o["kind"] == "Specialized" for o in ops.values()),
                 sum(o["kind"] == "Instrumented" for o in ops.values()), n_formula,
                 os.path.relpath(path, ROOT)))
        seen.add(v)
    return seen


def main(argv):
    save = None
    if "--save-facts" in argv:
        i = argv.index("--save-facts")
        save = argv[i + 1]
        del argv[i:i + 2]
    if argv == ["--collect"]:
        facts = collect(save)
    elif argv and "--collect" not in argv:
        facts = [json.load(open(p)) for p in argv]
    else:
        sys.exit(__doc__)
    try:
        generate(facts)
    except GenError as e:
        sys.exit("gen_opcodes: " + str(e))


if __name__ == "__main__":
    main(sys.argv[1:])
