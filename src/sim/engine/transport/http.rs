//! The real-HTTP twin of [`InProcess`](super::InProcess): the same requests and responses, the
//! same bytes, carried across real loopback sockets (DESIGN "Transports").
//!
//! # How a call travels
//!
//! [`HttpTransport::start`] starts one dedicated `wiremock` server per [`Link`] (all three, so an
//! injected status works on a link without a service, exactly as in-process) on
//! `127.0.0.1:<os port>`, plus one *refusal port* (below). Each server has one mock matching every
//! request whose responder rebuilds the [`Request`] from the HTTP request and calls the link's
//! service under its mutex. `exchange` sends the request with a blocking `ureq` client that never
//! retries, never follows redirects, has no proxy, and treats 4xx/5xx as answers.
//!
//! * **Virtual time** crosses the wire in `x-syncsim-now-ms: <ms>`; the responder passes that
//!   instant to [`Service::handle`](crate::net::Service::handle). Nothing reads the wall clock and nothing sleeps (no
//!   `set_delay`): latency is virtual and scheduled by the engine. The only real-time value is
//!   [`HttpOptions::call_timeout`], a safety net against a hung server that turns into a recorded
//!   error, never into an outcome that depends on speed.
//! * **`WireFault::Status`** is sent as `x-syncsim-fault: 503` or `x-syncsim-fault:
//!   429;retry-after=7`; the mock answers [`injected_status`] itself, without calling the service.
//! * **`WireFault::Refuse`** (and `WireFault::None` on a link without a service, which in-process
//!   is refused too) connects to the refusal port: a socket bound to `127.0.0.1:0` that the
//!   transport keeps bound but never listens on. The kernel answers the SYN with a reset, so the
//!   client really gets `ECONNREFUSED` at once, and since the port stays bound (without
//!   `SO_REUSEADDR`) no other program can start listening there during the run, as it could on a
//!   bound-then-dropped port.
//!
//! # Headers: what the service sees, and why
//!
//! HTTP/1 through `http`/`hyper` lowercases header names, groups repeated names together, and adds
//! headers of its own. To hand the service *exactly* the header list `InProcess` hands it, the
//! client also sends `x-syncsim-headers: <name>,<name>,...`: the request's header names in their
//! original order and case. The responder takes the values from the wire (the i-th occurrence of
//! a name gets the i-th value received under that name) and rebuilds the list in that order.
//! Everything not in the manifest is dropped: the `x-syncsim-*` control headers and what only HTTP
//! adds (`host`, `content-length`/`transfer-encoding`; ureq is configured to add no `user-agent`,
//! `accept` or `accept-encoding`, so a logic-set `accept` or `user-agent` survives). The response
//! travels back the same way: the responder lists the service's header names, the client keeps
//! exactly those and drops what hyper adds (`date`, `content-length`). So the [`Response`] from
//! `HttpTransport` equals the one from `InProcess`, headers in the service's order, case and
//! multiplicity. A request without a manifest (e.g. from `curl`) falls back to dropping a fixed
//! list ([`HTTP_ONLY_REQUEST_HEADERS`], `x-syncsim-*`) and keeps the wire's lowercase names.
//!
//! # What cannot cross HTTP
//!
//! Some values `InProcess` carries have no HTTP/1 form. They are reported, not panicked on: the
//! call answers [`Exchange::Refused`] and the transport records a [`TransportError`] (see
//! [`HttpTransport::take_errors`]); a run over HTTP should assert that list is empty.
//! Unrepresentable: a path that is empty, not starting with `/`, or with `.`/`..` segments (URLs
//! normalise them away); header names that are not HTTP tokens, framing/hop-by-hop names
//! ([`RESERVED_HEADERS`]) and the reserved `x-syncsim-*` names; header values with control
//! characters or leading/trailing blanks (HTTP trims them) or not UTF-8 on arrival; statuses
//! outside 200..=599; a body on 204/304. Paths and query values cross percent-encoded (query as
//! `application/x-www-form-urlencoded`) and are decoded back, so any UTF-8 path or query survives.
//!
//! A service that panics, or whose lock is poisoned, panics the caller of `exchange`, as it does
//! in-process (the responder catches the panic on the server thread, answers a marked 500, and the
//! client re-raises it): that is a bug in a model, not a network fault.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tokio::runtime::Runtime;
use ureq::http::{HeaderMap, HeaderName, HeaderValue};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use super::{Exchange, Link, SharedService, Transport, WireFault, injected_status};
use crate::net::{Method, Request, Response};
use crate::time::Instant;

