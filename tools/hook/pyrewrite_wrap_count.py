"""wrap hooks that count enter, exit and error events per qualified name.

    enter = "pyrewrite_wrap_count:enter"
    exit = "pyrewrite_wrap_count:exit"
    error = "pyrewrite_wrap_count:error"

At interpreter exit each process writes `$PYREWRITE_HOOK_DIR/wrap-<pid>.tsv`,
one `enter<TAB>exit<TAB>error<TAB>generator<TAB>qualname` line per code
object (`generator` is 1 for generator, coroutine and async generator code,
whose calls may still be suspended at exit). Without that variable nothing
is written.

NB: as pyrewrite_hook_count: instrumented standard-library modules import
this module while the interpreter starts, so the hooks come first and only
built-in modules are imported.
"""

import sys

_counts = {}
# co_flags: generator, coroutine, iterable coroutine, async generator.
_SUSPENDS = 0x20 | 0x80 | 0x100 | 0x200


def enter(qualname):
    try:
        _counts[qualname][0] += 1
    except KeyError:
        flags = sys._getframe(1).f_code.co_flags
        _counts[qualname] = [1, 0, 0, 1 if flags & _SUSPENDS else 0]
    return qualname


def exit(token, value):
    _counts[token][1] += 1


def error(token, exc):
    _counts[token][2] += 1


def _dump():
    import posix

    out_dir = posix.environ.get(b"PYREWRITE_HOOK_DIR")
    if not out_dir or not _counts:
        return
    text = "".join("%d\t%d\t%d\t%d\t%s\n" % (e, x, r, g, q) for q, (e, x, r, g) in sorted(_counts.items()))
    path = out_dir + b"/wrap-%d.tsv" % posix.getpid()
    # NB: binary mode: text mode would look up a codec (encodings is instrumented).
    with open(path, "wb") as f:
        f.write(text.encode("utf-8", "backslashreplace"))


import atexit  # noqa: E402  (built in; after the hooks on purpose)

atexit.register(_dump)
