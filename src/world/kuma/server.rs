//! The Kuma server as the ERP sees it: push monitors by token behind `GET /api/push/<token>`
//! (public source: Kuma 2.x `server/routers/api-router.js`), answering 200 `{"ok":true}` or
//! 404 `{"ok":false,"msg":...}`. Stamps every push with its own (virtual) time.
//!
//! Sans-IO, in the same verb vocabulary as its monitors (quinn-proto / str0m style): inputs come
//! in through `handle_*` (and pushes through the [`Service`] impl), time through
//! [`poll_timeout`](KumaServer::poll_timeout) / [`handle_timeout`](KumaServer::handle_timeout),
//! outputs go out through [`poll_event`](KumaServer::poll_event).

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::monitor::{KumaVersion, MonitorEvent, MonitorSettings, PushMonitor, PushReply, unknown_token_reply_for};
use super::server_log::{MonitorChange, ServerChange, ServerEvent};
use crate::logic::uniform;
use crate::net::{Request, Response, Service};
use crate::time::{Duration, Instant};

/// The pause Kuma takes after starting each monitor, in ms, both bounds included (Kuma 2.5.3
/// `server/server.js`, `startMonitors()`: `await monitor.start(io); ... await
/// sleep(getRandomInt(300, 1000));` — "so all monitors won't make request at the same moment";
/// `src/util.ts`, `getRandomInt`: `Math.floor(Math.random() * (max - min + 1) + min)`).
pub const START_GAP_MS: (i64, i64) = (300, 1_000);

pub use super::MonitorIndex;

/// A push monitor and the token its pushes name (the `monitor.push_token` column).
#[derive(Clone, Debug)]
pub struct TokenMonitor {
    pub push_token: String,
    pub monitor: PushMonitor,
}

/// Something a monitor recorded, with the monitor it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KumaEvent {
    pub monitor: MonitorIndex,
    pub event: MonitorEvent,
}

pub struct KumaServer {
    /// In the scenario's order (a [`MonitorIndex`] is a position here); looked up by token.
    monitors: Vec<TokenMonitor>,
    up: bool,
    /// The push route differs between versions (1.23 has no ping check).
    version: KumaVersion,
    /// Monitors paused in Kuma (`monitor.active = 0`), by index: [`handle_start`](Self::handle_start) leaves
    /// them inactive, as Kuma's `startMonitors()` starts only `active = 1` rows.
    paused: Vec<bool>,
    /// Draws the pauses between monitor starts ([`START_GAP_MS`]).
    start_gaps: ChaCha8Rng,
    /// Monitors not in Kuma's table: not created yet, or deleted (`DELETE FROM monitor`). Their
    /// token is unknown and nothing starts them.
    absent: Vec<bool>,
    /// Whether [`poll_log`](Self::poll_log) is fed (the trace is on).
    logging: bool,
    log: VecDeque<ServerEvent>,
}

impl KumaServer {
    /// A server that has not started: [`is_up`](Self::is_up) is false and no monitor has a timer
    /// until [`handle_start`](Self::handle_start). `start_gaps` is the server's own random
    /// stream for the pauses between monitor starts.
    pub fn new(monitors: Vec<TokenMonitor>, version: KumaVersion, start_gaps: ChaCha8Rng) -> Self {
        let paused = vec![false; monitors.len()];
        let absent = vec![false; monitors.len()];
        KumaServer { monitors, up: false, version, paused, start_gaps, absent, logging: false, log: VecDeque::new() }
    }

    /// Record what the server does for [`poll_log`](Self::poll_log) (off by default: nothing
    /// is recorded), and have each monitor report its silent checks too when
    /// `silent_checks` ([`MonitorEvent::SilentCheck`]).
    ///
    /// Does not change `poll_timeout`.
    pub fn set_logging(&mut self, on: bool, silent_checks: bool) {
        self.logging = on;
        for m in &mut self.monitors {
            m.monitor.set_report_silent_checks(on && silent_checks);
        }
    }