/// The virtual instant the request reaches the server, in ms since the epoch.
pub const NOW_HEADER: &str = "x-syncsim-now-ms";
/// `<code>` or `<code>;retry-after=<s>`: the mock answers [`injected_status`] itself.
pub const FAULT_HEADER: &str = "x-syncsim-fault";
/// The header names of the request (or response) in their original order and case.
pub const MANIFEST_HEADER: &str = "x-syncsim-headers";
/// On a response: the responder could not hand the request to the service (`panic`, `poisoned`,
/// `unrepresentable`, `bad-request`); the body says why.
pub const ERROR_HEADER: &str = "x-syncsim-error";
/// The prefix of every control header: reserved, never handed to a service or sent for one.
pub const CONTROL_PREFIX: &str = "x-syncsim-";

/// Headers that only HTTP adds to a request; dropped when a request carries no manifest.
pub const HTTP_ONLY_REQUEST_HEADERS: &[&str] =
    &["host", "content-length", "transfer-encoding", "connection", "user-agent", "accept", "accept-encoding", "te", "keep-alive"];
/// Headers that only HTTP adds to a response; dropped when a response carries no manifest.
pub const HTTP_ONLY_RESPONSE_HEADERS: &[&str] = &["date", "content-length", "transfer-encoding", "connection", "keep-alive"];
/// Framing and hop-by-hop headers that HTTP itself owns: a request or response setting them
/// cannot cross unchanged, so it is unrepresentable.
pub const RESERVED_HEADERS: &[&str] =
    &["host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "expect", "proxy-connection"];

/// Path bytes sent as they are: unreserved, sub-delims, `:`, `@` and `/`. Everything else
/// (including `%`, `?`, `#`, `\`, space and non-ASCII) is percent-encoded and decoded back.
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// Why the transport could not start, or what went wrong in a call (recorded, see
/// [`HttpTransport::take_errors`]).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot build the tokio runtime for the mock servers: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot bind a loopback port for the {link} server: {source}", link = .link.name())]
    Bind {
        link: Link,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot reserve the loopback refusal port: {0}")]
    RefusalPort(#[source] std::io::Error),
    #[error("the {link} mock server failed to start: {message}", link = .link.name())]
    ServerStart { link: Link, message: String },
    #[error("{what} on {link} cannot cross HTTP unchanged: {detail}", link = .link.name())]
    Unrepresentable { link: Link, what: &'static str, detail: String },
    #[error("unexpected client error on {link} talking to {target}: {message}", link = .link.name())]
    Client { link: Link, target: SocketAddr, message: String },
    #[error("the {link} responder did not call the service ({kind}): {message}", link = .link.name())]
    Rejected { link: Link, kind: String, message: String },
}

/// Settings of an [`HttpTransport`].
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Keep every request each mock received, for [`HttpTransport::received_requests`]. Off by
    /// default: wiremock keeps a full copy of each request, which grows without bound in a long run.
    pub record_requests: bool,
    /// Real-time safety net for one call (a hung server); `None` waits forever. Hitting it is
    /// recorded as a [`TransportError::Client`] and answers `Refused`. Default 60 s.
    pub call_timeout: Option<std::time::Duration>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions { record_requests: false, call_timeout: Some(std::time::Duration::from_secs(60)) }
    }
}

struct LinkServer {
    server: MockServer,
    addr: SocketAddr,
    has_service: bool,
    responder: LinkResponder,
    /// Calls since the mock was last mounted (see [`FORGET_EVERY`]).
    calls: u32,
}

/// wiremock 0.6 keeps a clone of every request a mounted mock matched (for
/// `MockGuard::received_requests`), even with request recording disabled: about 9 MB per
/// simulated day of the 30-day Bridge scenario. Unless the transport records requests, each
/// server is reset and its one mock mounted again after this many calls, which forgets them.
const FORGET_EVERY: u32 = 1024;

/// The HTTP transport: one wiremock server per link on loopback, a blocking client, and a
/// loopback port where nothing listens.
pub struct HttpTransport {
    agent: Option<ureq::Agent>,
    servers: BTreeMap<Link, LinkServer>,
    /// Bound, never listening: connecting to it is refused by the kernel.
    refusal_socket: Option<tokio::net::TcpSocket>,
    refusal_addr: SocketAddr,
    errors: Vec<TransportError>,
    runtime: Option<Runtime>,
    /// Requests are kept for [`HttpTransport::received_requests`].
    recording: bool,
}

impl HttpTransport {
    /// Starts the servers with [`HttpOptions::default`] (no request recording).
    pub fn start(services: impl IntoIterator<Item = (Link, SharedService)>) -> Result<Self, TransportError> {
        Self::start_with(services, HttpOptions::default())
    }

    /// Starts one dedicated wiremock server per link (`MockServer::builder()`, never the pooled
    /// `MockServer::start()`), on a current-thread runtime this transport owns.
    pub fn start_with(services: impl IntoIterator<Item = (Link, SharedService)>, options: HttpOptions) -> Result<Self, TransportError> {
        let services: BTreeMap<Link, SharedService> = services.into_iter().collect();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(TransportError::Runtime)?;

        let refusal_socket = tokio::net::TcpSocket::new_v4().map_err(TransportError::RefusalPort)?;
        refusal_socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).map_err(TransportError::RefusalPort)?;
        let refusal_addr = refusal_socket.local_addr().map_err(TransportError::RefusalPort)?;

        let mut transport = HttpTransport {
            agent: None,
            servers: BTreeMap::new(),
            refusal_socket: Some(refusal_socket),
            refusal_addr,
            errors: Vec::new(),
            runtime: Some(runtime),
            recording: options.record_requests,
        };
        for link in Link::ALL {
            // Bind here rather than let wiremock do it: its bind failure is a panic.
            let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .map_err(|source| TransportError::Bind { link, source })?;
            let addr = listener.local_addr().map_err(|source| TransportError::Bind { link, source })?;
            let service = services.get(&link).cloned();
            let has_service = service.is_some();
            let responder = LinkResponder { service };
            let mounted = responder.clone();
            let record = options.record_requests;
            // `transport` is dropped (servers shut down) if this returns early.
            let started = transport.block_on(async move {
                let mut builder = MockServer::builder().listener(listener);
                if !record {
                    builder = builder.disable_request_recording();
                }
                let server = builder.start().await;
                Mock::given(wiremock::matchers::any()).respond_with(responder).mount(&server).await;
                server
            });
            match started {
                Ok(server) => {
                    transport.servers.insert(link, LinkServer { server, addr, has_service, responder: mounted, calls: 0 });
                }
                Err(message) => return Err(TransportError::ServerStart { link, message }),
            }
        }

        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .user_agent(ureq::config::AutoHeaderValue::None)
            .accept(ureq::config::AutoHeaderValue::None)
            .accept_encoding(ureq::config::AutoHeaderValue::None)
            .timeout_global(options.call_timeout)
            .build();
        transport.agent = Some(ureq::Agent::new_with_config(config));
        Ok(transport)
    }

    /// The base URI (`http://127.0.0.1:<port>`) of a link's mock server.
    pub fn uri(&self, link: Link) -> String {
        format!("http://{}", self.servers[&link].addr)
    }

    /// The loopback address where nothing listens (used for `WireFault::Refuse`).
    pub fn refusal_addr(&self) -> SocketAddr {
        self.refusal_addr
    }

    /// The requests a link's mock received, in arrival order, as wiremock saw them (`None` unless
    /// started with [`HttpOptions::record_requests`]).
    pub fn received_requests(&self, link: Link) -> Option<Vec<wiremock::Request>> {
        let server = &self.servers.get(&link)?.server;
        self.block_on(server.received_requests()).ok().flatten()
    }

    /// The errors recorded by calls so far (each one answered `Refused`), emptying the list.
    pub fn take_errors(&mut self) -> Vec<TransportError> {
        std::mem::take(&mut self.errors)
    }

    /// The errors recorded so far.
    pub fn errors(&self) -> &[TransportError] {
        &self.errors
    }

    /// Runs a future on the owned runtime; from inside another runtime's context (where
    /// `block_on` would panic) it does so on a scoped helper thread. A panic becomes `Err`.
    fn block_on<F>(&self, future: F) -> Result<F::Output, String>
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let Some(runtime) = self.runtime.as_ref() else { return Err("runtime already shut down".into()) };
        let run = move || catch_unwind(AssertUnwindSafe(|| runtime.block_on(future))).map_err(|p| panic_message(&*p));
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| s.spawn(run).join().unwrap_or_else(|p| Err(panic_message(&*p))))
        } else {
            run()
        }
    }

    /// Every [`FORGET_EVERY`] calls on a link, unless requests are recorded: reset the link's
    /// server (which drops the requests its mock kept) and mount the same mock again. Between
    /// two calls nothing is in flight, so no request can miss the mock.
    fn forget_matched_requests(&mut self, link: Link) {
        if self.recording {
            return;
        }
        let Some(s) = self.servers.get_mut(&link) else { return };
        s.calls += 1;
        if s.calls < FORGET_EVERY {
            return;
        }
        s.calls = 0;
        let s = &self.servers[&link];
        let (server, responder) = (&s.server, s.responder.clone());
        let remounted = self.block_on(async move {
            server.reset().await;
            Mock::given(wiremock::matchers::any()).respond_with(responder).mount(server).await;
        });
        if let Err(message) = remounted {
            self.errors.push(TransportError::Client { link, target: self.servers[&link].addr, message });
        }
    }

    fn call(&mut self, now: Instant, link: Link, request: &Request, fault: WireFault) -> Exchange {
        if let Err((what, detail)) = check_request(request) {
            self.errors.push(TransportError::Unrepresentable { link, what, detail });
            return Exchange::Refused;
        }
        self.forget_matched_requests(link);
        let server = &self.servers[&link];
        let target = match fault {
            WireFault::Refuse => self.refusal_addr,
            WireFault::None if !server.has_service => self.refusal_addr,
            WireFault::None | WireFault::Status { .. } => server.addr,
        };
        let http_request = match build_http_request(target, now, request, fault) {
            Ok(r) => r,
            Err(detail) => {
                self.errors.push(TransportError::Unrepresentable { link, what: "the request", detail });
                return Exchange::Refused;
            }
        };
        let agent = self.agent.as_ref().expect("agent present until drop");
        let mut answer = match agent.run(http_request) {
            Ok(answer) => answer,
            Err(ureq::Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                if target != self.refusal_addr {
                    // A live mock refusing is not a fault the plan decided: report it.
                    self.errors.push(TransportError::Client { link, target, message: e.to_string() });
                }
                return Exchange::Refused;
            }
            Err(e) => {
                self.errors.push(TransportError::Client { link, target, message: e.to_string() });
                return Exchange::Refused;
            }
        };
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let body = match answer.body_mut().with_config().limit(u64::MAX).read_to_vec() {
            Ok(body) => body,
            Err(e) => {
                self.errors.push(TransportError::Client { link, target, message: format!("reading the body: {e}") });
                return Exchange::Refused;
            }
        };
        if let Some(kind) = headers.get(ERROR_HEADER) {
            let kind = String::from_utf8_lossy(kind.as_bytes()).into_owned();
            let message = String::from_utf8_lossy(&body).into_owned();
            match kind.as_str() {
                // Same behaviour as in-process: the service's panic reaches the caller.
                "panic" => panic!("service panicked on {} (over HTTP): {message}", link.name()),
                "poisoned" => panic!("service lock: poisoned ({} over HTTP)", link.name()),
                _ => {
                    self.errors.push(TransportError::Rejected { link, kind, message });
                    return Exchange::Refused;
                }
            }
        }
        match rebuild_headers(&headers, HTTP_ONLY_RESPONSE_HEADERS) {
            Ok(headers) => Exchange::Answered(Response { status, headers, body }),
            Err(detail) => {
                self.errors.push(TransportError::Unrepresentable { link, what: "the response headers", detail });
                Exchange::Refused
            }
        }
    }
}

