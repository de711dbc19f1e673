//! The monitor's settings, as Kuma stores them on the `monitor` row, and what they imply.

use super::lateness::TimerLateness;
use super::version::KumaVersion;
use crate::time::Duration;

/// Kuma's hard-coded grace added to the interval by the push check
/// (`monitor.js`, `beat()`: `const bufferTime = 1000; // 1s buffer to accommodate clock differences`).
pub const BUFFER_TIME_MS: i64 = 1_000;

/// The monitor's settings, as Kuma stores them on the `monitor` row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSettings {
    /// `interval` I, seconds. `0` is read as 1 s by `beat()` (`if (!beatInterval) beatInterval = 1`).
    pub interval_s: u32,
    /// `retryInterval` R, seconds, used after a PENDING beat; `0` means "use I"
    /// (`monitor.js`: `if (this.retryInterval > 0) beatInterval = this.retryInterval`).
    pub retry_interval_s: u32,
    /// `maxretries` N: failures shown as PENDING before DOWN.
    pub max_retries: u32,
    /// `resendInterval` K: a reminder every K non-important DOWN beats; `0` = never.
    pub resend_interval: u32,
    /// `upsideDown`: statuses UP and DOWN are swapped (see [`PushMonitor`](super::PushMonitor)).
    pub upside_down: bool,
    /// Added to every timer of the check chain, drawn per timer *(model choice, SPEC 3.3;
    /// default a constant 1 ms)*. Negative values are treated as 0 (Node timers never fire early).
    pub timer_lateness: TimerLateness,
    /// Which Kuma release is modelled; [`KumaVersion::V2`] by default.
    pub version: KumaVersion,
}

impl MonitorSettings {
    /// Settings with interval `interval_s` and the model defaults: R = I, N = 0, K = 0,
    /// not upside down, 1 ms timer lateness, Kuma 2.x ([`KumaVersion::V2`]).
    pub fn new(interval_s: u32) -> Self {
        MonitorSettings {
            interval_s,
            retry_interval_s: interval_s,
            max_retries: 0,
            resend_interval: 0,
            upside_down: false,
            timer_lateness: TimerLateness::default(),
            version: KumaVersion::V2,
        }
    }
}

impl MonitorSettings {
    /// How long a silence that began with an UP beat lasts, at the latest, before the monitor
    /// stores DOWN (and notifies), term by term. Each term is what Kuma 2.x
    /// `server/model/monitor.js`, `beat()` (push branch and `catch`) does; [`SilenceToDown`]
    /// turns them into the three figures the harness uses (SPEC's rule, the aligned chain, the
    /// worst case).
    ///
    /// The same bound restarts at the end of a maintenance window and at a Kuma (re)start: the
    /// chain then checks after a full `I` at the latest (`start()`: "Delay Push Type"; the
    /// maintenance beats re-arm `beatInterval`), or after `R` when a PENDING beat armed it just
    /// before the window, and that check fails at once (a MAINTENANCE row is not UP) with the
    /// stored `retries` still to go, which fits within the worst case counted from there.
    ///
    /// Valid while every delay stays within Node's `setTimeout` range (I and R below ~24.8 days,
    /// [`NODE_TIMEOUT_MAX_MS`](super::NODE_TIMEOUT_MAX_MS)): beyond it Node fires after 1 ms.
    pub fn silence_to_down(&self) -> SilenceToDown {
        // beat(): `let beatInterval = this.interval; if (!beatInterval) beatInterval = 1;`
        let interval_ms = i64::from(self.interval_s.max(1)) * 1_000;
        // beat(): `if (bean.status === PENDING && this.retryInterval > 0) beatInterval =
        // this.retryInterval;` — otherwise the interval.
        let retry_ms = if self.retry_interval_s > 0 { i64::from(self.retry_interval_s) * 1_000 } else { interval_ms };
        let n = i64::from(self.max_retries);
        // Node.js timers never fire early: one lateness per timer, the first failing check's
        // and each retry's (model choice, SPEC 3.3). A drawn lateness is counted at its most:
        // the figures are then bounds (exact for a constant).
        let lateness_ms = self.timer_lateness.max_ms();
        SilenceToDown {
            // Push branch: healthy while `msSinceLastBeat <= beatInterval * 1000 + bufferTime`.
            window: Duration::from_ms(interval_ms + BUFFER_TIME_MS),
            // `catch`: `if ((this.maxretries > 0) && (retries < this.maxretries)) { retries++;
            // bean.status = PENDING; }`, each PENDING re-armed after `retryInterval`.
            retries: Duration::from_ms(n * retry_ms),
            lateness: Duration::from_ms((n + 1) * lateness_ms),
            // Push branch: a check that finds the row healthy at the window's last instant
            // re-arms `bufferTime` later (`if (timeout < 0) timeout = bufferTime`), and a check
            // armed `retryInterval` after a PENDING beat that an UP push then ended comes `R`
            // after that push, past the window when R > I + 1 s.
            realign_worst: Duration::from_ms(BUFFER_TIME_MS.max(retry_ms - interval_ms - BUFFER_TIME_MS)),
            realign_aligned: Duration::from_ms(if self.timer_lateness.min_ms() == 0 { BUFFER_TIME_MS } else { 0 }),
        }
    }
}

/// The terms of [`MonitorSettings::silence_to_down`]: the time from the last UP beat to the DOWN
/// beat (and its "Down" notification) when no push comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SilenceToDown {
    /// `I·1000 + bufferTime` (`msSinceLastBeat <= beatInterval * 1000 + bufferTime`): while the
    /// last UP beat is this recent, a check re-arms and stores nothing.
    pub window: Duration,
    /// `N·R` (R = I when `retryInterval` is 0): the PENDING beats before DOWN.
    pub retries: Duration,
    /// `(N + 1)·` the most a timer is late: the first failing check and each retry fire that late (exactly, for a constant lateness).
    pub lateness: Duration,
    /// How much later than the window's end the first failing check can come, over any push
    /// history: `max(1 s, R − I − 1 s)` (see the comments in `silence_to_down`).
    pub realign_worst: Duration,
    /// The same when every push came on time so the chain is aligned on the last one: 0, or
    /// 1 s with lateness 0 (the check then lands exactly on the window's end, which is not late,
    /// and re-arms `bufferTime` later).
    pub realign_aligned: Duration,
}

impl SilenceToDown {
    /// SPEC 3.3's rule, `I + 1 s + N·R`, without timer lateness: what `syncsim advise` shows as a
    /// candidate's deadline.
    pub fn spec_rule(&self) -> Duration {
        self.window + self.retries
    }

    /// Exactly when DOWN comes after an UP push when the pushes before it were on time (the chain
    /// re-armed on the last one): `I + 1 s + N·R + (N + 1)·lateness`, or `I + 2 s + N·R` with
    /// lateness 0.
    pub fn aligned(&self) -> Duration {
        self.window + self.realign_aligned + self.retries + self.lateness
    }

    /// The latest DOWN can come after the last UP beat, whatever came before it:
    /// `max(I + 2 s, R) + N·R + (N + 1)·lateness`.
    pub fn worst_case(&self) -> Duration {
        self.window + self.realign_worst + self.retries + self.lateness
    }
}
