"""Dump what CPython itself says about the line, location and exception
tables of every code object in some .pyc files, one JSON object per line.

    python3.X tools/oracle/positions_dump.py FILE.pyc [FILE.pyc ...]
    python3.X tools/oracle/positions_dump.py --tree DIR   (every .pyc below DIR)
    python3.X tools/oracle/positions_dump.py --compile-stdlib OUTDIR [--limit N]
        compile this interpreter's own standard library (the first N .py
        files in sorted order, all by default) to .pyc files under OUTDIR
        with py_compile, then dump those .pyc files
    python3.X tools/oracle/positions_dump.py --compile OUTDIR FILE.py [...]
        the same for the given source files

Each line holds: file, qualified path of the code object inside the module,
co_firstlineno, len(co_code), the raw tables as hex (lnotab on 3.8-3.9,
linetable on 3.10+, exctable on 3.11+), and the interpreter's own views:
list(co_lines()) (3.10+), list(dis.findlinestarts()), list(co_positions())
(3.11+) and dis._parse_exception_table() (3.11+). Runs unchanged on 3.8..3.14
(3.14 through tools/pyodide/run.mjs).
"""
import dis
import json
import marshal
import os
import sys

V = sys.version_info[:2]


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    # NB: the header is 16 bytes on every version this tool targets (3.7+).
    return marshal.loads(data[16:])


def walk(code, prefix):
    name = prefix + code.co_name
    yield name, code
    for k in code.co_consts:
        if isinstance(k, type(code)):
            yield from walk(k, name + ".")


def none_or(x):
    return None if x is None else x


def record(path, qual, co):
    out = {
        "file": path,
        "code": qual,
        "firstlineno": co.co_firstlineno,
        "code_len": len(co.co_code),
    }
    if V >= (3, 10):
        out["linetable"] = co.co_linetable.hex()
        out["co_lines"] = [[s, e, l] for (s, e, l) in co.co_lines()]
    else:
        out["lnotab"] = co.co_lnotab.hex()
    out["linestarts"] = [[o, l] for (o, l) in dis.findlinestarts(co)]
    if V >= (3, 11):
        out["positions"] = [list(p) for p in co.co_positions()]
        out["exctable"] = co.co_exceptiontable.hex()
        out["exc"] = [
            [e.start, e.end, e.target, e.depth, bool(e.lasti)]
            for e in dis._parse_exception_table(co)
        ]
    return out


def stdlib_sources():
    import sysconfig
    import zipfile

    root = sysconfig.get_paths()["stdlib"]
    found = False
    if os.path.isdir(root):
        for d, dirs, names in os.walk(root):
            # NB: sorting in place makes the top-down walk deterministic
            dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "__pycache__"))
            for n in sorted(names):
                if n.endswith(".py"):
                    found = True
                    p = os.path.join(d, n)
                    with open(p, "rb") as f:
                        yield os.path.relpath(p, root), f.read()
    if found:
        return
    # NB: pyodide keeps the standard library in a zip on sys.path.
    for entry in sys.path:
        if entry.endswith(".zip") and os.path.isfile(entry):
            with zipfile.ZipFile(entry) as z:
                for n in sorted(z.namelist()):
                    if n.endswith(".py"):
                        yield n, z.read(n)
            return


def compile_stdlib(outdir, limit):
    return compile_sources(outdir, limit, stdlib_sources())


def compile_sources(outdir, limit, sources):
    import importlib.util

    done = []
    for rel, src in sources:
        if limit is not None and len(done) >= limit:
            break
        try:
            code = compile(src, rel, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue  # NB: test data with deliberate syntax errors
        out = os.path.join(outdir, rel + "c")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "wb") as f:
            f.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code))
        done.append(out)
    return done


def files(args):
    it = iter(args)
    for a in it:
        if a == "--compile-stdlib":
            outdir = next(it)
            limit = None
            rest = list(it)
            if rest[:1] == ["--limit"]:
                limit = int(rest[1])
            yield from compile_stdlib(outdir, limit)
            return
        if a == "--compile":
            outdir = next(it)
            srcs = []
            for p in it:
                with open(p, "rb") as f:
                    srcs.append((os.path.basename(p), f.read()))
            yield from compile_sources(outdir, None, srcs)
            return
        if a == "--tree":
            root = next(it)
            for d, _, names in sorted(os.walk(root)):
                for n in sorted(names):
                    if n.endswith(".pyc"):
                        yield os.path.join(d, n)
        else:
            yield a


def main(args):
    w = sys.stdout.write
    for path in files(args):
        try:
            top = load(path)
        except Exception as e:  # NB: report, do not stop the whole dump
            w(json.dumps({"file": path, "error": repr(e)}) + "\n")
            continue
        for qual, co in walk(top, ""):
            w(json.dumps(record(path, qual, co)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