impl Transport for HttpTransport {
    fn name(&self) -> &'static str {
        "http"
    }
    fn exchange(&mut self, now: Instant, link: Link, request: &Request, fault: WireFault) -> Exchange {
        self.call(now, link, request, fault)
    }
}

impl Drop for HttpTransport {
    fn drop(&mut self) {
        // Close the client's pooled connections first, then the servers one by one, yielding
        // between drops (dropping many servers in one task without yielding was seen to hang).
        self.agent = None;
        let servers: Vec<MockServer> = std::mem::take(&mut self.servers).into_values().map(|s| s.server).collect();
        let _ = self.block_on(async move {
            for server in servers {
                drop(server);
                tokio::task::yield_now().await;
            }
        });
        if let Some(runtime) = self.runtime.take() {
            // Never blocks, so dropping inside another runtime is fine; nothing runs on it now
            // (each wiremock server runs on its own thread).
            runtime.shutdown_background();
        }
        self.refusal_socket = None;
    }
}

/// The per-link responder, called by wiremock on the server's thread.
#[derive(Clone)]
struct LinkResponder {
    service: Option<SharedService>,
}

impl Respond for LinkResponder {
    fn respond(&self, wire: &wiremock::Request) -> ResponseTemplate {
        if let Some(fault) = wire.headers.get(FAULT_HEADER) {
            return match parse_fault(fault.as_bytes()) {
                Some((code, retry_after_s)) => encode_response(&injected_status(code, retry_after_s)),
                None => rejection("bad-request", "malformed x-syncsim-fault"),
            };
        }
        let (now, request) = match decode_request(wire) {
            Ok(decoded) => decoded,
            Err(message) => return rejection("bad-request", &message),
        };
        let Some(service) = self.service.as_ref() else {
            // The client sends no such request; a stray one (e.g. curl) gets the in-process answer.
            return rejection("no-service", "no service on this link");
        };
        // Lock inside catch_unwind, so a panicking service poisons its lock as it does in-process.
        let outcome = catch_unwind(AssertUnwindSafe(|| match service.lock() {
            Ok(mut service) => Some(service.handle(now, &request)),
            Err(_) => None,
        }));
        match outcome {
            Ok(Some(response)) => encode_response(&response),
            Ok(None) => rejection("poisoned", "service lock poisoned"),
            Err(payload) => rejection("panic", &panic_message(&*payload)),
        }
    }
}

