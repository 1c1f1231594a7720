"""Generate corpus/gen/, compile corpus/ for every interpreter, record expected output.

    python3 tools/compile_corpus.py [--versions 3.12,3.14] [--no-expected] [--generate-only]

For each CPython 3.8..3.14 found (same search order as src/oracle.rs:
PYREWRITE_PYTHONS, python3.X on PATH, pyenv, pyodide for 3.14):
  corpus/pyc/3.X/<rel>.pyc               unchecked-hash .pyc of corpus/<rel>.py
  corpus/pyc/3.X/_headers/<mode>/<rel>.pyc   a few files in timestamp and
                                         checked-hash mode
  corpus/expected/<rel>.3.X.out          stdout of running corpus/<rel>.py
Files under a pyXY directory are only compiled/run on 3.XY and later.
The corpus/gen/*.py files are written by this script (deterministically).
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "corpus")
ORACLE = os.path.join(ROOT, "tools", "oracle")
MINORS = range(8, 15)
HEADER_FILES = ["closures.py", "generators.py"]
SKIP_DIRS = {"pyc", "expected"}


# ---------------------------------------------------------------- generation

def gen_many_consts():
    # NB: separate statements; a display of constants would fold into one tuple
    lines = ["# >256 constants in one code object: LOAD_CONST needs EXTENDED_ARG.", "acc = []"]
    lines += ["acc.append('c%03d')" % i for i in range(300)]
    lines += ["", "", "def in_function():", "    total = 0.0"]
    lines += ["    total += %d.25" % i for i in range(300)]
    lines += ["    return total", "", "", "print(len(set(acc)), acc[-1], in_function())", ""]
    return "\n".join(lines)


def gen_many_names():
    lines = ["# >256 global names and attribute names: LOAD_NAME/LOAD_GLOBAL/LOAD_ATTR need EXTENDED_ARG."]
    lines += ["g%03d = %d" % (i, i) for i in range(300)]
    lines += ["", "", "class Obj:", "    pass", "", "", "o = Obj()"]
    lines += ["o.a%03d = g%03d" % (i, i) for i in range(300)]
    lines += ["", "", "def read_globals():", "    return " + " + ".join("g%03d" % i for i in range(300))]
    lines += ["", "", "def read_attrs(x):", "    return " + " + ".join("x.a%03d" % i for i in range(0, 300, 7))]
    lines += ["", "", "print(read_globals(), read_attrs(o), g299, o.a299)", ""]
    return "\n".join(lines)


def gen_many_locals():
    lines = ["# >256 local variables: LOAD_FAST/STORE_FAST need EXTENDED_ARG.", "", "", "def many():"]
    lines += ["    v%03d = %d" % (i, i * 3) for i in range(300)]
    lines += ["    return " + " + ".join("v%03d" % i for i in range(0, 300, 3)) + ", v299, v256"]
    lines += ["", "", "print(many(), many.__code__.co_nlocals)", ""]
    return "\n".join(lines)


def big_body(n, indent):
    pad = " " * indent
    return "".join("%st(a, b, c, d, e, a, b, c)\n" % pad for _ in range(n))


PRELUDE = (
    "calls = [0]\n\n\ndef t(*args):\n    calls[0] += 1\n\n\n"
    "a, b, c, d, e = 1, 2, 3, 4, 5\n"
)


def gen_jump_one():
    return (
        "# Jumps over ~200 statements: jump arguments need one EXTENDED_ARG.\n" + PRELUDE +
        "i = 0\nwhile i < 3:\n    i += 1\n    if i == 2:\n" + big_body(200, 8) +
        "    else:\n        calls[0] -= 1\nprint('calls', calls[0])\n"
    )


def gen_jump_two():
    # NB: 6500 calls are > 65535 code units on every version (8+ units each)
    return (
        "# Jumps over 6500 statements: jump arguments need two EXTENDED_ARGs.\n" + PRELUDE +
        "i = 0\nwhile i < 2:\n    i += 1\n    if i > 0:\n" + big_body(6500, 8) +
        "print('calls', calls[0])\n"
    )


def gen_line_numbers():
    return (
        "# Line numbers above 65535 (and a 70000-line gap).\n"
        "x = 1\n" + "\n" * 70000 +
        "y = x + 1\n"
        "def f():\n    return y\n" + "\n" * 500 +
        "print('line', f(), __import__('sys')._getframe().f_lineno)\n"
    )


GENERATED = {
    "gen/many_consts.py": gen_many_consts,
    "gen/many_names.py": gen_many_names,
    "gen/many_locals.py": gen_many_locals,
    "gen/jump_extended_arg_1.py": gen_jump_one,
    "gen/jump_extended_arg_2.py": gen_jump_two,
    "gen/line_numbers_big.py": gen_line_numbers,
}


def generate():
    for rel, fn in GENERATED.items():
        dest = os.path.join(CORPUS, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        text = fn()
        old = open(dest, encoding="utf-8").read() if os.path.exists(dest) else None
        if old != text:
            with open(dest, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            print("wrote corpus/" + rel)


# ---------------------------------------------------------------- discovery

def ask_version(argv):
    try:
        out = subprocess.run(argv + ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    lines = out.stdout.decode().split()
    return lines[-1] if lines else None


def pyodide_argv(alias):
    node = os.environ.get("PYREWRITE_NODE") or shutil.which("node")
    if node and os.path.exists(os.path.join(ROOT, "node_modules", alias, "pyodide.mjs")):
        os.environ["PYREWRITE_PYODIDE"] = alias
        return [node, os.path.join(ROOT, "tools", "pyodide", "run.mjs")]
    return None


def candidates(minor):
    name = "3.%d" % minor
    for item in os.environ.get("PYREWRITE_PYTHONS", "").split(","):
        if "=" in item:
            v, what = item.split("=", 1)
            if v.strip() == name:
                what = what.strip()
                if what == "pyodide" or what.startswith("pyodide:"):
                    argv = pyodide_argv(what.split(":", 1)[1] if ":" in what else "py3%d" % minor)
                    if argv:
                        yield argv
                else:
                    yield [what]
    exe = shutil.which("python" + name)
    if exe:
        yield [exe]
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = []
    for d in glob.glob(os.path.join(pyenv, "versions", name + ".*")):
        m = re.match(r"^\d+$", os.path.basename(d)[len(name) + 1:])
        exe = os.path.join(d, "bin", "python" + name)
        if m and os.access(exe, os.X_OK):
            found.append((int(m.group(0)), exe))
    for _, exe in sorted(found, reverse=True):
        yield [exe]
    if minor >= 14:
        argv = pyodide_argv("py3%d" % minor)
        if argv:
            yield argv


def find(minor):
    for argv in candidates(minor):
        full = ask_version(argv)
        if full and full.startswith("3.%d." % minor):
            return argv, full
    return None


# ---------------------------------------------------------------- compiling

def applicable(rel, minor):
    for part in rel.split("/")[:-1]:
        m = re.match(r"^py3(\d+)$", part)
        if m and int(m.group(1)) > minor:
            return False
    return True


def sources():
    out = []
    for d, dirs, files in os.walk(CORPUS):
        if d == CORPUS:
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".py"):
                out.append(os.path.relpath(os.path.join(d, f), CORPUS).replace(os.sep, "/"))
    return out


def run(argv, args):
    t = time.time()
    r = subprocess.run(argv + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr.decode("utf-8", "replace").strip()
    if r.returncode != 0:
        raise SystemExit("failed (%d): %s\n%s" % (r.returncode, " ".join(args[:3]), err))
    return err, time.time() - t


def compile_version(minor, argv, full, expected):
    v = "3.%d" % minor
    out = os.path.join(CORPUS, "pyc", v)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    t0 = time.time()
    # NB: the corpus dir also holds pyc/ and expected/; they contain no .py files
    msg, _ = run(argv, [os.path.join(ORACLE, "compile_tree.py"), CORPUS, out, "--mode", "unchecked-hash"])
    print("  " + msg.splitlines()[-1])
    for mode in ("timestamp", "checked-hash"):
        run(argv, [os.path.join(ORACLE, "compile_tree.py"), CORPUS, os.path.join(out, "_headers", mode),
                   "--mode", mode, "--only", ",".join(HEADER_FILES)])
    if expected:
        files = [os.path.join(CORPUS, r) for r in sources() if applicable(r, minor)]
        for old in glob.glob(os.path.join(CORPUS, "expected", "**", "*.%s.out" % v), recursive=True):
            os.remove(old)
        listing = os.path.join(out, ".run-list")
        with open(listing, "w", encoding="utf-8") as f:
            f.write("\n".join(files) + "\n")
        msg, _ = run(argv, [os.path.join(ORACLE, "run_many.py"), "--root", CORPUS,
                            "--out-dir", os.path.join(CORPUS, "expected"), "--suffix", ".%s.out" % v,
                            "@" + listing])
        os.remove(listing)
        print("  " + msg.replace("\n", "\n  "))
    n = len(glob.glob(os.path.join(out, "**", "*.pyc"), recursive=True))
    print("  %s: %d .pyc files in corpus/pyc/%s, %.1f s" % (full, n, v, time.time() - t0))


def main(argv):
    # NB: frozensets of strings are marshalled in hash order; fix the seed
    os.environ.setdefault("PYTHONHASHSEED", "0")
    versions = None
    expected = "--no-expected" not in argv
    if "--versions" in argv:
        versions = {int(x.split(".")[1]) for x in argv[argv.index("--versions") + 1].split(",")}
    generate()
    if "--generate-only" in argv:
        return 0
    for minor in MINORS:
        if versions is not None and minor not in versions:
            continue
        found = find(minor)
        if found is None:
            print("3.%d: no interpreter found" % minor)
            continue
        argv_, full = found
        print("3.%d: %s" % (minor, " ".join(argv_)))
        compile_version(minor, argv_, full, expected)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
