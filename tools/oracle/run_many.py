"""Run many .py or .pyc files in one interpreter start, capturing each one's stdout.

    python3.X run_many.py --root ROOT --out-dir DIR --suffix SUF FILE...|@LISTFILE

Each FILE (under ROOT) runs in a fresh `__main__` module, as `python FILE`
would run it, with sys.stdout captured (UTF-8, backslashreplace). Its output
goes to DIR/<path relative to ROOT, .pyc read as .py><SUF>, e.g. SUF
`.3.12.out` turns `py311/x.pyc` into `DIR/py311/x.py.3.12.out`. An uncaught
exception or a non-zero SystemExit appends one line `!exit <status> <Type>`
to the output and is listed on stderr. One process for many files matters
under pyodide, where each start costs seconds.
"""

import builtins
import gc
import io
import marshal
import os
import sys
import types
import warnings

HEADER = 16 if sys.version_info >= (3, 7) else 12


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".pyc"):
        return marshal.loads(data[HEADER:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NB: compile-time SyntaxWarnings are not program output
        return compile(data, path, "exec", dont_inherit=True)


def run_one(path):
    """Runs one file; returns (stdout text, status line or None)."""
    buf = io.BytesIO()
    out = io.TextIOWrapper(buf, encoding="utf-8", errors="backslashreplace", newline="\n", write_through=True)
    saved = sys.stdout, sys.argv, sys.modules.get("__main__"), list(sys.path)
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    main.__file__ = path
    sys.modules["__main__"] = main
    sys.argv = [path]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    sys.stdout = out
    status = None
    # NB: files share one process; garbage an earlier file left in cycles
    # (e.g. unfinished async generators) must not be finalized while this
    # file runs, or its finalizers show up in this file's profile/trace.
    gc.collect()
    try:
        exec(load(path), main.__dict__)
    except SystemExit as e:
        if e.code not in (None, 0):
            status = "!exit %s SystemExit" % (e.code,)
    except BaseException as e:
        status = "!exit 1 %s" % type(e).__name__
    finally:
        try:
            out.flush()
        except Exception:
            pass
        sys.stdout, sys.argv = saved[0], saved[1]
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
        sys.path[:] = saved[3]
    text = buf.getvalue().decode("utf-8")
    return text, status


def main(argv):
    root = out_dir = None
    suffix = ".out"
    paths = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--root", "--out-dir", "--suffix"):
            val = argv[i + 1]
            i += 1
            if a == "--root":
                root = val
            elif a == "--out-dir":
                out_dir = val
            else:
                suffix = val
        elif a.startswith("@"):
            with open(a[1:], encoding="utf-8") as f:
                paths.extend(line.rstrip("\n") for line in f if line.strip())
        else:
            paths.append(a)
        i += 1
    if out_dir is None or root is None:
        raise SystemExit(__doc__)
    failures = 0
    for p in paths:
        text, status = run_one(p)
        if status is not None:
            failures += 1
            text += status + "\n"
            print("%s: %s" % (p, status), file=sys.stderr)
        rel = os.path.relpath(p, root)
        if rel.endswith(".pyc"):
            rel = rel[:-1]
        dest = os.path.join(out_dir, rel + suffix)
        os.makedirs(os.path.dirname(dest) or ".", exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("run_many %d.%d: ran %d files, %d failed" % (sys.version_info[0], sys.version_info[1], len(paths), failures),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
