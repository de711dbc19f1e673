//! Wire vocabulary shared by the logic (clients that build requests), the world (servers that
//! answer them) and the harness (transports that carry them): plain HTTP requests and responses,
//! with raw bodies so signatures over the exact bytes survive the trip (SPEC 4.1, DESIGN
//! "Transports").

use crate::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
    pub fn parse(s: &str) -> Option<Method> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// An HTTP request as the logic builds it. Header names are compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// The path without the query, e.g. `/api/push/abc123`.
    pub path: String,
    /// Query parameters in order; values are not percent-encoded here.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request { method, path: path.into(), query: Vec::new(), headers: Vec::new(), body: Vec::new() }
    }
    pub fn query_param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }
    /// The first value of a header, by case-insensitive name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The first value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// An HTTP response as a server model answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Self {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }
    /// A JSON response (`Content-Type: application/json`).
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A server model: answers a request that reached it at virtual instant `now`.
///
/// Implementations live in `world` (Kuma's push endpoint, Bridge's API, the ERP's webhook
/// receiver). They must be deterministic in `(now, request, own state)`: the HTTP transport calls
/// them from a mock server's thread, the in-process one directly, and both must give the same bytes.
pub trait Service: Send {
    fn handle(&mut self, now: Instant, request: &Request) -> Response;
}

/// A network link a fault plan can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Link {
    /// ERP → Bridge API.
    BridgeApi,
    /// ERP → Uptime Kuma push endpoint.
    KumaPush,
    /// Bridge → ERP webhook receiver.
    Webhooks,
}

impl Link {
    pub const ALL: [Link; 3] = [Link::BridgeApi, Link::KumaPush, Link::Webhooks];
    pub fn name(self) -> &'static str {
        match self {
            Link::BridgeApi => "bridge_api",
            Link::KumaPush => "kuma_push",
            Link::Webhooks => "webhooks",
        }
    }
}

/// What the wire does to one request, decided by the fault plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireFault {
    /// Deliver it to the service.
    None,
    /// The connection is refused (nothing listens).
    Refuse,
    /// A proxy or the server's front answers this status without reaching the service.
    Status { code: u16, retry_after_s: Option<u64> },
}
