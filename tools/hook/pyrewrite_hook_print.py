"""inject-hook hook that prints each entry as `hook: ARG...` on the current sys.stdout.

Used by tests/passes_inject_hook.rs (`hook = "pyrewrite_hook_print:hook"`).
Imports only `sys` (built in), so instrumented modules can import it.
"""

import sys


def hook(*args):
    sys.stdout.write("hook: " + " ".join(str(a) for a in args) + "\n")