fn rejection(kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(500).append_header(ERROR_HEADER, kind).set_body_bytes(message.as_bytes().to_vec())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// `503` or `429;retry-after=7`.
fn parse_fault(value: &[u8]) -> Option<(u16, Option<u64>)> {
    let value = std::str::from_utf8(value).ok()?;
    let mut parts = value.split(';');
    let code = parts.next()?.trim().parse().ok()?;
    let retry_after = match parts.next() {
        None => None,
        Some(p) => Some(p.trim().strip_prefix("retry-after=")?.parse().ok()?),
    };
    if parts.next().is_some() {
        return None;
    }
    Some((code, retry_after))
}

fn format_fault(code: u16, retry_after_s: Option<u64>) -> String {
    match retry_after_s {
        Some(s) => format!("{code};retry-after={s}"),
        None => code.to_string(),
    }
}

fn is_control(name: &str) -> bool {
    name.len() >= CONTROL_PREFIX.len() && name[..CONTROL_PREFIX.len()].eq_ignore_ascii_case(CONTROL_PREFIX)
}

/// A header name and value that cross HTTP/1 unchanged (up to the name's case, which the
/// manifest restores).
fn check_header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    if is_control(name) || RESERVED_HEADERS.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(format!("header {name:?} is reserved"));
    }
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("header name {name:?} is not an HTTP token"))?;
    let header_value =
        HeaderValue::from_bytes(value.as_bytes()).map_err(|_| format!("header {name:?} value {value:?} has control characters"))?;
    if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        return Err(format!("header {name:?} value {value:?} has leading or trailing blanks"));
    }
    Ok((header_name, header_value))
}

