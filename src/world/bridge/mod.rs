//! Bridge's payment side as the ERP sees it (SPEC 4.1): payment links, the payment requests payers
//! initiate on them, the webhook events Bridge emits, and the v3 HTTP API that serves all of it.
//!
//! A world model, not the code under test. Everything is a function of `(now, call, own state)`:
//! no clock, no RNG (the harness decides who pays, when the bank answers, which delivery is lost).
//!
//! - [`model`]: the state machine: links, requests, expiry, the events it emits.
//! - [`api`]: the HTTP face: auth, the sliding-window rate limit, routing, JSON bodies.

pub mod api;
mod api_state;
pub mod model;

pub use api::ApiStats;
pub use model::{
    BridgeConfig, BridgeEvent, BridgeWorld, CreateRefused, EventType, LinkStatus, NewLink, PayRefused, PaymentLink, PaymentRequest,
    RequestStatus,
};

#[cfg(test)]
mod tests;
