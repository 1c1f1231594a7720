"""Compile a tree of .py files to .pyc with the running interpreter (any CPython 3.6+).

    python3.X compile_tree.py SRC_DIR OUT_DIR [--mode M] [--dfile rel|abs]
    python3.X compile_tree.py --stdlib OUT_DIR [--mode M] [--dfile rel|abs]

SRC_DIR/a/b.py becomes OUT_DIR/a/b.pyc (legacy layout, no __pycache__).
--mode is unchecked-hash (default: the bytes depend only on the source),
timestamp or checked-hash; 3.6 knows only timestamp (its default).
--only A,B limits SRC_DIR to those relative paths.
--dfile rel (default for SRC_DIR) stores the path relative to SRC_DIR as
co_filename so the output is the same on every machine; abs stores the real
path (default for --stdlib, as an installed standard library has).

--stdlib compiles the interpreter's own pure-Python standard library (the
directory of os.py, with Lib/test, without site-packages), also when it is a
zip file (pyodide's /lib/python314.zip).

A path component named pyXY (py311, py312...) marks files that need CPython
3.XY or later; they are left out (counted as "not applicable") on older ones.
Files this version cannot compile are skipped and counted on stderr.
"""

import importlib._bootstrap_external as _be
import importlib.util
import os
import re
import sys
import warnings
import zipfile

MODES = ("unchecked-hash", "timestamp", "checked-hash")


def pyc_bytes(source, code, mode, mtime, size):
    """The bytes py_compile would write for this code object and mode."""
    if mode == "timestamp":
        if hasattr(_be, "_code_to_timestamp_pyc"):
            return _be._code_to_timestamp_pyc(code, mtime, size)
        return _be._code_to_bytecode(code, mtime, size)  # 3.6
    if not hasattr(_be, "_code_to_hash_pyc"):
        raise SystemExit("hash-based .pyc files need CPython 3.7+")
    return _be._code_to_hash_pyc(code, importlib.util.source_hash(source), mode == "checked-hash")


MIN_VERSION_DIR = re.compile(r"^py3(\d+)$")


def applicable(rel):
    """False when a pyXY path component asks for a newer version than this one."""
    for part in rel.replace(os.sep, "/").split("/")[:-1]:
        m = MIN_VERSION_DIR.match(part)
        if m and int(m.group(1)) > sys.version_info[1]:
            return False
    return True


def walk_dir(root):
    """(relpath, realpath, reader) for every .py file under root, sorted."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("__pycache__", "site-packages"))
        for f in sorted(files):
            if f.endswith(".py"):
                p = os.path.join(d, f)
                out.append((os.path.relpath(p, root), p))
    return out


def stdlib_sources():
    """(relpath, path, zipfile-or-None) for the standard library sources."""
    lib = os.path.dirname(os.__file__)
    if os.path.isdir(lib):
        return lib, [(rel, p, None) for rel, p in walk_dir(lib)]
    # NB: pyodide keeps the stdlib in a zip on sys.path (os.__file__ is inside it)
    zf = zipfile.ZipFile(lib)
    names = sorted(
        n for n in zf.namelist()
        if n.endswith(".py") and "site-packages/" not in n and "__pycache__/" not in n
    )
    return lib, [(n, lib + "/" + n, zf) for n in names]


def main(argv):
    args = list(argv)
    # NB: 3.6 has no hash-based .pyc files; timestamp is its only mode
    mode = "unchecked-hash" if sys.version_info >= (3, 7) else "timestamp"
    dfile = None
    stdlib = False
    verbose = False
    only = None
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--mode":
            mode = args[i + 1]
            i += 1
        elif a == "--dfile":
            dfile = args[i + 1]
            i += 1
        elif a == "--stdlib":
            stdlib = True
        elif a == "--only":
            only = set(args[i + 1].split(","))
            i += 1
        elif a in ("-v", "--verbose"):
            verbose = True
        else:
            pos.append(a)
        i += 1
    if mode not in MODES or dfile not in (None, "rel", "abs"):
        raise SystemExit(__doc__)
    if stdlib:
        if len(pos) != 1:
            raise SystemExit(__doc__)
        out_dir = pos[0]
        src_root, sources = stdlib_sources()
        dfile = dfile or "abs"
    else:
        if len(pos) != 2:
            raise SystemExit(__doc__)
        src_root, out_dir = pos
        sources = [(rel, p, None) for rel, p in walk_dir(src_root)]
        dfile = dfile or "rel"

    warnings.simplefilter("ignore")  # NB: SyntaxWarnings of test files are noise here
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    compiled = skipped = not_applicable = 0
    for rel, path, zf in sources:
        if only is not None and rel.replace(os.sep, "/") not in only:
            continue
        if not applicable(rel):
            not_applicable += 1
            continue
        try:
            if zf is not None:
                info = zf.getinfo(rel)
                source = zf.read(rel)
                mtime = int(__import__("time").mktime(info.date_time + (0, 0, -1)))
            else:
                with open(path, "rb") as f:
                    source = f.read()
                mtime = int(os.stat(path).st_mtime)
            name = rel.replace(os.sep, "/") if dfile == "rel" else path
            code = compile(source, name, "exec", dont_inherit=True)
            data = pyc_bytes(source, code, mode, mtime & 0xFFFFFFFF, len(source) & 0xFFFFFFFF)
        except Exception as e:  # SyntaxError, ValueError (NUL bytes), RecursionError, ...
            skipped += 1
            if verbose:
                print("skip %s: %s: %s" % (rel, type(e).__name__, e), file=sys.stderr)
            continue
        dest = os.path.join(out_dir, rel[:-3] + ".pyc")
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        with open(dest, "wb") as f:
            f.write(data)
        compiled += 1
    v = "%d.%d.%d" % sys.version_info[:3]
    print(
        "compile_tree %s (%s): compiled %d, skipped %d, not applicable %d, from %s"
        % (v, mode, compiled, skipped, not_applicable, src_root),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