fn check_request(request: &Request) -> Result<(), (&'static str, String)> {
    let path = &request.path;
    if !path.starts_with('/') {
        return Err(("the path", format!("{path:?} does not start with '/'")));
    }
    if path.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(("the path", format!("{path:?} has dot segments")));
    }
    for (name, value) in &request.headers {
        check_header(name, value).map_err(|detail| ("a request header", detail))?;
    }
    Ok(())
}

fn build_http_request(target: SocketAddr, now: Instant, request: &Request, fault: WireFault) -> Result<ureq::http::Request<&[u8]>, String> {
    let mut uri = format!("http://{target}{}", utf8_percent_encode(&request.path, PATH_SET));
    if !request.query.is_empty() {
        uri.push('?');
        uri.push_str(&form_urlencoded::Serializer::new(String::new()).extend_pairs(&request.query).finish());
    }
    let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(uri);
    let mut manifest = String::new();
    for (name, value) in &request.headers {
        let (name_h, value_h) = check_header(name, value)?;
        builder = builder.header(name_h, value_h);
        if !manifest.is_empty() {
            manifest.push(',');
        }
        manifest.push_str(name);
    }
    builder = builder.header(NOW_HEADER, now.as_ms().to_string()).header(MANIFEST_HEADER, manifest);
    if let WireFault::Status { code, retry_after_s } = fault {
        builder = builder.header(FAULT_HEADER, format_fault(code, retry_after_s));
    }
    builder.body(request.body.as_slice()).map_err(|e| e.to_string())
}

