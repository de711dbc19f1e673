//! Transports: how a request from the logic reaches a server model in the world (DESIGN
//! "Transports", SPEC 5). Two implementations of one interface, which must give the same bytes:
//! [`InProcess`] hands the request over directly; `http::HttpTransport` sends it over a real
//! socket to a `wiremock` server whose responder calls the same service.
//!
//! What the network does to a request (refuse it, answer an injected status, delay it) is decided
//! by the fault plan (`world::network::faults`) *before* the transport is called, from the link's own random
//! stream, so both transports see the same decisions. Latency and timeouts are virtual: the engine
//! schedules the request's arrival at the server and the response's arrival at the client; a
//! transport never sleeps and wall-clock time never changes an outcome.

pub mod http;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub use crate::net::{Link, WireFault};
use crate::net::{Request, Response, Service};
use crate::time::Instant;

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exchange {
    Answered(Response),
    Refused,
}

/// Carries requests to services. `now` is the virtual instant the request reaches the server.
pub trait Transport {
    fn name(&self) -> &'static str;
    fn exchange(&mut self, now: Instant, link: Link, request: &Request, fault: WireFault) -> Exchange;
}

/// A service shared between the engine (which drives its timers) and a transport (which hands
/// it requests, possibly from a mock server's thread).
pub type SharedService = Arc<Mutex<dyn Service>>;

/// The body and headers of an injected fault status: the same bytes over HTTP and in-process.
pub fn injected_status(code: u16, retry_after_s: Option<u64>) -> Response {
    let mut r = Response::json(code, &serde_json::json!({ "error": "injected by the fault plan", "status": code }));
    if let Some(s) = retry_after_s {
        r = r.header("retry-after", s.to_string());
    }
    r
}

/// The in-process transport: no sockets, the same requests and responses.
#[derive(Default)]
pub struct InProcess {
    services: BTreeMap<Link, SharedService>,
}

impl InProcess {
    pub fn new(services: impl IntoIterator<Item = (Link, SharedService)>) -> Self {
        InProcess { services: services.into_iter().collect() }
    }
}

impl Transport for InProcess {
    fn name(&self) -> &'static str {
        "in-process"
    }
    fn exchange(&mut self, now: Instant, link: Link, request: &Request, fault: WireFault) -> Exchange {
        match fault {
            WireFault::Refuse => Exchange::Refused,
            WireFault::Status { code, retry_after_s } => Exchange::Answered(injected_status(code, retry_after_s)),
            WireFault::None => match self.services.get(&link) {
                // A poisoned lock means a service panicked earlier: that is a bug, not data.
                Some(service) => Exchange::Answered(service.lock().expect("service lock").handle(now, request)),
                None => Exchange::Refused,
            },
        }
    }
}
