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
        fields = [tuple(x) for x in f.get("cache_format", {}).get(str(code), [])]
        if fields and sum(n for _, n in fields) != caches.get(code, 0):
            raise GenError("%s: %s cache fields %s do not add up to its %d cache units"
                           % (v, name, fields, caches.get(code, 0)))
        ops[code] = {"name": name, "has_arg": code in has_arg, "arg": arg, "jump": jump,
                     "cache": caches.get(code, 0), "cache_fields": fields, "kind": kind}
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


# ---------------------------------------------------------------- row facts
#
# What an opcode means beyond what `opcode`/`dis` list: each fact is one
# rule here, applied by the opcode's own name (specialized and instrumented
# variants get only what is written for their own name), and checked below
# against what the interpreter shows where it shows it (decoded_args,
# jump_targets, stack_effect). Add a fact: a rule here, a column in the
# emitted row (emit_row), a field in src/opcodes/mod.rs; see docs/opcodes.md.

# NB: control never falls through to the next instruction.
TERMINATORS = {"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD",
               "JUMP_ABSOLUTE", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"}
LOCAL_PAIRS = {"LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST",
               "LOAD_FAST_BORROW_LOAD_FAST_BORROW"}

# Values pushed on the path that does not jump, counting the ones an
# instruction reads and leaves in place (the picture CPython's bytecodes.c
# declares: LIST_APPEND n pops n+1 and pushes n back). Only where known for
# certain; the verifier reads `pushes - net` values deep (verify/reach.rs).
# Each entry: (names, count, first minor it holds for). Order matters: the
# first matching entry wins, like a match.
_POP_K_PUSH_1 = (
    "BINARY_OP BINARY_SUBSCR BINARY_SLICE COMPARE_OP IS_OP CONTAINS_OP UNARY_NEGATIVE UNARY_NOT "
    "UNARY_INVERT UNARY_POSITIVE GET_ITER GET_YIELD_FROM_ITER GET_AWAITABLE GET_AITER BUILD_TUPLE "
    "BUILD_LIST BUILD_SET BUILD_MAP BUILD_STRING BUILD_SLICE BUILD_CONST_KEY_MAP LIST_TO_TUPLE "
    "IMPORT_NAME FORMAT_VALUE CONVERT_VALUE FORMAT_SIMPLE FORMAT_WITH_SPEC MAKE_FUNCTION CALL_FUNCTION "
    "CALL_FUNCTION_KW CALL_METHOD CALL_FUNCTION_EX CALL_INTRINSIC_1 CALL_INTRINSIC_2 MATCH_CLASS TO_BOOL "
    "END_SEND YIELD_VALUE LOAD_BUILD_CLASS LOAD_ASSERTION_ERROR SET_FUNCTION_ATTRIBUTE").split()
_CONTAINERS = "LIST_APPEND SET_ADD MAP_ADD LIST_EXTEND SET_UPDATE DICT_UPDATE DICT_MERGE".split()


def pushes_rule(minor, name):
    """Count of pushes (see above) as a Rust `Count` expression, or None."""
    if name in _POP_K_PUSH_1:
        return "Count::Fixed(1)"
    if name.startswith("BINARY_") or name.startswith("INPLACE_"):
        return "Count::Fixed(1)"
    # NB: 3.11 splits a call's pops between PRECALL (the arguments) and
    # CALL (callable and NULL/self); YIELD_FROM pops the value it sends and
    # reads the receiver under it.
    if name in ("CALL", "CALL_KW") and minor >= 11:
        return "Count::Fixed(1)"
    # NB: these read values their net effect hides (seed 31337 mutants:
    # STORE_FAST_LOAD_FAST on an empty stack): (value -- value2),
    # (val -- wrapped), (orig, excs -- res) 3.11, (sub_iter, last_sent_val,
    # exc_value -- none, value), (subject, keys -- subject, rest) 3.10,
    # (mgr -- exit, res) and (res -- res) before 3.11, (owner -- attr,
    # self_or_null), the 3.14 template builders and 3.8's BUILD_*_UNPACK
    # (... -- obj; seed 2718: BUILD_LIST_UNPACK 2 over one value).
    one = ("STORE_FAST_LOAD_FAST ASYNC_GEN_WRAP PREP_RERAISE_STAR BUILD_INTERPOLATION BUILD_TEMPLATE "
           "BUILD_LIST_UNPACK BUILD_TUPLE_UNPACK BUILD_SET_UNPACK BUILD_MAP_UNPACK").split()
    if name in one or (name == "SETUP_ASYNC_WITH" and minor <= 10):
        return "Count::Fixed(1)"
    if name in ("CLEANUP_THROW", "COPY_DICT_WITHOUT_KEYS", "LOAD_SPECIAL") or (name == "SETUP_WITH" and minor <= 10):
        return "Count::Fixed(2)"
    # NB: 3.8 WITH_CLEANUP_START reads the `finally` state on top, keeps
    # it and pushes a copy of it and the exit function's result.
    if name == "WITH_CLEANUP_START" and minor == 8:
        return "Count::Fixed(3)"
    if name == "YIELD_FROM":
        return "Count::Fixed(1)"
    if name in ("LOAD_METHOD DUP_TOP GET_LEN MATCH_MAPPING MATCH_SEQUENCE IMPORT_FROM GET_ANEXT "
                "FOR_ITER BEFORE_WITH BEFORE_ASYNC_WITH PUSH_EXC_INFO").split():
        return "Count::Fixed(2)"
    if name == "LOAD_ATTR":
        return "Count::OnePlusBit0" if minor >= 12 else "Count::Fixed(1)"
    if name == "LOAD_SUPER_ATTR":
        return "Count::OnePlusBit0"
    if name == "MATCH_KEYS" and minor >= 11:
        return "Count::Fixed(3)"
    # NB: 3.10 MATCH_KEYS (subject, keys -- subject, keys, values, bool).
    if name == "MATCH_KEYS" and minor == 10:
        return "Count::Fixed(4)"
    fixed = {"DUP_TOP_TWO": 4, "ROT_TWO": 2, "ROT_THREE": 3, "ROT_FOUR": 4}
    if name in fixed:
        return "Count::Fixed(%d)" % fixed[name]
    if name in ("ROT_N", "SWAP"):
        return "Count::Arg"
    if name == "COPY":
        return "Count::ArgPlus1"
    if name in _CONTAINERS:
        return "Count::Arg"
    # NB: RERAISE n (3.10+) reads the saved lasti n deep under the exception.
    if name == "RERAISE" and minor >= 10:
        return "Count::Arg"
    if name == "SEND" and minor >= 11:
        return "Count::Fixed(2)"
    # NB: these read values they leave or replace with the same count
    # (bytecodes.c: `(left, right -- left, b)`, `(mod_or_class_dict -- v)`).
    if name in ("CHECK_EXC_MATCH", "CHECK_EG_MATCH"):
        return "Count::Fixed(2)"
    if name in ("LOAD_FROM_DICT_OR_GLOBALS", "LOAD_FROM_DICT_OR_DEREF", "LOAD_CLASSDEREF"):
        return "Count::Fixed(1)"
    # NB: 3.11/3.12 count the value a generator's first resumption pushes
    # from the start (see stackdepth::entry_depth); RETURN_GENERATOR makes it.
    if name == "RETURN_GENERATOR":
        return "Count::Fixed(1)"
    # NB: 3.8 POP_FINALLY 1 keeps the value over the finally state it pops.
    if name == "POP_FINALLY":
        return "Count::Arg"
    # NB: 3.8's BUILD_*_UNPACK_WITH_CALL name the function under their
    # items in the error message (ceval.c PEEK(1 + oparg) / PEEK(2 + oparg)).
    if name == "BUILD_TUPLE_UNPACK_WITH_CALL":
        return "Count::Fixed(2)"
    if name == "BUILD_MAP_UNPACK_WITH_CALL":
        return "Count::Fixed(3)"
    if name == "WITH_EXCEPT_START" and minor >= 9:
        return "Count::Fixed(%d)" % (with_except_start_reads(minor) + 1)
    # NB: an unpack pops its sequence and pushes its items; by net effect
    # alone `UNPACK_EX 1` (+1) would seem to read nothing.
    if name == "UNPACK_SEQUENCE":
        return "Count::Arg"
    if name == "UNPACK_EX":
        return "Count::UnpackEx"
    return None


def with_except_start_reads(minor):
    """How deep WITH_EXCEPT_START reaches for the exit function, leaving all
    in place (ceval.c 3.9/3.10: PEEK(7) over the saved state and the
    exception triple; bytecodes.c 3.11-3.13: exit, lasti, prev exc, val;
    3.14: exit_func, exit_self, lasti, prev exc, val)."""
    return 7 if minor < 11 else 4 if minor < 14 else 5


# 3.8/3.9 only: values pushed on top of those left untouched (LIST_APPEND
# pushes 0 here); what the peephole-fold recognition needs to know when a
# loaded value is consumed (stackdepth/peephole.rs). Default 1.
_FRESH_0 = (
    "POP_TOP STORE_NAME STORE_FAST STORE_GLOBAL STORE_DEREF STORE_ATTR STORE_SUBSCR DELETE_ATTR "
    "DELETE_SUBSCR DELETE_NAME DELETE_FAST DELETE_GLOBAL DELETE_DEREF PRINT_EXPR IMPORT_STAR "
    "RETURN_VALUE POP_JUMP_IF_FALSE POP_JUMP_IF_TRUE JUMP_IF_FALSE_OR_POP JUMP_IF_TRUE_OR_POP "
    "JUMP_IF_NOT_EXC_MATCH RAISE_VARARGS LIST_APPEND SET_ADD MAP_ADD LIST_EXTEND SET_UPDATE DICT_MERGE "
    "DICT_UPDATE POP_EXCEPT END_FINALLY POP_FINALLY RERAISE WITH_CLEANUP_FINISH END_ASYNC_FOR NOP "
    "SETUP_FINALLY POP_BLOCK JUMP_FORWARD JUMP_ABSOLUTE SETUP_ANNOTATIONS CALL_FINALLY "
    "SETUP_ASYNC_WITH").split()


def fresh_pushes_rule(minor, name):
    if minor >= 10:
        return None
    if name in _FRESH_0:
        return "Count::Fixed(0)"
    if name in ("LOAD_METHOD", "DUP_TOP", "ROT_TWO", "FOR_ITER", "SETUP_WITH", "BEFORE_ASYNC_WITH"):
        return "Count::Fixed(2)"
    if name == "ROT_THREE":
        return "Count::Fixed(3)"
    if name in ("ROT_FOUR", "DUP_TOP_TWO"):
        return "Count::Fixed(4)"
    if name == "UNPACK_SEQUENCE":
        return "Count::Arg"
    if name == "UNPACK_EX":
        return "Count::UnpackEx"
    # NB: 3.8 BEGIN_FINALLY pushes six NULLs and WITH_CLEANUP_START grows
    # the stack by two (the check below found the default 1 too small).
    if name == "BEGIN_FINALLY":
        return "Count::Fixed(6)"
    if name == "WITH_CLEANUP_START":
        return "Count::Fixed(2)"
    return "Count::Fixed(1)"


# What the stack holds when an instruction raises and the 3.11+ unwinder
# looks up its handler (src/verify/checks.rs handler_depths). bytecodes.c
# instructions pop their consumed inputs before `goto error`
# (`pop_N_error`); these never raise, and a `throw()` into a generator
# comes in at its YIELD_VALUE with the yielded value's slot still counted
# (the sent value lands there).
_NEVER_RAISES = ("NOP PUSH_EXC_INFO SWAP COPY PUSH_NULL LOAD_CONST LOAD_SMALL_INT POP_TOP END_FOR "
                 "ROT_TWO ROT_THREE ROT_FOUR ROT_N DUP_TOP DUP_TOP_TWO JUMP_FORWARD CACHE").split()


def unwind_rule(minor, name):
    if name in _NEVER_RAISES:
        return "Never"
    if name == "YIELD_VALUE" and minor >= 11:
        return "KeepsAll"
    return "Consumed"


# A tuple constant the compiler loads right before the instruction, which
# reads it without a check (src/verify/consts.rs): 3.12+ BUILD_CONST_KEY_MAP
# only asserts its keys are a tuple of `oparg` items (3.8-3.11 raise
# SystemError); CALL_FUNCTION_KW (3.8-3.10) and CALL_KW (3.13+) take
# `oparg - len(kwnames)` positional arguments, negative with a longer tuple.
def operand_rule(minor, name):
    if name == "BUILD_CONST_KEY_MAP" and minor >= 12:
        return "KeysOfArg"
    if name == "CALL_FUNCTION_KW" or (name == "CALL_KW" and minor >= 13):
        return "KwNamesWithinArg"
    return "None"


# How many exception handlers are around a yield, as the compiler records it
# for `close()` (genobject.c gen_close: with only the generator's own
# StopIteration wrapper around the yield it finishes the generator without
# throwing GeneratorExit in): 3.12 YIELD_VALUE's argument is that count
# (flowgraph.c sets it from the except stack's depth); 3.13+ the RESUME after
# a yield has RESUME_OPARG_DEPTH1_MASK (4) set when it is exactly one.
def handler_depth_rule(minor, name):
    if name == "YIELD_VALUE" and minor == 12:
        return "Arg"
    if name == "RESUME" and minor >= 13:
        return "Depth1Bit"
    return "None"


# Stack value kinds (src/verify/kinds.rs; each rule and the CPython fact
# behind it in docs/verifier.md): (keep, needs, makes) per row, as Rust
# expressions. `keep` counts the values read (pushes - net) that stay as
# they were at the bottom of what the instruction reads; `needs` what the
# values it reads must be; `makes` what it pushes (or how it shuffles).
_KEEP_ARG = set(_CONTAINERS)
_KEEP_1 = "FOR_ITER GET_ANEXT GET_LEN MATCH_MAPPING MATCH_SEQUENCE IMPORT_FROM SEND".split()
# NB: these take or leave the saved exception state, the NULL kwargs slot
# or the NULL of LOAD_FAST_AND_CLEAR (3.12+), which may be NULL.
_NEEDS_ANYTHING = ("POP_EXCEPT END_FINALLY POP_FINALLY CALL_FINALLY BEGIN_FINALLY WITH_CLEANUP_START "
                   "WITH_CLEANUP_FINISH RERAISE END_ASYNC_FOR WITH_EXCEPT_START CLEANUP_THROW "
                   "CALL_FUNCTION_EX STORE_FAST STORE_FAST_STORE_FAST STORE_FAST_LOAD_FAST").split()
_MAKES_ITER = "GET_ITER GET_YIELD_FROM_ITER GET_AWAITABLE GET_ANEXT".split()
_SHUFFLE = {"DUP_TOP": "Copy(Count::Fixed(1))", "COPY": "Copy(Count::Arg)", "DUP_TOP_TWO": "CopyTwo",
            "ROT_TWO": "Swap(Count::Fixed(2))", "SWAP": "Swap(Count::Arg)",
            "ROT_THREE": "Rotate(Count::Fixed(3))", "ROT_FOUR": "Rotate(Count::Fixed(4))", "ROT_N": "Rotate(Count::Arg)"}


# NB: 3.11+ these use the value on top as an exception instance (set it as
# the raised or handled exception, read its traceback) without checking.
_NEEDS_EXCEPTION = "PUSH_EXC_INFO RERAISE WITH_EXCEPT_START POP_EXCEPT END_ASYNC_FOR CLEANUP_THROW".split()
# NB: and these make one (or None, which only a test tells apart).
_MAKES_EXCEPTION = "PUSH_EXC_INFO CHECK_EG_MATCH PREP_RERAISE_STAR".split()


def kinds_rule(minor, name, facts=None):
    facts = facts or {}
    keep = "Count::Fixed(0)"
    if name in _KEEP_ARG or (name == "RERAISE" and minor >= 10):
        keep = "Count::Arg"
    elif name == "BUILD_TUPLE_UNPACK_WITH_CALL":
        keep = "Count::Fixed(1)"
    elif name == "BUILD_MAP_UNPACK_WITH_CALL":
        keep = "Count::Fixed(2)"
    elif name in _KEEP_1 or (name == "CHECK_EXC_MATCH" and minor >= 11):
        keep = "Count::Fixed(1)"
    elif name == "MATCH_KEYS" and minor >= 10:
        keep = "Count::Fixed(2)"
    elif name == "WITH_EXCEPT_START" and minor >= 9:
        keep = "Count::Fixed(%d)" % with_except_start_reads(minor)
    elif name == "WITH_CLEANUP_START" and minor == 8:
        keep = "Count::Fixed(1)"
    needs = "Objects"
    if name in ("WITH_EXCEPT_START", "RERAISE") and minor in (9, 10):
        # NB: ceval.c pops (or peeks) type, value, traceback from the top
        # and restores them unchecked; with anything else WITH_EXCEPT_START
        # calls what lies 7 deep.
        needs = "ExceptionTriple"
    elif name == "POP_EXCEPT" and minor >= 11:
        # NB: it restores exc_info from the value on top, which is
        # PUSH_EXC_INFO's saved previous exception (None when there was
        # none) or an exception: None is fine here, unlike for RERAISE.
        needs = "ExceptionOrPreviousTop"
    elif name in _NEEDS_EXCEPTION and minor >= 11:
        # NB: 3.9/3.10 find the unwinder's exception type on top; with
        # anything else WITH_EXCEPT_START calls what lies 7 deep.
        needs = "ExceptionTop"
    elif name == "CALL_FUNCTION_EX" and minor <= 13:
        # NB: only 3.14 has an always-present, maybe-NULL kwargs slot;
        # before, the function (3.11/3.12: over a NULL; 3.13: under one)
        # are objects (ceval.c calls the function unchecked).
        needs = "Objects" if minor <= 10 else "NullDeepest" if minor <= 12 else "NullSecond"
    elif name == "STORE_DEREF":
        needs = "CellStore"
    elif name == "POP_FINALLY":
        needs = "PreservedTop"
    elif name == "POP_EXCEPT" and minor in (8, 9, 10):
        # NB: ceval.c restores exc_info from the three values it pops.
        needs = "SavedState"
    elif name == "CHECK_EG_MATCH":
        # NB: bytecodes.c hands exc_value to the except* matching with only
        # an assert that it is an exception; a non-exception comes back as
        # `rest`, which PREP_RERAISE_STAR and RERAISE then raise (seed 2718).
        needs = "ExceptionDeepest"
    elif name == "END_FINALLY" and minor == 8:
        # NB: ceval.c tells the entries apart by the top value: NULL (a
        # normal exit), an int (CALL_FINALLY's return address), else the
        # unwinder's exception type, under which it reads the triple; any
        # other object is taken for an exception type.
        needs = "FinallyState"
    elif name in ("SETUP_WITH", "BEFORE_ASYNC_WITH") and minor <= 10:
        # NB: 3.8 WITH_CLEANUP_START and 3.9/3.10 WITH_EXCEPT_START call
        # what they find under the state as __exit__ (seed 16180: a second
        # cleanup after the first took it, on 3.8).
        makes = "ExitBelow"
    elif name == "WITH_CLEANUP_FINISH" and minor == 8:
        # NB: ceval.c takes any second value but None for the exception
        # WITH_CLEANUP_START copied there, and on a true result pops an
        # EXCEPT_HANDLER block and unwinds to it (or aborts on an empty
        # block stack): only that copy may lie under the result.
        needs = "CleanupCopy"
    elif name == "WITH_CLEANUP_START" and minor == 8:
        # NB: ceval.c tells `finally` entries apart by the top value: None
        # (BEGIN_FINALLY's NULL), an exception type (the unwinder's), and
        # finds the exit function under them; over a plain object it reads
        # a triple and an exit function that are not there.
        needs = "FinallyTop"
    elif name in _NEEDS_ANYTHING or name == "RETURN_GENERATOR" or (name == "POP_TOP" and minor >= 14):
        # NB: 3.14's POP_TOP closes its value with PyStackRef_XCLOSE (NULL-safe).
        needs = "Anything"
    elif name in ("FOR_ITER", "SEND", "YIELD_FROM"):
        needs = "IterDeepest"
    elif name == "CALL_METHOD" or (name == "CALL" and minor in (11, 12)):
        needs = "NullDeepest"
    elif name in ("CALL", "CALL_KW") and minor >= 13:
        needs = "NullSecond"
    makes = "Objects"
    if name in _SHUFFLE:
        makes = _SHUFFLE[name]
    elif name in _MAKES_ITER:
        makes = "Iterator"
    elif name in ("PUSH_NULL", "LOAD_FAST_AND_CLEAR"):
        makes = "Null"
    elif name == "LOAD_METHOD":
        makes = "NullBelow"
    elif name == "LOAD_SPECIAL":
        makes = "NullAbove"
    elif name in ("LOAD_GLOBAL", "LOAD_ATTR", "LOAD_SUPER_ATTR") and minor >= (11 if name == "LOAD_GLOBAL" else 12):
        makes = "NullAboveIfBit0" if minor >= 13 else "NullBelowIfBit0"
    elif name in ("LOAD_FAST", "LOAD_FAST_BORROW", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST",
                  "LOAD_FAST_BORROW_LOAD_FAST_BORROW", "STORE_FAST_LOAD_FAST"):
        makes = "Local"
    elif name == "LOAD_CONST":
        makes = "Const"
    elif name in ("LOAD_DEREF", "LOAD_FROM_DICT_OR_DEREF"):
        # NB: a class nested in a class reads `.type_params` through the
        # outer class's namespace first (LOAD_FROM_DICT_OR_DEREF): what
        # the compiler emits, so taken for the cell's tuple.
        makes = "CellContent"
    elif name == "LOAD_CLOSURE":
        makes = "Cell"
    elif name == "BEGIN_FINALLY":
        makes = "FinallyNull"
    elif name == "WITH_CLEANUP_START" and minor == 8:
        makes = "CleanupCopy"
    elif name in ("SETUP_WITH", "BEFORE_ASYNC_WITH") and minor <= 10:
        # NB: 3.8 WITH_CLEANUP_START and 3.9/3.10 WITH_EXCEPT_START call
        # what they find under the state as __exit__ (seed 16180: a second
        # cleanup after the first took it, on 3.8).
        makes = "ExitBelow"
    elif name == "WITH_CLEANUP_FINISH" and minor == 8:
        # NB: when __exit__ swallowed the exception, ceval.c unwinds the
        # EXCEPT_HANDLER block and pushes one NULL for END_FINALLY (seed
        # 27182: END_FINALLY made INPLACE_OR over it, SIGSEGV).
        makes = "FinallyStateLeft"
    elif name == "MAKE_FUNCTION":
        makes = "Function"
    elif name == "SET_FUNCTION_ATTRIBUTE":
        makes = "SameAsTop"
    elif name == "PUSH_EXC_INFO" and minor >= 11:
        # NB: under the exception, the previous exc_info value: None when
        # no exception was being handled, which RERAISE would raise as one
        # (seed 9999 on 3.11: a POP_EXCEPT made RERAISE 0, SIGSEGV).
        makes = "PreviousAndException"
    elif name in _MAKES_EXCEPTION and minor >= 11:
        makes = "Exceptions"
    elif name in ("CALL_INTRINSIC_1", "CALL_INTRINSIC_2"):
        # NB: the intrinsics that turn a StopIteration into a RuntimeError and
        # prepare an except* re-raise return exceptions (intrinsics.c).
        table, want = (("intrinsic1", "INTRINSIC_STOPITERATION_ERROR") if name.endswith("1")
                       else ("intrinsic2", "INTRINSIC_PREP_RERAISE_STAR"))
        if want in facts.get(table) or []:
            makes = "ExceptionIfArg(%d)" % facts[table].index(want)
    return keep, needs, makes


def local_use_rule(minor, name):
    """What an opcode does to its local slots (opcodes::LocalUse)."""
    # NB: 3.12 made LOAD_FAST skip its NULL check (bytecodes.c asserts it),
    # since the compiler proves the local bound (flowgraph.c
    # add_checks_for_loads_of_uninitialized_variables) or emits
    # LOAD_FAST_CHECK; before 3.12 LOAD_FAST raised UnboundLocalError.
    if name in ("LOAD_FAST", "LOAD_FAST_BORROW", "LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"):
        return "Read" if minor >= 12 else "ReadChecked"
    # NB: 3.11+ the cell and free slots are localsplus slots too, bound by
    # MAKE_CELL and COPY_FREE_VARS; the deref ops read the cell pointer
    # there without a NULL check (PyCell_GET on it).
    if minor >= 11 and name in ("LOAD_DEREF", "STORE_DEREF", "DELETE_DEREF", "LOAD_CLOSURE",
                                "LOAD_CLASSDEREF", "LOAD_FROM_DICT_OR_DEREF"):
        return "ReadCell"
    return {"LOAD_FAST_CHECK": "ReadChecked", "STORE_FAST": "Store", "STORE_FAST_STORE_FAST": "Store",
            "STORE_FAST_LOAD_FAST": "StoreThenRead", "DELETE_FAST": "Clear", "LOAD_FAST_AND_CLEAR": "Clear",
            "MAKE_CELL": "Bind", "COPY_FREE_VARS": "BindFree"}.get(name, "None")


def lands_after_rule(minor, name):
    """What a jump skips at its target (OpFacts::lands_after)."""
    # NB: 3.12 FOR_ITER's exhaustion does JUMPBY(oparg + 1) past END_FOR;
    # 3.13 JUMPBY(oparg + 2) past END_FOR and POP_TOP (seen: a POP_TOP
    # there replaced by STORE_NAME never runs); 3.14 skips END_FOR and
    # lands on POP_ITER.
    if name != "FOR_ITER" or minor < 12:
        return "&[]"
    return "&[Opcode::EndFor, Opcode::PopTop]" if minor == 13 else "&[Opcode::EndFor]"


def block_use_rule(minor, name):
    """What an opcode does to the 3.8-3.10 block stack (opcodes::BlockUse)."""
    # NB: ceval.c: SETUP_* call PyFrame_BlockSetup; POP_BLOCK, POP_EXCEPT and
    # END_ASYNC_FOR (on StopAsyncIteration) call PyFrame_BlockPop, which
    # aborts on an empty block stack. 3.8's POP_FINALLY/END_FINALLY pop only
    # when they find an exception, which no static count follows.
    if minor >= 11:
        return "None"
    if name in ("SETUP_FINALLY", "SETUP_WITH", "SETUP_ASYNC_WITH"):
        return "Push"
    if name in ("POP_BLOCK", "POP_EXCEPT", "END_ASYNC_FOR"):
        return "Pop"
    if minor == 8 and name in ("END_FINALLY", "POP_FINALLY"):
        return "PopIfException"
    return "None"


_MAKES_SHAPE = {"Tuple": "BUILD_TUPLE BUILD_TUPLE_UNPACK BUILD_TUPLE_UNPACK_WITH_CALL LIST_TO_TUPLE",
                "List": "BUILD_LIST BUILD_LIST_UNPACK",
                "Dict": "BUILD_MAP BUILD_CONST_KEY_MAP BUILD_MAP_UNPACK BUILD_MAP_UNPACK_WITH_CALL",
                "Function": "MAKE_FUNCTION"}


def intrinsic_need(name):
    """What an intrinsic function needs of its top operand (intrinsics.c)."""
    # NB: each casts or reads it as this type with only a debug assert.
    # INTRINSIC_SUBSCRIPT_GENERIC's tuple comes from the hidden
    # .type_params cell, which the stack-kind walk knows holds one
    # (Makes::CellContent, Needs::CellStore; seed 31415 on 3.12: a str
    # there, SIGSEGV). INTRINSIC_TYPEVAR_WITH_CONSTRAINTS gets a function
    # that evaluates the constraints lazily, not the tuple.
    return {"INTRINSIC_LIST_TO_TUPLE": "Top(Shape::List)",
            "INTRINSIC_SUBSCRIPT_GENERIC": "Top(Shape::Tuple)",
            # NB: intrinsics.c reads items 0-2 with only a debug assert
            # on the size (seed 16180 on 3.13: a one-item tuple, SIGSEGV).
            "INTRINSIC_TYPEALIAS": "Top(Shape::Triple)",
            # NB: _PyExc_PrepReraiseStar reads each item of the list as
            # an exception (or None) without a check (seed 27182 on 3.12:
            # a slice appended, SIGSEGV).
            "INTRINSIC_PREP_RERAISE_STAR": "Top(Shape::ExceptionList)",
            # NB: intrinsics.c casts the function to PyFunctionObject *.
            "INTRINSIC_SET_FUNCTION_TYPE_PARAMS": "Deepest(Shape::Function)"}.get(name, "None")


def shapes_rule(minor, name):
    """Container types made and needed (opcodes::Shapes)."""
    # NB: ceval.c/bytecodes.c cast these operands unchecked: LIST_APPEND
    # and LIST_EXTEND to PyListObject*, MAP_ADD to PyDictObject*,
    # MATCH_KEYS's keys and a function's defaults and closure are read
    # with PyTuple_GET_SIZE/GET_ITEM.
    makes = next((k for k, names in _MAKES_SHAPE.items() if name in names.split()), None)
    needs = "None"
    if name in ("LIST_APPEND", "LIST_EXTEND"):
        needs = "Deepest(Shape::List)"
    elif name == "MAP_ADD":
        needs = "Deepest(Shape::Dict)"
    elif name == "MATCH_KEYS" and minor >= 10:
        needs = "Top(Shape::Tuple)"
    elif name == "LIST_TO_TUPLE":
        needs = "Top(Shape::List)"
    elif name == "MAKE_FUNCTION" and minor <= 12:
        # NB: 3.10+ hand the annotations over as a flat tuple of pairs.
        needs = "FunctionParts { above: %d, pair_annotations: %s }" % (
            1 if minor >= 11 else 2, "true" if minor >= 10 else "false")
    elif name == "MAKE_FUNCTION":
        needs = "Top(Shape::Code)"
    elif name == "SET_FUNCTION_ATTRIBUTE":
        needs = "FunctionAttribute"
    elif name == "PREP_RERAISE_STAR":
        needs = "Top(Shape::ExceptionList)"
    elif name in ("CALL_INTRINSIC_1", "CALL_INTRINSIC_2"):
        needs = "Intrinsic" + name[-1]
    elif name == "MATCH_CLASS":
        # NB: match_class() reads the keyword attribute names with
        # PyTuple_GET_SIZE/GET_ITEM (ceval.c 3.10, bytecodes.c: an assert).
        needs = "Top(Shape::Tuple)"
    if makes is None and needs == "None":
        return "Shapes::NONE"
    return "Shapes { makes: %s, needs: ShapeNeed::%s }" % ("Some(Shape::%s)" % makes if makes else "None", needs)


def kinds_expr(rule):
    keep, needs, makes = rule
    if rule == ("Count::Fixed(0)", "Objects", "Objects"):
        return "StackKinds::PLAIN"
    return "StackKinds { keep: %s, needs: Needs::%s, makes: Makes::%s }" % (keep, needs, makes)


def count_eval(expr, a):
    kind = expr.split("::")[1]
    if kind.startswith("Fixed"):
        return int(kind[6:-1])
    return {"Arg": a, "ArgPlus1": a + 1, "OnePlusBit0": 1 + (a & 1),
            "UnpackEx": (a & 0xFF) + (a >> 8) + 1}[kind]


def jump_use_rule(minor, name):
    """How control uses a jump argument (cfg::flow::JumpUse)."""
    # NB: before 3.11 SETUP_* jumps name the handler the block stack enters.
    if minor < 11 and name.startswith("SETUP_"):
        return "Setup"
    if name == "CALL_FINALLY":
        return "CallFinally"
    # NB: CPython 3.14's calculate_stackdepth skips END_ASYNC_FOR's target.
    if name == "END_ASYNC_FOR":
        return "Reference"
    return "Flow"


def retarget_rule(minor, name, jump, names):
    """The jump of the other direction the assembler switches to when the
    target lies the wrong way (asm::fit_jump), if the version has one."""
    if not jump:
        return None
    if jump["backward"]:
        other = name.replace("BACKWARD", "FORWARD") if "BACKWARD" in name else None
    elif minor >= 11:
        other = name.replace("FORWARD", "BACKWARD") if "FORWARD" in name else None
    else:
        # NB: before 3.11 only JUMP_FORWARD has a way back: the absolute jump.
        other = "JUMP_ABSOLUTE" if name == "JUMP_FORWARD" else None
    return other if other in names and other != name else None


def argrepr_rule(minor, name, arg, jump):
    """How dis renders the argument beyond its ArgKind (dis/args.rs)."""
    if arg == "Const" and minor == 11 and name != "LOAD_CONST":
        return "Blank"  # NB: 3.11's dis only dereferences LOAD_CONST
    if arg == "Jump" and minor < 10 and jump and not jump["relative"]:
        return "Blank"  # NB: 3.8/3.9 dis explains relative jumps only
    if arg == "Name" and name == "LOAD_GLOBAL":
        return "GlobalNull"
    if arg == "Int":
        if name == "FORMAT_VALUE" and minor < 13:
            return "FormatValue"
        if (name == "MAKE_FUNCTION" and minor < 13) or name == "SET_FUNCTION_ATTRIBUTE":
            return "FunctionFlags"
        if name == "CONVERT_VALUE":
            return "ConvertValue"
        if name == "IS_OP" and minor >= 14:
            return "IsNot"
        if name == "CONTAINS_OP" and minor >= 14:
            return "NotIn"
    return "Kind"


def name_shift_rule(minor, name):
    if name == "LOAD_GLOBAL" and minor >= 11:
        return 1
    if name == "LOAD_ATTR" and minor >= 12:
        return 1
    if name == "LOAD_SUPER_ATTR":
        return 2
    return 0


def row_facts(f, ops):
    """{code: facts dict}; checked against the interpreter's own rendering."""
    minor = f["version"][1]
    decoded = f.get("decoded_args", {})
    names = set(o["name"] for o in ops.values())
    out = {}
    for code, o in ops.items():
        name = o["name"]
        shift = name_shift_rule(minor, name) if o["arg"] == "Name" else 0
        pair = o["arg"] == "Local" and name in LOCAL_PAIRS
        rows = decoded.get(name)
        if rows:
            # NB: dis's own rendering decides: argval of arg a is name n(a >> shift).
            if o["arg"] == "Name":
                seen = next((s for s in (0, 1, 2) if all(
                    r[1] is None or r[1] == "n%d" % (r[0] >> s) for r in rows)), None)
                if seen != shift:
                    raise GenError("%d.%d: %s name shift %s by rule, dis says %s" % (3, minor, name, shift, seen))
                odd = next((r for r in rows if r[0] == 1 and r[2]), None)
                if shift and odd and ("NULL|self" in odd[2]) == (name == "LOAD_GLOBAL"):
                    raise GenError("%d.%d: %s renders %r" % (3, minor, name, odd[2]))
            if o["arg"] == "Local":
                is_pair = all(isinstance(r[1], list) and len(r[1]) == 2 for r in rows if r[1] is not None)
                if is_pair != pair:
                    raise GenError("%d.%d: %s local pair by rule %s, dis says %s" % (3, minor, name, pair, is_pair))
        push = pushes_rule(minor, name)
        fresh = fresh_pushes_rule(minor, name)
        # NB: a push count must leave pops = pushes - net >= 0 for every sample.
        effects = f["stack_effect"][str(code)]["F"]
        args = f["sample"] if o["has_arg"] else [0]
        for expr in (push, fresh):
            if expr is None:
                continue
            for a, e in zip(args, effects):
                if e is not None and a < 1 << 16 and count_eval(expr, a) - e < 0:
                    raise GenError("%d.%d: %s pushes %s but stack_effect(%d) = %d"
                                   % (3, minor, name, expr, a, e))
        out[code] = {
            "name_shift": shift,
            "local_pair": pair,
            "terminator": name in TERMINATORS,
            "jump_use": ("Some(JumpUse::%s)" % jump_use_rule(minor, name)) if o["jump"] else "None",
            "argrepr": argrepr_rule(minor, name, o["arg"], o["jump"]),
            "pushes": "Some(%s)" % push if push else "None",
            "fresh_pushes": "Some(%s)" % fresh if fresh else "None",
            "retarget": "Some(Opcode::%s)" % variant(r) if (r := retarget_rule(minor, name, o["jump"], names)) else "None",
            "kinds": kinds_expr(kinds_rule(minor, name, f)),
            "generator_only": name in ("YIELD_VALUE", "YIELD_FROM", "GEN_START", "RETURN_GENERATOR"),
            "locals": local_use_rule(minor, name),
            # NB: 3.12+ FOR_ITER's exhaustion does JUMPBY(oparg + 1) past the END_FOR it targets.
            "lands_after": lands_after_rule(minor, name),
            "block": block_use_rule(minor, name),
            "shapes": shapes_rule(minor, name),
            "unwind": unwind_rule(minor, name),
            "operand": operand_rule(minor, name),
            "handler_depth": handler_depth_rule(minor, name),
            # NB: 3.8-3.10 ceval's END_ASYNC_FOR ends the loop with
            # JUMPBY(oparg), though dis gives it no argument (the compiler writes 0).
            "reads_arg_byte": name == "END_ASYNC_FOR" and minor <= 10 and not o["has_arg"],
        }
        # NB: what stays in place must be among what is read and pushed back.
        keep = kinds_rule(minor, name, f)[0]
        if keep != "Count::Fixed(0)":
            if push is None:
                raise GenError("%d.%d: %s keeps values but has no push count" % (3, minor, name))
            for a in args:
                if a < 1 << 16 and count_eval(keep, a) > count_eval(push, a):
                    raise GenError("%d.%d: %s keeps %s of %s pushes" % (3, minor, name, keep, push))
    return out


def table_facts(f, ops):
    """Per-version columns of OpTable derived from dis's own output."""
    minor = f["version"][1]
    decoded = f.get("decoded_args", {})
    cmp = decoded.get("COMPARE_OP", [])
    shift = next(s for s in (0, 4, 5) if all(
        r[1] is None or r[1] == f["cmp_op"][r[0] >> s] for r in cmp if (r[0] >> s) < len(f["cmp_op"])))
    bool_bit = any(r[2] and r[2].startswith("bool(") for r in cmp)
    glob_rows = decoded.get("LOAD_GLOBAL", [])
    odd = next((r[2] for r in glob_rows if r[0] == 1 and r[2]), "")
    null_after = odd.endswith("+ NULL")
    return {
        "compare_shift": shift,
        "compare_bool_bit": bool_bit,
        "null_after_name": null_after,
        "arg_by_threshold": "hasarg" not in f["lists"],
        "localsplus": minor >= 11,
    }


# ---------------------------------------------------------------- emit

def rs_str(s):
    return json.dumps(s, ensure_ascii=False)


def rs_str_list(xs):
    return "&[" + ", ".join(rs_str(x) for x in xs) + "]"


def variant(name):
    """`LOAD_CONST` -> `LoadConst`: the Opcode variant of a dis name.

    NB: 3.11/3.12 name superinstructions `LOAD_FAST__LOAD_FAST` next to
    3.13's `LOAD_FAST_LOAD_FAST`; the double underscore stays one (`LoadFast_LoadFast`)."""
    return "_".join("".join(p[:1] + p[1:].lower() for p in part.split("_")) for part in name.split("__"))


def emit_enum(names):
    names = sorted(names)
    vs = [variant(n) for n in names]
    if len(set(vs)) != len(vs):
        raise GenError("two opcode names map to one variant")
    L = []
    w = L.append
    w("//! Every opcode name of every supported CPython version: generated by tools/gen_opcodes.py, do not edit.")
    w("")
    w("/// An opcode by meaning, the same in every version; each version's [`super::OpTable`]")
    w("/// maps it to and from that version's byte ([`super::OpTable::code`],")
    w("/// [`super::OpTable::opcode`]). Variants are the `dis` names in CamelCase,")
    w("/// in name order.")
    w("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]")
    w("#[repr(u16)]")
    w("#[allow(missing_docs, non_camel_case_types)]")
    w("pub enum Opcode {")
    for v in vs:
        w("    %s," % v)
    w("}")
    w("")
    w("impl Opcode {")
    w("    /// How many opcodes there are.")
    w("    pub const COUNT: usize = %d;" % len(names))
    w("")
    w("    /// Every opcode, in name order.")
    w("    pub const ALL: [Opcode; Opcode::COUNT] = [")
    for v in vs:
        w("        Opcode::%s," % v)
    w("    ];")
    w("")
    w("    /// The `dis` name (`LOAD_CONST`).")
    w("    pub const fn name(self) -> &'static str {")
    w("        NAMES[self as usize]")
    w("    }")
    w("")
    w("    /// The opcode called `name` in some version (`dis` spelling).")
    w("    pub fn from_name(name: &str) -> Option<Opcode> {")
    w("        NAMES.binary_search(&name).ok().map(|i| Opcode::ALL[i])")
    w("    }")
    w("}")
    w("")
    w("/// `dis` names, sorted (indexed by `Opcode as usize`).")
    w("static NAMES: [&str; Opcode::COUNT] = [")
    for n in names:
        w("    %s," % rs_str(n))
    w("];")
    return "\n".join(L) + "\n"


def rs_bool(b):
    return "true" if b else "false"


def emit(f, ops, effects):
    facts = row_facts(f, ops)
    major, minor = f["version"]
    full = f["full_version"].split()[0]
    L = []
    w = L.append
    w("//! CPython %d.%d opcode table: generated by tools/gen_opcodes.py from CPython %s, do not edit."
      % (major, minor, full))
    w("")
    w("#[allow(unused_imports)]")
    w("use super::{ArgKind, ArgRepr, BlockUse, Count, Jump, JumpUse, LocalUse, Makes, Needs, OpFacts, OpInfo, OpKind, OpTable, Opcode, Shape, ShapeNeed, Shapes, StackKinds, Unwind, ConstOperand, HandlerDepth};")
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
    for which in ("intrinsic1", "intrinsic2"):
        w("    %s_needs: &[%s]," % (which, ", ".join("ShapeNeed::" + intrinsic_need(n) for n in f.get(which, []))))
    w("    special_method_names: %s," % rs_str_list(f.get("special_method_names", [])))
    w("    common_constants: %s," % rs_str_list(f.get("common_constants", [])))
    w("    format_value_converters: %s," % rs_str_list(f.get("format_value_converters", [])))
    w("    function_attr_flags: %s," % rs_str_list(f.get("function_attr_flags", [])))
    w("    deopt: &[%s]," % ", ".join("(%d, %d)" % (int(k), b) for k, b in
                                   sorted(f["deopt"].items(), key=lambda kv: int(kv[0]))))
    w("    stack_effect,")
    tf = table_facts(f, ops)
    w("    codes: &CODES,")
    w("    rows: &ROWS,")
    w("    compare_shift: %d," % tf["compare_shift"])
    w("    compare_bool_bit: %s," % rs_bool(tf["compare_bool_bit"]))
    w("    null_after_name: %s," % rs_bool(tf["null_after_name"]))
    w("    arg_by_threshold: %s," % rs_bool(tf["arg_by_threshold"]))
    w("    localsplus: %s," % rs_bool(tf["localsplus"]))
    w("};")
    w("")
    w("/// The byte of each [`Opcode`] in this version (`None`: not defined here).")
    w("static CODES: [Option<u8>; Opcode::COUNT] = {")
    w("    let mut c = [None; Opcode::COUNT];")
    for code in sorted(ops):
        w("    c[Opcode::%s as usize] = Some(%d);" % (variant(ops[code]["name"]), code))
    w("    c")
    w("};")
    w("")
    w("/// The row of each [`Opcode`] (IR lookups: one load, not two).")
    w("static ROWS: [Option<&OpInfo>; Opcode::COUNT] = super::rows_by_opcode(&OPS, &CODES);")
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
        x = facts[code]
        fields = "&[%s]" % ", ".join("(%s, %d)" % (rs_str(k), n) for k, n in o["cache_fields"])
        w("    Some(OpInfo { op: Opcode::%s, name: %s, code: %d, has_arg: %s, arg: ArgKind::%s, jump: %s, cache_entries: %d, cache_fields: %s, kind: OpKind::%s,"
          % (variant(o["name"]), rs_str(o["name"]), code, "true" if o["has_arg"] else "false", o["arg"], jump, o["cache"], fields, o["kind"]))
        w("        facts: OpFacts { name_shift: %d, local_pair: %s, terminator: %s, jump_use: %s, argrepr: ArgRepr::%s, pushes: %s, fresh_pushes: %s, retarget: %s,"
          % (x["name_shift"], rs_bool(x["local_pair"]), rs_bool(x["terminator"]), x["jump_use"], x["argrepr"], x["pushes"], x["fresh_pushes"], x["retarget"]))
        w("            kinds: %s, generator_only: %s, locals: LocalUse::%s, lands_after: %s, block: BlockUse::%s,"
          % (x["kinds"], rs_bool(x["generator_only"]), x["locals"], x["lands_after"], x["block"]))
        w("            shapes: %s, unwind: Unwind::%s, operand: ConstOperand::%s, handler_depth: HandlerDepth::%s, reads_arg_byte: %s } }),"
          % (x["shapes"], x["unwind"], x["operand"], x["handler_depth"], rs_bool(x["reads_arg_byte"])))
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
    names = set(n for f in facts_list for _, n in f["ops"])
    enum_text = emit_enum(names)
    with open(os.path.join(OUT_DIR, "opcode.rs"), "w") as fh:
        fh.write(enum_text)
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
