// Run a Python script inside pyodide (CPython compiled to WebAssembly) as if
// it were `python3.14 SCRIPT.py ARGS...` on the host.
//
//   node tools/pyodide/run.mjs SCRIPT.py [ARGS...]
//   node tools/pyodide/run.mjs -c 'CODE' [ARGS...]
//
// Host paths: every top-level host directory is mounted (NODEFS) at the same
// absolute path inside the wasm file system, except those pyodide itself
// needs (/lib holds its standard library, /dev and /proc are its own). The
// whole host root is also mounted at /host; arguments that are absolute
// host paths under one of those reserved directories are rewritten to
// /host/... . The working directory is the host's.
//
// stdout/stderr go to the host's file descriptors 1 and 2 byte for byte;
// stdin is read from descriptor 0. The process exits with the script's exit
// status (SystemExit honoured, 1 after an uncaught exception).
//
// Which pyodide: env PYREWRITE_PYODIDE names the npm alias directory under
// node_modules (default "py314").

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "..", "..");
const alias = process.env.PYREWRITE_PYODIDE || "py314";
const pkgDir = path.join(repoRoot, "node_modules", alias);

// NB: these names exist in pyodide's own file system and must not be hidden.
const RESERVED = new Set(["lib", "dev", "proc", "sys"]);

function usage() {
  process.stderr.write("usage: node tools/pyodide/run.mjs (SCRIPT.py | -c CODE) [ARGS...]\n");
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.length === 0) usage();

/** Maps a host path to the path that reaches it inside the wasm FS. */
function inside(p) {
  const abs = path.resolve(p);
  const top = abs.split("/")[1];
  if (RESERVED.has(top)) return "/host" + abs;
  return abs;
}

/** Rewrites an argument only when it is an absolute path into a reserved dir. */
function mapArg(a) {
  if (a.startsWith("/") && RESERVED.has(a.split("/")[1]) && fs.existsSync(a)) return "/host" + a;
  return a;
}

let mode, target, rest;
if (argv[0] === "-c") {
  if (argv.length < 2) usage();
  mode = "code";
  target = argv[1];
  rest = argv.slice(2).map(mapArg);
} else {
  mode = "file";
  // NB: keep the script path as given (sys.argv[0]) unless it must be rewritten
  target = RESERVED.has(path.resolve(argv[0]).split("/")[1]) ? inside(argv[0]) : argv[0];
  rest = argv.slice(1).map(mapArg);
}

// Environment: the host's, less what would redirect pyodide's own stdlib.
const env = {};
for (const [k, v] of Object.entries(process.env)) {
  if (["PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONUSERBASE", "PYTHONSAFEPATH", "PYTHONEXECUTABLE"].includes(k)) continue;
  env[k] = v;
}

const { loadPyodide } = await import(pathToFileURL(path.join(pkgDir, "pyodide.mjs")).href);

function writer(fd) {
  return {
    write(buf) {
      let off = 0;
      while (off < buf.length) {
        try {
          off += fs.writeSync(fd, buf, off, buf.length - off);
        } catch (e) {
          if (e.code === "EAGAIN") continue;
          throw e;
        }
      }
      return buf.length;
    },
  };
}

const py = await loadPyodide({ env, stdout: () => {}, stderr: (m) => process.stderr.write(m + "\n") });
py.setStdout(writer(1));
py.setStderr(writer(2));
py.setStdin({
  read(buf) {
    try {
      return fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e.code === "EOF") return 0;
      if (e.code === "EAGAIN") return 0;
      throw e;
    }
  },
});

const FS = py.FS;
const NODEFS = FS.filesystems.NODEFS;
FS.mkdirTree("/host");
FS.mount(NODEFS, { root: "/" }, "/host");
for (const name of fs.readdirSync("/")) {
  if (RESERVED.has(name) || name === "host") continue;
  let st;
  try {
    st = fs.lstatSync("/" + name);
  } catch {
    continue;
  }
  if (!st.isDirectory()) continue; // NB: symlinks (bin -> usr/bin) resolve through /usr
  const mp = "/" + name;
  try {
    FS.mkdirTree(mp);
    FS.mount(NODEFS, { root: mp }, mp);
  } catch (e) {
    // an unreadable directory (lost+found) is simply not mounted
  }
}

const runner = `
import sys, os, types, traceback, builtins

def _pyrewrite_run(mode, target, args, cwd):
    try:
        os.chdir(cwd)
    except OSError:
        pass
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    if mode == "file":
        sys.argv = [target] + list(args)
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        main.__file__ = target
        try:
            with open(target, "rb") as f:
                source = f.read()
        except OSError as e:
            print(f"python: can't open file {target!r}: [Errno {e.errno}] {e.strerror}", file=sys.stderr)
            return 2
        filename = target
    else:
        sys.argv = ["-c"] + list(args)
        sys.path[0] = ""
        source = target
        filename = "<string>"
    status = 0
    try:
        code = compile(source, filename, "exec")
        exec(code, main.__dict__)
    except SystemExit as e:
        c = e.code
        if c is None:
            status = 0
        elif isinstance(c, int):
            status = c
        else:
            print(c, file=sys.stderr)
            status = 1
    except BaseException as e:
        tb = e.__traceback__
        # NB: drop this wrapper's own frame so tracebacks look like python's
        if tb is not None and tb.tb_frame.f_code is _pyrewrite_run.__code__:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return status & 0xFF if status >= 0 else (256 + status) & 0xFF
`;

py.runPython(runner);
const run = py.globals.get("_pyrewrite_run");
const cwd = inside(process.cwd());
const status = run(mode, target, py.toPy(rest), cwd);
process.exit(status);