    /// The next thing the server did, in order ([`ServerEvent`]); always `None` unless
    /// [`set_logging`](Self::set_logging) turned the log on. An action's entry comes before
    /// the beats it caused.
    ///
    /// Does not change `poll_timeout`.
    pub fn poll_log(&mut self) -> Option<ServerEvent> {
        self.log.pop_front()
    }

    fn note_server(&mut self, at: Instant, change: ServerChange) {
        if self.logging {
            self.log.push_back(ServerEvent::Server { at, change });
        }
    }

    /// Logs monitor `i`'s row and chain just after `change` at `at`; its chain started at
    /// `chain_start` if it runs.
    fn note_monitor(&mut self, at: Instant, i: usize, change: MonitorChange, chain_start: Instant) {
        if self.logging {
            let m = &self.monitors[i].monitor;
            let next_check = m.poll_timeout();
            self.log.push_back(ServerEvent::Monitor {
                at,
                monitor: MonitorIndex(i),
                change,
                active: m.is_active() && !self.absent[i],
                settings: m.settings().clone(),
                chain_start: next_check.map(|_| chain_start),
                next_check,
            });
        }
    }

    /// Marks the monitor at `index` paused (`active = 0`) or not, before the server starts: a
    /// paused monitor stays inactive, so its pushes get 404 ("Monitor not found or not active.",
    /// `api-router.js`: `push_token = ? AND active = 1`) and it never checks or notifies.
    ///
    /// Does not change `poll_timeout` (call it before [`handle_start`](Self::handle_start)).
    pub fn set_paused(&mut self, index: MonitorIndex, paused: bool) {
        if let Some(p) = self.paused.get_mut(index.0) {
            *p = paused;
        }
    }

