//! One command over every `.pyc` of a tree, in one process: the files are
//! worked on in parallel and handed back in path order, a window at a time,
//! so the output never depends on scheduling and memory stays bounded
//! however large the tree.

use super::fsutil::walk;
use super::report;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

/// The files `path` names: itself, or every `.pyc` below it in path order.
/// A directory that cannot be read is reported and makes this `None`.
pub fn files(path: &Path) -> Option<Vec<PathBuf>> {
    if !path.is_dir() {
        return Some(vec![path.to_path_buf()]);
    }
    let w = walk(path, None);
    for (p, e) in &w.errors {
        report::error(p, e);
    }
    w.errors
        .is_empty()
        .then(|| w.pyc.iter().map(|r| path.join(r)).collect())
}

/// Runs `work` on every file (a path, or a rewrite job naming its input)
/// on `jobs` threads (default: one per CPU) and gives each result to
/// `take` on the calling thread, in the order of `files`. A single file or
/// one job runs on the calling thread alone. Every tree command (`dis`,
/// `info`, `verify` and the rewrite itself) runs through here.
// NB: workers take the next file from a counter but never run more than
// `window` files ahead of the last one handed to `take`, so at most
// `window` results wait in memory (a dis of a whole stdlib is hundreds of
// MB of text) and no worker idles at a barrier behind one large file.
pub fn in_order<F: AsRef<Path> + Sync, T: Send>(
    files: &[F],
    jobs: Option<usize>,
    work: impl Fn(&F) -> T + Sync,
    mut take: impl FnMut(&F, T),
) -> Result<(), String> {
    let threads = match jobs {
        Some(0) | None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        Some(n) => n,
    }
    .min(files.len());
    if threads < 2 {
        for f in files {
            take(f, work(f));
        }
        return Ok(());
    }
    let window = 4 * threads;
    let next = AtomicUsize::new(0);
    let handed = (Mutex::new(0usize), Condvar::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Option<T>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, handed, work, stop) = (&next, &handed, &work, &stop);
            std::thread::Builder::new()
                .spawn_scoped(scope, move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= files.len() {
                        break;
                    }
                    let mut done = handed.0.lock().unwrap_or_else(|e| e.into_inner());
                    while i >= *done + window && !stop.load(Ordering::Relaxed) {
                        done = handed.1.wait(done).unwrap_or_else(|e| e.into_inner());
                    }
                    drop(done);
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // NB: a panic must still hand back its file, or the
                    // files after it would wait for it forever.
                    let r = std::panic::catch_unwind(AssertUnwindSafe(|| work(&files[i]))).ok();
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                })
                .map_err(|e| format!("cannot start worker threads: {e}"))?;
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut k = 0;
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&k) {
                let Some(r) = r else {
                    stop.store(true, Ordering::Relaxed);
                    let _guard = handed.0.lock();
                    handed.1.notify_all();
                    return Err(format!(
                        "{}: internal error (a worker panicked); please report",
                        files[k].as_ref().display()
                    ));
                };
                take(&files[k], r);
                k += 1;
                *handed.0.lock().unwrap_or_else(|e| e.into_inner()) = k;
                handed.1.notify_all();
            }
        }
        Ok(())
    })
}
