"""Import-hook benchmark: import a large set of standard-library modules
with pyrewrite's hook installed (inject-hook on every one of them) against
plain imports, side by side on the running interpreter.

    VENV/bin/python tools/bench/python_import.py [--iters N]

Each run is a fresh interpreter that times, in process, the import of the
modules below (interpreter start-up excluded). CPython's own cache files
and the hook's go to a temporary PYTHONPYCACHEPREFIX, warmed by one plain
run first, so every plain run loads CPython's cached bytecode. Three kinds
of run, interleaved N times (default 5), medians reported:
  plain   no hook
  cold    hook installed, its cache emptied first: each module's code is
          read from CPython's cache, rewritten, verified, assembled, and
          written to the hook's cache
  warm    hook installed, its cache filled: each module is read from it
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile

MODULES = """argparse ast asyncio base64 bisect calendar configparser contextlib copy csv
dataclasses datetime decimal difflib doctest email.message email.parser filecmp fnmatch fractions
ftplib getopt gettext glob gzip hashlib heapq hmac html.parser http.client http.server imaplib
inspect ipaddress json logging logging.handlers lzma mailbox mimetypes multiprocessing netrc
numbers optparse pathlib pdb pickle pkgutil platform plistlib poplib pprint pstats pydoc queue
quopri random reprlib sched selectors shlex shutil smtplib socketserver statistics string
subprocess tarfile tempfile textwrap threading timeit traceback tracemalloc typing unittest
urllib.request uuid wave webbrowser xml.dom.minidom xml.etree.ElementTree xmlrpc.client zipfile""".split()

CHILD = r"""
import os, sys, tempfile, time
os.environ["PYREWRITE_COUNTS"] = os.path.join(tempfile.gettempdir(), "pyrewrite-bench-counts.json")
hooked = sys.argv[1] == "hook"
import pyrewrite  # NB: in both runs, so what it imports is loaded in both
if hooked:
    inst = pyrewrite.install([("inject-hook", {"hook": "pyrewrite.hooks:count"})], include=["*"])
t0 = time.perf_counter()
for m in sys.argv[2:]:
    __import__(m)
t = time.perf_counter() - t0
n = (len(inst.rewritten), len(inst.cached)) if hooked else (0, 0)
print(t, n[0], n[1])
"""


def run(kind, prefix):
    env = dict(os.environ, PYTHONPYCACHEPREFIX=prefix)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out = subprocess.run([sys.executable, "-c", CHILD, kind] + MODULES, env=env, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def main(argv):
    iters = int(argv[argv.index("--iters") + 1]) if "--iters" in argv else 5
    prefix = tempfile.mkdtemp(prefix="pyrewrite-bench-")
    try:
        run("plain", prefix)  # warms CPython's own cache in the prefix
        times = {"plain": [], "cold": [], "warm": []}
        counts = {}
        for _ in range(iters):
            times["plain"].append(run("plain", prefix)[0])
            for d, _, files in os.walk(prefix):
                for f in files:
                    if ".pyrewrite-" in f:
                        os.unlink(os.path.join(d, f))
            t, rewritten, cached = run("hook", prefix)
            times["cold"].append(t)
            counts["cold"] = (rewritten, cached)
            t, rewritten, cached = run("hook", prefix)
            times["warm"].append(t)
            counts["warm"] = (rewritten, cached)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("CPython %s, %d modules imported, median of %d interleaved runs" % (sys.version.split()[0], len(MODULES), iters))
    print("| run | modules rewritten / from the hook's cache | import time (ms) | vs plain |")
    print("|---|---|---|---|")
    print("| plain | - | %.1f | 1.00x |" % (med["plain"] * 1e3))
    for k in ("cold", "warm"):
        print("| hook, %s cache | %d / %d | %.1f | %.2fx |" % (k, counts[k][0], counts[k][1], med[k] * 1e3, med[k] / med["plain"]))


if __name__ == "__main__":
    main(sys.argv[1:])
