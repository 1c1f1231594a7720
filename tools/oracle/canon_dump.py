"""Print a canonical text dump of the marshalled value in each .pyc file.

    python3.X canon_dump.py [--out-dir DIR] FILE.pyc... | @LISTFILE

Without --out-dir: for each file a line `== <path>` then one line with the
dump. With --out-dir DIR: DIR/<path without leading />.canon holds the dump
line. A file that fails to load dumps as `!error <ExcType>: <message>`.
The format is specified in docs/oracles.md; pyrewrite produces the same
text from its own marshal reader, and tests compare the two.
"""

import marshal
import os
import struct
import sys

HEADER = 16 if sys.version_info >= (3, 7) else 12


def code_fields():
    """The code object fields of this version, in dump order."""
    v = sys.version_info[:2]
    f = ["co_argcount"]
    if v >= (3, 8):
        f.append("co_posonlyargcount")
    f += ["co_kwonlyargcount", "co_nlocals", "co_stacksize", "co_flags", "co_code",
          "co_consts", "co_names", "co_varnames", "co_freevars", "co_cellvars",
          "co_filename", "co_name"]
    if v >= (3, 11):
        f.append("co_qualname")
    f.append("co_firstlineno")
    f.append("co_linetable" if v >= (3, 10) else "co_lnotab")
    if v >= (3, 11):
        f.append("co_exceptiontable")
    return f


FIELDS = code_fields()
CODE = type(code_fields.__code__)


def canon(v, out):
    """Appends the canonical text of v to the list of strings out."""
    if v is None:
        out.append("None")
    elif v is True:
        out.append("True")
    elif v is False:
        out.append("False")
    elif v is Ellipsis:
        out.append("Ellipsis")
    elif v is StopIteration:
        out.append("StopIteration")
    elif type(v) is int:
        out.append(str(v))
    elif type(v) is float:
        out.append("float:" + struct.pack(">d", v).hex())
    elif type(v) is complex:
        out.append("complex:%s,%s" % (struct.pack(">d", v.real).hex(), struct.pack(">d", v.imag).hex()))
    elif type(v) is bytes:
        out.append("b:" + v.hex())
    elif type(v) is str:
        out.append("s:" + v.encode("utf-8", "surrogatepass").hex())
    elif type(v) is tuple:
        seq(v, "(", ")", out)
    elif type(v) is list:
        seq(v, "[", "]", out)
    elif type(v) is dict:
        out.append("{")
        for i, (k, x) in enumerate(v.items()):
            if i:
                out.append(",")
            canon(k, out)
            out.append(":")
            canon(x, out)
        out.append("}")
    elif type(v) in (set, frozenset):
        # NB: iteration order depends on the hash seed; sort by canonical text
        items = sorted(text(x) for x in v)
        out.append(("set{" if type(v) is set else "frozenset{") + ",".join(items) + "}")
    elif type(v) is slice:
        out.append("slice(")
        canon(v.start, out)
        out.append(",")
        canon(v.stop, out)
        out.append(",")
        canon(v.step, out)
        out.append(")")
    elif type(v) is CODE:
        out.append("code{")
        for i, name in enumerate(FIELDS):
            if i:
                out.append(";")
            out.append(name + "=")
            canon(getattr(v, name), out)
        out.append("}")
    else:
        raise TypeError("no canonical form for %s" % type(v).__name__)


def seq(items, open_, close, out):
    out.append(open_)
    for i, x in enumerate(items):
        if i:
            out.append(",")
        canon(x, out)
    out.append(close)


def text(v):
    out = []
    canon(v, out)
    return "".join(out)


def dump_file(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return text(marshal.loads(data[HEADER:]))
    except Exception as e:
        return "!error %s: %s" % (type(e).__name__, str(e).replace("\n", " "))


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


def out_path(out_dir, path, ext):
    return os.path.join(out_dir, os.path.abspath(path).lstrip("/") + ext)


def main(argv):
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
    out_dir, paths = expand_args(argv)
    w = sys.stdout.write
    for p in paths:
        d = dump_file(p)
        if out_dir is None:
            w("== %s\n%s\n" % (p, d))
        else:
            dest = out_path(out_dir, p, ".canon")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(d + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