/// Rebuilds a header list from the wire: with a manifest, exactly the listed names in their
/// order and case, the i-th occurrence of a name taking the i-th value received under it;
/// without one, the wire's headers minus `http_only` and `x-syncsim-*`.
fn rebuild_headers(map: &HeaderMap, http_only: &[&str]) -> Result<Vec<(String, String)>, String> {
    let to_string = |name: &str, value: &HeaderValue| {
        String::from_utf8(value.as_bytes().to_vec()).map_err(|_| format!("header {name:?} value is not UTF-8"))
    };
    let Some(manifest) = map.get(MANIFEST_HEADER) else {
        let mut headers = Vec::new();
        for (name, value) in map {
            let name = name.as_str();
            if !is_control(name) && !http_only.contains(&name) {
                headers.push((name.to_string(), to_string(name, value)?));
            }
        }
        return Ok(headers);
    };
    let manifest = std::str::from_utf8(manifest.as_bytes()).map_err(|_| "the header manifest is not UTF-8".to_string())?;
    let mut taken: HashMap<String, usize> = HashMap::new();
    let mut headers = Vec::new();
    for name in manifest.split(',').filter(|n| !n.is_empty()) {
        let lower = name.to_ascii_lowercase();
        let index = taken.entry(lower.clone()).or_insert(0);
        let value = map.get_all(lower.as_str()).iter().nth(*index).ok_or_else(|| format!("header {name:?} listed but not received"))?;
        *index += 1;
        headers.push((name.to_string(), to_string(name, value)?));
    }
    Ok(headers)
}

