//! What Kuma's server did besides storing beats, for a checker that has only the trace
//! (issue #14, item 6): its own starts and stops, each monitor's settings whenever its check
//! chain starts or its row changes, maintenance windows, and every push that reached the push
//! route. Recorded only when asked ([`KumaServer::set_logging`](super::server::KumaServer::set_logging)):
//! the figures never read it.

use super::MonitorIndex;
use super::monitor::MonitorSettings;
use crate::time::Instant;

/// The Kuma process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerChange {
    /// The first start (`server.js`: `startMonitors()`).
    Start,
    /// The process stops: every check chain is gone.
    Stop,
    /// A start after a stop.
    Restart,
}

/// What happened to a monitor's row or check chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorChange {
    /// Its chain starts with the server's start or restart (`startMonitors()`).
    Start,
    /// The user created it (`add`).
    Create,
    /// The user resumed it (`resumeMonitor`).
    Resume,
    /// The user saved new settings (`editMonitor`).
    Edit,
    /// The user paused it (`pauseMonitor`).
    Pause,
    /// The user deleted it (`deleteMonitor`).
    Delete,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    Server {
        at: Instant,
        change: ServerChange,
    },
    /// A monitor's row or chain changed at `at`. `chain_start` is when its chain (re)starts
    /// (later than `at` for the monitors Kuma starts one after the other) and `next_check` when
    /// its first check fires, lateness included; both `None` when no chain runs after the change.
    Monitor {
        at: Instant,
        monitor: MonitorIndex,
        change: MonitorChange,
        active: bool,
        settings: MonitorSettings,
        chain_start: Option<Instant>,
        next_check: Option<Instant>,
    },
    /// A maintenance window covering `monitor` begins (`begins`) or ends.
    Maintenance {
        at: Instant,
        monitor: MonitorIndex,
        begins: bool,
    },
    /// A request reached the push route at `at`: the monitor whose token it names (`None` when
    /// the token is no monitor's), its query as received, and the HTTP status Kuma answered.
    PushReceived {
        at: Instant,
        monitor: Option<MonitorIndex>,
        query: Vec<(String, String)>,
        answer: u16,
    },
}
