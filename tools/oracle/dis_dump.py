"""Print what dis.dis prints for the module code of each .pyc file.

    python3.X dis_dump.py [--out-dir DIR] FILE.pyc... | @LISTFILE

Without --out-dir: for each file a line `== <path>` then dis.dis's output.
With --out-dir DIR: DIR/<path without leading />.dis holds the output.
Memory addresses (` at 0x7f3a...`) become ` at 0x?`. A file that fails to
load prints `!error <ExcType>: <message>` instead.
"""

import dis
import io
import marshal
import os
import re
import sys

HEADER = 16 if sys.version_info >= (3, 7) else 12
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def dis_file(path):
    try:
        with open(path, "rb") as f:
            code = marshal.loads(f.read()[HEADER:])
        buf = io.StringIO()
        dis.dis(code, file=buf)
        return ADDRESS.sub(" at 0x?", buf.getvalue())
    except Exception as e:
        return "!error %s: %s\n" % (type(e).__name__, str(e).replace("\n", " "))


def expand_args(args):
    """Arguments, with @FILE replaced by the paths listed in FILE (one a line)."""
    out_dir, paths, i = None, [], 0
    while i < len(args):
        a = args[i]
        if a == "--out-dir":
            out_dir = args[i + 1]
            i += 1
        elif a.startswith("@"):
            with open(a[1:], encoding="utf-8") as f:
                paths.extend(line.rstrip("\n") for line in f if line.strip())
        else:
            paths.append(a)
        i += 1
    return out_dir, paths


def main(argv):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    out_dir, paths = expand_args(argv)
    for p in paths:
        text = dis_file(p)
        if out_dir is None:
            sys.stdout.write("== %s\n%s" % (p, text))
        else:
            dest = os.path.join(out_dir, os.path.abspath(p).lstrip("/") + ".dis")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