    /// The server starts at `now`: every monitor not paused becomes active, one after the
    /// other in index order with a pause of [`START_GAP_MS`] after each, and each check chain
    /// starts a full interval after its own start ([`PushMonitor::handle_start`]); paused
    /// monitors stay inactive, as Kuma's `startMonitors()` starts only `active = 1` rows. Pushes
    /// are taken from `now` on (the push route reads the database, not the chain).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_start(&mut self, now: Instant) {
        self.up = true;
        self.note_server(now, ServerChange::Start);
        let mut at = now;
        for i in 0..self.monitors.len() {
            if !self.paused[i] && !self.absent[i] {
                self.monitors[i].monitor.handle_start(at);
                self.note_monitor(now, i, MonitorChange::Start, at);
                at += self.start_gap();
            }
        }
    }

    /// The pause after one monitor's start (`getRandomInt(300, 1000)`).
    fn start_gap(&mut self) -> Duration {
        Duration::from_ms(uniform::between(&mut self.start_gaps, START_GAP_MS.0, START_GAP_MS.1))
    }

    /// The server stops at `now`: every check chain is gone and pushes are refused until
    /// [`handle_restart`](Self::handle_restart) ([`PushMonitor::handle_server_stop`]).
    ///
    /// Changes `poll_timeout` (to `None`).
    pub fn handle_stop(&mut self, now: Instant) {
        self.up = false;
        self.note_server(now, ServerChange::Stop);
        for m in &mut self.monitors {
            m.monitor.handle_server_stop(now);
        }
    }

    /// The server starts again at `now`: the active monitors start one after the other as in
    /// [`handle_start`](Self::handle_start), each chain a full interval after its own start;
    /// paused ones stay paused ([`PushMonitor::handle_server_restart`]).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_restart(&mut self, now: Instant) {
        self.up = true;
        self.note_server(now, ServerChange::Restart);
        let mut at = now;
        for i in 0..self.monitors.len() {
            let active = self.monitors[i].monitor.is_active();
            self.monitors[i].monitor.handle_server_restart(at);
            if active {
                self.note_monitor(now, i, MonitorChange::Start, at);
                at += self.start_gap();
            }
        }
    }

    /// The user pauses `monitor` in Kuma's UI (`server.js` `pauseMonitor`: `UPDATE monitor SET
    /// active = 0`, `monitor.stop()`): its pending check is cancelled, its pushes get 404 and a
    /// restart leaves it paused. Nothing is stored. The UI is Kuma's own server: while Kuma is
    /// down, a life-cycle action cannot be made and does nothing (this holds for every verb below).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_pause(&mut self, now: Instant, monitor: MonitorIndex) {
        if self.up && !self.absent[monitor.0] {
            self.paused[monitor.0] = true;
            self.monitors[monitor.0].monitor.handle_pause(now);
            self.note_monitor(now, monitor.0, MonitorChange::Pause, now);
        }
    }

    /// The user resumes `monitor` (`server.js` `startMonitor`: `UPDATE monitor SET active = 1`,
    /// `monitor.start(io)`): pushes are found again and the chain's first check comes a full
    /// interval later ([`PushMonitor::handle_start`]).
    ///
    /// Changes `poll_timeout`.
    pub fn handle_resume(&mut self, now: Instant, monitor: MonitorIndex) {
        if self.up && !self.absent[monitor.0] {
            self.paused[monitor.0] = false;
            self.monitors[monitor.0].monitor.handle_start(now);
            self.note_monitor(now, monitor.0, MonitorChange::Resume, now);
        }
    }

    /// The user saves new settings for `monitor` (`server.js` `editMonitor`: `if (await
    /// Monitor.isActive(...)) await restartMonitor(...)`): an active monitor's pending check is
    /// cancelled and the next one comes at save + I (measured on Kuma 2.5.3: DOWN 20.0 s after
    /// the edit, not 21 s after the last push); a paused one keeps its pause. Heartbeats are kept.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_edit(&mut self, now: Instant, monitor: MonitorIndex, settings: MonitorSettings) {
        if self.up && !self.absent[monitor.0] {
            self.monitors[monitor.0].monitor.handle_edit(now, settings);
            self.note_monitor(now, monitor.0, MonitorChange::Edit, now);
        }
    }

    /// The user deletes `monitor` (`server.js` `deleteMonitor`: `monitor.stop()`, `delete
    /// server.monitorList[id]`, `DELETE FROM monitor`): its check is cancelled for good, its
    /// token is unknown from now on (404), and no start or restart brings it back.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_delete(&mut self, now: Instant, monitor: MonitorIndex) {
        if self.up && !self.absent[monitor.0] {
            self.absent[monitor.0] = true;
            self.paused[monitor.0] = true;
            self.monitors[monitor.0].monitor.handle_pause(now);
            self.note_monitor(now, monitor.0, MonitorChange::Delete, now);
        }
    }

    /// Whether `monitor` is absent from Kuma's table (not created yet, or deleted).
    pub fn is_absent(&self, monitor: MonitorIndex) -> bool {
        self.absent[monitor.0]
    }

    /// Before the server starts: `monitor` does not exist until [`handle_create`](Self::handle_create).
    ///
    /// Does not change `poll_timeout`.
    pub fn set_absent(&mut self, monitor: MonitorIndex) {
        self.absent[monitor.0] = true;
    }

    /// The user creates `monitor` (`server.js` `add`: the row is inserted, then `startMonitor`
    /// for an active one): its token is found from now on and an active monitor's chain starts,
    /// first check a full interval later. Does nothing while Kuma is down or for a monitor that
    /// exists.
    ///
    /// Changes `poll_timeout`.
    pub fn handle_create(&mut self, now: Instant, monitor: MonitorIndex) {
        if self.up && self.absent[monitor.0] {
            self.absent[monitor.0] = false;
            if !self.paused[monitor.0] {
                self.monitors[monitor.0].monitor.handle_start(now);
            }
            self.note_monitor(now, monitor.0, MonitorChange::Create, now);
        }
    }

    /// A maintenance window covering `monitor` begins ([`PushMonitor::handle_maintenance_begin`]).
    ///
    /// Does not change `poll_timeout`.
    pub fn handle_maintenance_begin(&mut self, now: Instant, monitor: MonitorIndex) {
        self.monitors[monitor.0].monitor.handle_maintenance_begin(now);
        if self.logging {
            self.log.push_back(ServerEvent::Maintenance { at: now, monitor, begins: true });
        }
    }

    /// A maintenance window covering `monitor` ends ([`PushMonitor::handle_maintenance_end`]).
    ///
    /// Does not change `poll_timeout`.
    pub fn handle_maintenance_end(&mut self, now: Instant, monitor: MonitorIndex) {
        self.monitors[monitor.0].monitor.handle_maintenance_end(now);
        if self.logging {
            self.log.push_back(ServerEvent::Maintenance { at: now, monitor, begins: false });
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }
    pub fn version(&self) -> KumaVersion {
        self.version
    }
    pub fn monitor(&self, index: MonitorIndex) -> &PushMonitor {
        &self.monitors[index.0].monitor
    }
    pub fn len(&self) -> usize {
        self.monitors.len()
    }
    pub fn is_empty(&self) -> bool {
        self.monitors.is_empty()
    }

    /// The earliest check timer of any monitor; `None` when no chain runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.monitors.iter().filter_map(|m| m.monitor.poll_timeout()).min()
    }

    /// Runs the check of every monitor whose timer is due (`<= now`), in monitor index order
    /// ([`PushMonitor::handle_timeout`]); a monitor whose timer is later is untouched.
    ///
    /// Changes `poll_timeout` when a check ran.
    pub fn handle_timeout(&mut self, now: Instant) {
        for m in &mut self.monitors {
            if m.monitor.poll_timeout().is_some_and(|t| t <= now) {
                m.monitor.handle_timeout(now);
            }
        }
    }

    /// The next recorded beat or notification: every pending event of monitor 0 (in the order it
    /// recorded them), then monitor 1's, and so on. Reports and traces rely on this order.
    ///
    /// Does not change `poll_timeout`.
    pub fn poll_event(&mut self) -> Option<KumaEvent> {
        self.monitors
            .iter_mut()
            .enumerate()
            .find_map(|(i, m)| m.monitor.poll_event().map(|event| KumaEvent { monitor: MonitorIndex(i), event }))
    }
}

