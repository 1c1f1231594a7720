"""Runs many .pyc files in this interpreter, each in a forked child with a
time limit, and reports the ones that died of a signal (a crash).

    python3.X tools/oracle/run_forked.py [--timeout S] [--jobs N] FILE.pyc ...

One interpreter start for the whole batch (a process per file costs more
than most mutants take to run). Each child closes stdin, sends its output
to /dev/null, sets an alarm, and executes the module code as __main__.
Prints one line per crash (`crash SIGNAL FILE`) and a summary line:
`ran N: C crashed, T timed out`. Exit status 0 when nothing crashed.
Used by tools/mutants.sh (docs/verifier.md, "Mutants").
"""

import marshal
import os
import signal
import sys


def child(path, timeout):
    fd = os.open(os.devnull, os.O_RDWR)
    for k in (0, 1, 2):
        os.dup2(fd, k)
    signal.alarm(timeout)
    try:
        with open(path, "rb") as f:
            code = marshal.loads(f.read()[16:])
        exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
    except BaseException:
        os._exit(1)
    os._exit(0)


def main(argv):
    timeout, jobs = 4, 2
    while argv and argv[0].startswith("--"):
        opt, val = argv[0], argv[1]
        argv = argv[2:]
        if opt == "--timeout":
            timeout = int(val)
        elif opt == "--jobs":
            jobs = int(val)
        else:
            sys.exit("unknown option " + opt)
    running = {}
    crashed = timed_out = ran = 0
    files = list(argv)

    def reap(block):
        nonlocal crashed, timed_out
        pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        path = running.pop(pid)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig in (signal.SIGALRM, signal.SIGKILL):
                timed_out += 1
            else:
                crashed += 1
                print("crash %s %s" % (signal.Signals(sig).name, path), flush=True)
        return True

    for path in files:
        while len(running) >= jobs:
            reap(True)
        pid = os.fork()
        if pid == 0:
            child(path, timeout)
        running[pid] = path
        ran += 1
    while running:
        reap(True)
    print("ran %d: %d crashed, %d timed out" % (ran, crashed, timed_out))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
