//! Bridge's payment side as the ERP sees it (SPEC 4.1): payment links, the payment requests payers
//! initiate on them, the webhook events Bridge emits, and the v3 HTTP API that serves all of it.
//!
//! A world model, not the code under test, sans-IO: the harness drives every part in virtual time.
//!
//! - [`model`]: the state machine: links, requests, expiry, the events it emits. A function of
//!   `(now, call, own state)`: no clock, no RNG.
//! - [`api`]: the HTTP face: auth, the sliding-window rate limit, routing, JSON bodies.
//! - [`payers`]: who pays, when, and what their banks answer (draws from the payers' stream).
//! - [`webhooks`]: how Bridge's events reach the ERP: signed, lost, delayed, duplicated,
//!   retried, rotated secrets, forged and replayed deliveries (draws from the webhooks' stream).

pub mod api;
mod api_state;
pub mod model;
pub mod payers;
pub mod webhooks;

pub use api::ApiStats;
pub use model::{
    BridgeConfig, BridgeEvent, BridgeWorld, CreateRefused, EventType, LinkStatus, NewLink, PayRefused, PaymentLink, PaymentRequest,
    RequestStatus, RevokeAnswer,
};
pub use payers::{BankStep, PayerBehaviour, PayerIntent, Payers};
pub use webhooks::{Delivery, DeliveryId, DeliverySettings, Emission, Forged, Webhooks};

#[cfg(test)]
mod tests;
