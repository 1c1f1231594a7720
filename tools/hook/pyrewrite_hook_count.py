"""inject-hook hook that counts entries per qualified name and writes them at exit.

    hook = "pyrewrite_hook_count:hook"

At interpreter exit each process writes `$PYREWRITE_HOOK_DIR/hook-<pid>.tsv`
(one `count<TAB>qualname` line per code object, most entered first); without
that variable nothing is written. tools/hook/stdlib_regression.sh adds them up.

NB: instrumented standard-library modules import this module from their
first instruction, some of them (encodings, os, site) while the interpreter
starts. So `hook` is defined before anything else and only built-in modules
(sys, atexit, posix) are imported: importing an instrumented module here
would import this half-initialised module again and fail.
"""

import sys

_counts = {}


def hook(qualname):
    try:
        _counts[qualname] += 1
    except KeyError:
        _counts[qualname] = 1


def _dump():
    import posix

    out_dir = posix.environ.get(b"PYREWRITE_HOOK_DIR")
    if not out_dir or not _counts:
        return
    rows = sorted(_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "".join("%d\t%s\n" % (n, q) for q, n in rows)
    path = out_dir + b"/hook-%d.tsv" % posix.getpid()
    # NB: binary mode: text mode would look up a codec (encodings is instrumented).
    with open(path, "wb") as f:
        f.write(text.encode("utf-8", "backslashreplace"))


import atexit  # noqa: E402  (built in; after `hook` on purpose)

atexit.register(_dump)
