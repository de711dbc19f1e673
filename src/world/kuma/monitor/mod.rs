//! Sans-IO model of an **Uptime Kuma 2.x push monitor** (SPEC 3.2, 3.3), driven in virtual time;
//! [`KumaVersion::V1_23`] opts into Kuma 1.23.x's behaviour (the differences are listed, in one
//! place, in [`version`]).
//!
//! The model owns no clock and never sleeps: the harness tells it what happens and when
//! ([`PushMonitor::handle_push`], [`PushMonitor::handle_timeout`], [`PushMonitor::handle_start`], ...),
//! asks when it next needs to run ([`PushMonitor::poll_timeout`]) and drains what it recorded
//! ([`PushMonitor::poll_event`]). All instants are integer milliseconds.
//!
//! # Files
//!
//! - [`machine`]: the push monitor's state machine ([`PushMonitor`]): life cycle, the check chain
//!   and its one timer, the `determineStatus` retries of a push.
//! - [`push`]: the push route's parsing (`status` / `msg` / `ping` query → what the monitor is
//!   told) and the replies to an unknown token.
//! - [`version`]: [`KumaVersion`], the table of what Kuma 1.23 does differently.
//! - [`importance`]: the "important beat" and notification rules.
//! - [`parse_float`]: JavaScript's `parseFloat` on a `ping`, without floating point.
//! - [`settings`]: the monitor row ([`MonitorSettings`]) and the deadline it implies.
//! - [`beat`]: statuses, heartbeat rows and the events the monitor emits.
//!
//! # What is modelled, and from where
//!
//! Kuma keeps no push-monitor state in memory that matters: every decision re-reads the latest
//! row of the `heartbeat` table (its `time`, `status`, `retries`, `downCount`). The model keeps
//! exactly that row ([`PushMonitor::status`] shows its status), plus the one timer of the check
//! chain, the `active` flag of the `monitor` row and whether a maintenance window is on.
//!
//! Sources (Uptime Kuma 2.x, `louislam/uptime-kuma`):
//! - `server/model/monitor.js`, `Monitor#start()`: the `beat()` closure (push branch,
//!   retry logic, `isImportantBeat`, notification and `downCount`), the timer that re-arms
//!   `beat()` (`intervalRemainingMs`), and the "Delay Push Type" first timer.
//! - `server/model/monitor.js`: `static isImportantBeat`, `static isImportantForNotification`,
//!   `static sendNotification`.
//! - `server/routers/api-router.js`: `router.all("/api/push/:pushToken")` and
//!   `function determineStatus`.
//! - `src/util.ts`: `flipStatus` (UP <-> DOWN, every other status unchanged).
//! - `server/server.js`, `editMonitor`: `if (await Monitor.isActive(...)) restartMonitor(...)`.
//! - Node.js `setTimeout`: never fires early; a delay below 1 or above 2 147 483 647 ms is
//!   replaced by 1 ms. Lateness is our model choice (`timer_lateness_ms`, SPEC 3.3).
//!
//! # Not modelled
//!
//! - The time a check takes (DB queries): a check stores its row at the instant it fires and
//!   its next timer counts from there (`Math.max(1, beatInterval * 1000 - elapsed)`, elapsed 0).
//! - The 300–1000 ms random stagger between monitors at server start (`server.js`,
//!   `startMonitors`): the harness picks the instant it calls [`PushMonitor::handle_server_restart`].
//! - The "ghost" first timer: `start()` does not keep the handle of its delayed first
//!   `setTimeout`, so `stop()` within the first interval cannot cancel it, and the push
//!   branch re-arms without checking `isStop`. Pause/edit during the first interval can leave
//!   a second chain running in Kuma until its first failure; the model has one chain only.
//! - For [`KumaVersion::V1_23`]: the check's duration (1.23 re-arms `beatInterval * 1000` after
//!   the stored beat without subtracting it, so in Kuma the DOWN chain also drifts by the DB time
//!   of each check; here only `timer_lateness_ms` accumulates), and the HTTP method (1.23 routes
//!   only `GET`, 2.x `router.all`).
//!
//! # Ordering
//!
//! Events come out of [`PushMonitor::poll_event`] in the order they were produced; for one
//! heartbeat, the `Beat` comes first and its `Notification` (if any) right after, at the same
//! instant. Nothing here iterates a hash map.

pub mod beat;
pub mod importance;
pub mod lateness;
pub mod machine;
pub mod parse_float;
pub mod push;
pub mod settings;
pub mod version;

#[cfg(test)]
mod tests;

pub use beat::{BeatSource, MSG_MAINTENANCE, MSG_NO_HEARTBEAT, MonitorEvent, NotificationKind, Status};
pub use importance::{is_important_beat, is_important_for_notification};
pub use lateness::{KUMA_2_5_3_MEASURED, TimerLateness};
pub use machine::{NODE_TIMEOUT_MAX_MS, PushMonitor};
pub use parse_float::MAX_PING_MS;
pub use push::{MSG_DEFAULT_PUSH, MSG_INVALID_PING, MSG_NOT_FOUND, PushReply, unknown_token_reply, unknown_token_reply_for};
pub use settings::{BUFFER_TIME_MS, MonitorSettings, SilenceToDown};
pub use version::KumaVersion;
