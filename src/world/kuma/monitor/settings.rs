//! The monitor's settings, as Kuma stores them on the `monitor` row, and what they imply.

use super::version::KumaVersion;

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
    /// Added to every timer of the check chain *(model choice, SPEC 3.3; default 1 ms)*.
    /// Negative values are treated as 0 (Node timers never fire early).
    pub timer_lateness_ms: i64,
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
            timer_lateness_ms: 1,
            version: KumaVersion::V2,
        }
    }
}
