//! Error lines on stderr (`pyrewrite: <file>: <what> (at offset 0x..)`), panics turned into errors, stdout that survives a closed pipe.

use crate::{Error, ErrorKind};
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;

/// Prints one error line for `path` (unless the error already names a file).
pub fn error(path: &Path, e: &Error) {
    eprintln!("{}", line(path, e));
}

/// The error text with the `pyrewrite: <file>: ` prefix.
pub fn line(path: &Path, e: &Error) -> String {
    match e.path() {
        Some(_) => format!("pyrewrite: {e}"),
        None => format!("pyrewrite: {}: {e}", path.display()),
    }
}

/// Prints a usage error (no file involved).
pub fn usage(msg: &str) {
    eprintln!("pyrewrite: {msg}");
}

/// Prints a warning: the run goes on, but the result may not be what was meant.
pub fn warning(msg: &str) {
    eprintln!("pyrewrite: warning: {msg}");
}

/// Prints a note: something the run did on its own that the user should know.
pub fn note(msg: &str) {
    eprintln!("pyrewrite: note: {msg}");
}

/// Writes to stdout; a closed pipe (`pyrewrite dis x.pyc | head`) is not an error.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Replaces the default panic message with a record that [`guard`] reports
/// as an ordinary error for the file being processed.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic".to_string()
        };
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
    }));
}

/// Runs `f`; a panic inside becomes an error naming the file.
// NB: a panic is a pyrewrite bug, but one bad file must not take down a
// directory run nor print a backtrace instead of the file name.
pub fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            let msg = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(ErrorKind::Invalid(format!(
                "internal error (please report): {msg}"
            )))
            .in_file(path))
        }
    }
}
