//! Connection states as Powens reports them (public source: Powens `ConnectionState`), and the
//! class that decides which rule schedules the next attempt (SPEC 1.2).

use serde::{Deserialize, Serialize};

/// The state an attempt ends in. `Ok` stands for Powens' `null` (no error).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum ConnectionState {
    #[serde(rename = "ok")]
    Ok,
    #[serde(rename = "SCARequired")]
    ScaRequired,
    #[serde(rename = "webauthRequired")]
    WebauthRequired,
    #[serde(rename = "additionalInformationNeeded")]
    AdditionalInformationNeeded,
    #[serde(rename = "decoupled")]
    Decoupled,
    #[serde(rename = "actionNeeded")]
    ActionNeeded,
    #[serde(rename = "passwordExpired")]
    PasswordExpired,
    #[serde(rename = "wrongpass")]
    Wrongpass,
    #[serde(rename = "websiteUnavailable")]
    WebsiteUnavailable,
    #[serde(rename = "rateLimiting")]
    RateLimiting,
    #[serde(rename = "bug")]
    Bug,
    #[serde(rename = "validating")]
    Validating,
}

/// What a state means for scheduling (table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateClass {
    /// Rule A.
    Success,
    /// Rule B: nothing happens until the user acts.
    NeedsUser,
    /// Rule C: needs the user, but retried.
    Wrongpass,
    /// Rule D: transient.
    Transient,
}

impl ConnectionState {
    pub const ALL: [ConnectionState; 12] = [
        ConnectionState::Ok,
        ConnectionState::ScaRequired,
        ConnectionState::WebauthRequired,
        ConnectionState::AdditionalInformationNeeded,
        ConnectionState::Decoupled,
        ConnectionState::ActionNeeded,
        ConnectionState::PasswordExpired,
        ConnectionState::Wrongpass,
        ConnectionState::WebsiteUnavailable,
        ConnectionState::RateLimiting,
        ConnectionState::Bug,
        ConnectionState::Validating,
    ];

    pub fn class(self) -> StateClass {
        use ConnectionState::*;
        match self {
            Ok => StateClass::Success,
            ScaRequired | WebauthRequired | AdditionalInformationNeeded | Decoupled | ActionNeeded | PasswordExpired => {
                StateClass::NeedsUser
            }
            Wrongpass => StateClass::Wrongpass,
            WebsiteUnavailable | RateLimiting | Bug | Validating => StateClass::Transient,
        }
    }

    /// The name Powens uses (`ok` for `null`).
    pub fn as_str(self) -> &'static str {
        use ConnectionState::*;
        match self {
            Ok => "ok",
            ScaRequired => "SCARequired",
            WebauthRequired => "webauthRequired",
            AdditionalInformationNeeded => "additionalInformationNeeded",
            Decoupled => "decoupled",
            ActionNeeded => "actionNeeded",
            PasswordExpired => "passwordExpired",
            Wrongpass => "wrongpass",
            WebsiteUnavailable => "websiteUnavailable",
            RateLimiting => "rateLimiting",
            Bug => "bug",
            Validating => "validating",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_state_in_discriminant_order() {
        // The harness counts outcomes in an array indexed by `state as usize`.
        for (i, s) in ConnectionState::ALL.iter().enumerate() {
            assert_eq!(*s as usize, i, "{s:?}");
        }
    }
}
