//! The `pyrewrite` command line; the layout is in `cli`, the user guide in docs/cli.md.

// NB: pyrewrite allocates many small vectors per code object (blocks,
// tables); mimalloc makes the whole-stdlib round trip about 15% faster
// than glibc's malloc (docs/benchmarks.md). CPython has pymalloc for the same reason.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(pyrewrite::cli::main());
}