fn decode_request(wire: &wiremock::Request) -> Result<(Instant, Request), String> {
    let now = wire
        .headers
        .get(NOW_HEADER)
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(Instant::from_ms)
        .ok_or_else(|| format!("missing or malformed {NOW_HEADER}"))?;
    let method = Method::parse(wire.method.as_str()).ok_or_else(|| format!("unsupported method {}", wire.method))?;
    let path = percent_decode_str(wire.url.path()).decode_utf8().map_err(|_| "the path is not UTF-8".to_string())?.into_owned();
    let query = match wire.url.query() {
        Some(_) => wire.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
        None => Vec::new(),
    };
    let headers = rebuild_headers(&wire.headers, HTTP_ONLY_REQUEST_HEADERS)?;
    Ok((now, Request { method, path, query, headers, body: wire.body.clone() }))
}

/// The mock's answer for a service's response; unrepresentable responses become a marked 500.
fn encode_response(response: &Response) -> ResponseTemplate {
    match try_encode_response(response) {
        Ok(template) => template,
        Err(detail) => rejection("unrepresentable", &detail),
    }
}

fn try_encode_response(response: &Response) -> Result<ResponseTemplate, String> {
    let status = response.status;
    if !(200..=599).contains(&status) {
        return Err(format!("status {status} is outside 200..=599"));
    }
    if matches!(status, 204 | 304) && !response.body.is_empty() {
        return Err(format!("status {status} cannot carry a body"));
    }
    let mut template = ResponseTemplate::new(status);
    let mut manifest = String::new();
    for (name, value) in &response.headers {
        let (name_h, value_h) = check_header(name, value)?;
        template = template.append_header(name_h, value_h);
        if !manifest.is_empty() {
            manifest.push(',');
        }
        manifest.push_str(name);
    }
    let manifest = HeaderValue::from_str(&manifest).map_err(|e| e.to_string())?;
    Ok(template.append_header(MANIFEST_HEADER, manifest).set_body_bytes(response.body.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transport_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<HttpTransport>();
        send::<TransportError>();
    }

    #[test]
    fn fault_header_round_trips() {
        for (code, ra) in [(503, None), (429, Some(7)), (500, Some(0))] {
            assert_eq!(parse_fault(format_fault(code, ra).as_bytes()), Some((code, ra)));
        }
        assert_eq!(parse_fault(b"429;retry=7"), None);
        assert_eq!(parse_fault(b"abc"), None);
    }

    #[test]
    fn control_names_are_recognised_in_any_case() {
        assert!(is_control("X-SyncSim-Now-Ms"));
        assert!(!is_control("x-sync"));
    }

    #[test]
    fn unrepresentable_values_are_refused_before_sending() {
        assert!(check_header("x-ok", "value").is_ok());
        assert!(check_header("Content-Length", "3").is_err());
        assert!(check_header("x-syncsim-now-ms", "3").is_err());
        assert!(check_header("bad name", "v").is_err());
        assert!(check_header("x-a", "line\nbreak").is_err());
        assert!(check_header("x-a", " padded").is_err());
        let mut r = Request::new(Method::Get, "/a/../b");
        assert!(check_request(&r).is_err());
        r.path = "relative".into();
        assert!(check_request(&r).is_err());
    }
}
