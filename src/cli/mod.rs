//! Command-line layout (clap) and dispatch; see docs/cli.md for the user's view.

mod cfgdot;
mod commands;
mod disdiff;
mod fsutil;
pub mod passes;
mod report;
mod rewrite;
mod tree;
mod verifycmd;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Exit code: success (diff: files identical).
pub const EXIT_OK: i32 = 0;
/// Exit code: some input failed (diff: files differ).
pub const EXIT_FAILED: i32 = 1;
/// Exit code: usage error (diff: any error).
pub const EXIT_USAGE: i32 = 2;

const AFTER_HELP: &str = "\
Rewrite mode (no subcommand):
  pyrewrite IN OUT               rewrite one .pyc, or mirror a directory tree
  pyrewrite --check IN           read and re-encode, write nothing
  pyrewrite --in-place IN        replace the input files

  pyrewrite --pass NAME --param KEY=VALUE IN OUT   apply a pass (`pyrewrite passes`)
  pyrewrite --config PIPELINE.toml IN OUT          apply a pipeline (docs/config.md)

Without a pass the output equals the input byte for byte. Exit codes: 0 ok, 1 some files failed, 2 usage error
(diff: 0 identical, 1 different, 2 error). See docs/cli.md.";

#[derive(Parser, Debug)]
#[command(
    name = "pyrewrite",
    version,
    about = "Read, inspect and rewrite CPython 3.8-3.14 .pyc files",
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    rewrite: rewrite::RewriteArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the header and every code object of a .pyc (or of every .pyc of a tree)
    Info(InfoArgs),
    /// Disassemble a .pyc as that version's `dis.dis` prints it (--ir: the lifted IR)
    Dis(DisArgs),
    /// Compare two .pyc files: a unified diff of their disassembly, then attribute by attribute (exit 0 same, 1 different, 2 error)
    Diff(DiffArgs),
    /// Draw control-flow graphs as Graphviz DOT or SVG (with --pass: before and after)
    Cfg(CfgArgs),
    /// Run the verifier on every code object of a .pyc or a tree, printing each problem with its location (exit 1 if any)
    Verify(VerifyArgs),
    /// List the available rewrite passes
    Passes,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `pyrewrite man > pyrewrite.1`
    Man,
}

#[derive(Args, Debug)]
struct CfgArgs {
    /// The .pyc file
    file: PathBuf,
    /// Only code objects whose qualified name matches GLOB (`*` any text, `?` one character)
    #[arg(long, value_name = "GLOB", default_value = "*")]
    qualname: String,
    /// `dot` (Graphviz source) or `svg` (rendered by graphviz's `dot`, which must be installed)
    #[arg(long, value_enum, default_value_t = CfgFormat::Dot)]
    format: CfgFormat,
    /// Also apply pass NAME and draw before and after side by side; repeatable
    #[arg(long = "pass", value_name = "NAME")]
    passes: Vec<String>,
    /// Parameter of the --pass pass (as in the rewrite mode)
    #[arg(long = "param", visible_alias = "set", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// TOML pipeline whose passes run before the --pass ones (before/after)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Show at most N instructions per block, eliding the middle (0: all; graphviz fails on huge nodes)
    #[arg(long, value_name = "N", default_value_t = 60)]
    max_lines: usize,
}

/// Output format of `pyrewrite cfg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CfgFormat {
    /// Graphviz source.
    Dot,
    /// SVG drawn by graphviz's `dot`.
    Svg,
}

#[derive(Args, Debug)]
struct InfoArgs {
    /// The .pyc file, or a directory (every .pyc below it, in path order)
    path: PathBuf,
    /// Print JSON instead of text (a directory: an array, one object per file)
    #[arg(long)]
    json: bool,
    /// Worker threads for a directory (default: one per CPU); the output is in path order
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
struct DisArgs {
    /// The .pyc file, or a directory (every .pyc below it, in path order)
    path: PathBuf,
    /// Print JSON instead of text (a directory: an array, one object per file)
    #[arg(long)]
    json: bool,
    /// Print the lifted IR (labelled blocks) of every code object instead
    #[arg(long, conflicts_with = "json")]
    ir: bool,
    /// Only code objects whose qualified name matches GLOB (`*` any text, `?` one character), without their nested ones
    #[arg(long, value_name = "GLOB")]
    qualname: Option<String>,
    /// A CACHE line per inline cache unit, as `python -m dis -C` (3.11+; named fields from 3.12)
    #[arg(short = 'C', long, conflicts_with_all = ["json", "ir"])]
    show_caches: bool,
    /// An offset column in the 3.13+ label layout, as `python -m dis -O` (older versions always show offsets)
    #[arg(short = 'O', long, conflicts_with_all = ["json", "ir"])]
    show_offsets: bool,
    /// LINE:COL-ENDLINE:ENDCOL instead of line numbers, as 3.14's `python -m dis -P` (3.13+ files)
    #[arg(short = 'P', long, conflicts_with_all = ["json", "ir"])]
    show_positions: bool,
    /// Worker threads for a directory (default: one per CPU); the output is in path order
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// The .pyc file, or a directory (every .pyc below it)
    path: PathBuf,
    /// Print the problems as a JSON array
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary line
    #[arg(short, long)]
    quiet: bool,
    /// Worker threads for a directory (default: one per CPU); the output is in path order
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// First .pyc file
    a: PathBuf,
    /// Second .pyc file
    b: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Also print attributes that match, with their values
    #[arg(long)]
    all: bool,
    /// Compare code objects only: header differences (mtime, flags) do not count
    #[arg(long)]
    ignore_header: bool,
}

/// Parses the process's command line, runs it, and returns the exit code.
pub fn main() -> i32 {
    main_from(std::env::args_os())
}

/// Runs the command line `args` (program name first) and returns the exit
/// code; `python -m pyrewrite` calls this with its own argv.
pub fn main_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    report::install_panic_hook();
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // NB: clap prints help/version to stdout (exit 0) and usage
            // errors to stderr (exit 2), which is our convention too.
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match cli.command {
        Some(Command::Info(a)) => commands::info(&a.path, a.json, a.jobs),
        Some(Command::Dis(a)) => commands::dis(
            &a.path,
            commands::DisOptions {
                json: a.json,
                ir: a.ir,
                qualname: a.qualname.as_deref(),
                show: crate::dis::Options {
                    show_caches: a.show_caches,
                    show_offsets: a.show_offsets,
                    show_positions: a.show_positions,
                },
                jobs: a.jobs,
            },
        ),
        Some(Command::Diff(a)) => commands::diff(&a.a, &a.b, a.json, a.all, a.ignore_header),
        Some(Command::Cfg(a)) => commands::cfg(
            &a.file,
            &a.qualname,
            a.format,
            a.max_lines,
            (a.config.as_deref(), &a.passes, &a.params),
        ),
        Some(Command::Verify(a)) => verifycmd::verify(&a.path, a.json, a.quiet, a.jobs),
        Some(Command::Passes) => commands::passes(),
        Some(Command::Completions { shell }) => {
            // NB: clap_complete/clap_mangen derive both from the same clap
            // definitions, so they cannot drift from the parser.
            let mut out = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "pyrewrite",
                &mut out,
            );
            report::emit(&String::from_utf8_lossy(&out));
            EXIT_OK
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out) {
                Ok(()) => {
                    report::emit(&String::from_utf8_lossy(&out));
                    EXIT_OK
                }
                Err(e) => {
                    report::usage(&format!("man page: {e}"));
                    EXIT_FAILED
                }
            }
        }
        None => rewrite::run(cli.rewrite),
    }
}
