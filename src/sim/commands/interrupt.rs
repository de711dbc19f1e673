//! What an interrupted command leaves behind (issue #17, item 10). Every output is written to a
//! temporary name beside it and renamed when whole ([`super::output`]), so SIGINT or SIGTERM can
//! never leave a half-written report or trace under its real name. On the signal, this module
//! waits for a rename in progress to finish, removes the partial trace, marks the report folder
//! of the scenario that was being simulated as stale (its files, if any, are from an earlier run
//! and stay untouched), says so on stderr, and exits with 128 + the signal's number, as a shell
//! reports a process killed by it.
//!
//! The state is process-wide because a signal is: it holds paths only, never anything that
//! reaches a report.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The file written into a report folder whose scenario was interrupted; a complete write of
/// the folder removes it.
pub const STALE_MARKER: &str = "STALE.txt";

#[derive(Default)]
struct InFlight {
    /// The report folder of the scenario being simulated now.
    report_dir: Option<PathBuf>,
    /// The temporary trace file being written now.
    partial_trace: Option<PathBuf>,
}

static IN_FLIGHT: Mutex<InFlight> = Mutex::new(InFlight { report_dir: None, partial_trace: None });
/// Held while a set of files is renamed into place, so an exit never splits the set.
static WRITING: Mutex<()> = Mutex::new(());

fn in_flight() -> MutexGuard<'static, InFlight> {
    IN_FLIGHT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Hold while renaming a set of finished files into place.
pub fn writing() -> MutexGuard<'static, ()> {
    WRITING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The scenario whose report goes to `dir` is being simulated (None: none is).
pub fn simulating(dir: Option<&Path>) {
    in_flight().report_dir = dir.map(Path::to_path_buf);
}

/// The trace is being written to this temporary file (None: no trace in progress).
pub fn tracing(partial: Option<&Path>) {
    in_flight().partial_trace = partial.map(Path::to_path_buf);
}

/// Handle SIGINT and SIGTERM as described above, from a background thread. Without it (an
/// embedding program), the default actions apply and the temporary files stay behind under
/// names that say they are partial.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let _rename_done = writing();
            let left = in_flight();
            let mut said = vec![format!("interrupted by signal {signal}")];
            if let Some(trace) = &left.partial_trace {
                let _ = std::fs::remove_file(trace);
                said.push(format!("the partial trace {} was removed", trace.display()));
            }
            if let Some(dir) = &left.report_dir {
                if dir.is_dir() {
                    let note = "This folder's report is from an earlier run: the latest run of this scenario was interrupted \
                                before it finished, and wrote nothing here.\n";
                    let _ = std::fs::write(dir.join(STALE_MARKER), note);
                    said.push(format!("{} holds an earlier run's report, marked by {STALE_MARKER}", dir.display()));
                } else {
                    said.push(format!("no report was written to {}", dir.display()));
                }
            }
            eprintln!("{}", said.join("; "));
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}
