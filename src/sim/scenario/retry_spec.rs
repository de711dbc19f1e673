//! The client retry policy a scenario gives a call (a heartbeat push, the Bridge API client):
//! the file's form and the logic's [`RetryPolicy`](crate::logic::retry::RetryPolicy) it becomes.
//! Its own module so that the scenario model and the payments section both use it without
//! depending on each other.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::Duration;

fn yes() -> bool {
    true
}

/// The client retry policy of the push.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default = "default_base")]
    pub base: Duration,
    #[serde(default = "default_cap")]
    pub cap: Duration,
    #[serde(default)]
    pub jitter: JitterSpec,
    #[serde(default = "yes")]
    pub honour_retry_after: bool,
    #[serde(default = "default_attempt_timeout")]
    pub attempt_timeout: Duration,
    #[serde(default = "default_deadline")]
    pub deadline: Option<Duration>,
}

impl RetrySpec {
    /// The logic's retry policy for these settings.
    pub fn policy(&self) -> crate::logic::retry::RetryPolicy {
        use crate::logic::retry::{Jitter, RetryPolicy};
        RetryPolicy {
            max_attempts: self.max_attempts,
            base: self.base,
            cap: self.cap,
            jitter: match self.jitter {
                JitterSpec::None => Jitter::None,
                JitterSpec::Full => Jitter::Full,
                JitterSpec::Equal => Jitter::Equal,
                JitterSpec::Decorrelated => Jitter::Decorrelated,
            },
            honour_retry_after: self.honour_retry_after,
            attempt_timeout: self.attempt_timeout,
            deadline: self.deadline,
        }
    }
}

impl Default for RetrySpec {
    fn default() -> Self {
        RetrySpec {
            max_attempts: default_attempts(),
            base: default_base(),
            cap: default_cap(),
            jitter: JitterSpec::default(),
            honour_retry_after: true,
            attempt_timeout: default_attempt_timeout(),
            deadline: default_deadline(),
        }
    }
}

fn default_attempts() -> u32 {
    3
}
fn default_base() -> Duration {
    Duration::SECOND
}
fn default_cap() -> Duration {
    Duration::from_secs(30)
}
fn default_attempt_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_deadline() -> Option<Duration> {
    Some(Duration::from_mins(2))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JitterSpec {
    None,
    #[default]
    Full,
    Equal,
    Decorrelated,
}