impl Service for KumaServer {
    /// `/api/push/:pushToken` with any method; anything else is 404 as in Kuma's router.
    ///
    /// Does not change `poll_timeout` (pushes never move a timer).
    fn handle(&mut self, now: Instant, request: &Request) -> Response {
        let ping = request.query_value("ping");
        let reply = match request.path.strip_prefix("/api/push/") {
            Some(token) => {
                match self.monitors.iter_mut().zip(&self.absent).find(|(m, absent)| !**absent && m.push_token == token).map(|(m, _)| m) {
                    Some(m) => m.monitor.handle_push(now, request.query_value("status"), request.query_value("msg"), ping),
                    None => unknown_token_reply_for(self.version, ping),
                }
            }
            None => PushReply::NotFound { msg: "Not Found" },
        };
        let response = match reply {
            PushReply::Ok => Response::json(200, &json!({ "ok": true })),
            PushReply::NotFound { msg } => Response::json(404, &json!({ "ok": false, "msg": msg })),
            // The engine refuses the connection before calling us while the server is down.
            PushReply::Unreachable => Response::json(503, &json!({ "ok": false, "msg": "Kuma is not running" })),
        };
        if self.logging {
            let token = request.path.strip_prefix("/api/push/");
            let monitor = token.and_then(|t| self.monitors.iter().position(|m| m.push_token == t)).map(MonitorIndex);
            self.log.push_back(ServerEvent::PushReceived { at: now, monitor, query: request.query.clone(), answer: response.status });
        }
        response
    }
}
