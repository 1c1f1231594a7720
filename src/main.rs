//! The `pyrewrite` command line; the layout is in `cli`, the user guide in docs/cli.md.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
