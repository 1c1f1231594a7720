//! The `pyrewrite` command line.
fn main() {
    eprintln!("pyrewrite: under construction");
    std::process::exit(2);
}
