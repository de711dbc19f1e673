//! Shared test fixtures: a deterministic toy service and a deterministic request generator.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::json;
use syncsim::net::{Method, Request, Response, Service};
use syncsim::sim::engine::transport::{Link, SharedService, WireFault};
use syncsim::time::Instant;

/// FNV-1a 64: a stand-in for a signature over exact bytes.
pub fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A keyed hash over the exact bytes (stand-in for an HMAC).
pub fn keyed_hash(key: &[u8], body: &[u8]) -> u64 {
    fnv(fnv(0, key), body)
}

/// Echoes what it saw, keeps a counter and a running hash of everything it answered.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Toy {
    pub counter: u64,
    pub log_hash: u64,
    pub bodies: Vec<Vec<u8>>,
    pub seen: Vec<Request>,
    pub nows: Vec<i64>,
}

impl Service for Toy {
    fn handle(&mut self, now: Instant, request: &Request) -> Response {
        self.counter += 1;
        self.bodies.push(request.body.clone());
        self.seen.push(request.clone());
        self.nows.push(now.as_ms());
        let summary = json!({
            "n": self.counter,
            "method": request.method.as_str(),
            "path": request.path,
            "query": request.query,
            "now": now.as_ms(),
            "token": request.header_value("x-token"),
            "headers": request.headers,
            "body_len": request.body.len(),
            "body_fnv": format!("{:016x}", fnv(0, &request.body)),
            "signature": format!("{:016x}", keyed_hash(b"secret", &request.body)),
        });
        let mut response = if request.path.starts_with("/raw") {
            // Binary echo: the body reversed plus a non-UTF-8 trailer.
            let mut body: Vec<u8> = request.body.iter().rev().copied().collect();
            body.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
            Response { status: 200, headers: vec![("Content-Type".into(), "application/octet-stream".into())], body }
        } else if request.path == "/empty" {
            Response::new(204)
        } else if request.path == "/redirect" {
            Response::new(302).header("Location", "/elsewhere")
        } else {
            let status = match request.path.as_str() {
                "/missing" => 404,
                "/boom" => 500,
                "/limited" => 429,
                _ => 200,
            };
            Response::json(status, &summary)
        };
        response = response
            .header("X-Counter", self.counter.to_string())
            .header("set-cookie", "a=1")
            .header("X-Other", "between")
            .header("Set-Cookie", "b=2");
        if request.path == "/dated" {
            response = response.header("Date", "Thu, 01 Jan 1970 00:00:00 GMT");
        }
        self.log_hash = fnv(self.log_hash, &serde_json::to_vec(&summary).unwrap());
        response
    }
}

pub fn toy() -> (ToyHandle, SharedService) {
    let t = Arc::new(Mutex::new(Toy::default()));
    let s: SharedService = t.clone();
    (t, s)
}

pub type ToyHandle = Arc<Mutex<Toy>>;

/// Three fresh toys, one per link (handles in `Link::ALL` order).
pub fn toys() -> (Vec<ToyHandle>, Vec<(Link, SharedService)>) {
    let mut handles = Vec::new();
    let mut services = Vec::new();
    for link in Link::ALL {
        let (t, s) = toy();
        handles.push(t);
        services.push((link, s));
    }
    (handles, services)
}

/// A small deterministic PRNG (no dependency).
pub struct Lcg(pub u64);
impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
}

const PATHS: &[&str] = &[
    "/api/push/abc123",
    "/api/v1/connections/ä ö",
    "/raw/bin",
    "/missing",
    "/boom",
    "/limited",
    "/redirect",
    "/empty",
    "/dated",
    "/a%2Fb",
    "/semi;colon/+plus",
    "/q?hash#x",
    "/",
];
const KEYS: &[&str] = &["status", "msg", "ping", "", "a b", "é", "k&=+"];
const VALUES: &[&str] = &["up", "hello world", "a&b=c", "100%", "+", "", "ünï", "x=y;z"];
const HEADERS: &[(&str, &str)] = &[
    ("X-Token", "t1"),
    ("x-token", "t2"),
    ("Content-Type", "application/json"),
    ("Accept", "application/json"),
    ("User-Agent", "erp/1.0"),
    ("X-Dup", "1"),
    ("x-dup", "2"),
    ("Authorization", "Bearer abc"),
    ("X-Unicode", "héllo wörld"),
    ("X-Empty", ""),
];

/// The `i`-th request of a deterministic mix (methods, odd paths, queries, headers, bodies).
pub fn gen_request(rng: &mut Lcg) -> Request {
    let method = *rng.pick(&[Method::Get, Method::Post, Method::Put, Method::Delete]);
    let mut r = Request::new(method, *rng.pick(PATHS));
    for _ in 0..rng.next() % 4 {
        let (k, v) = (*rng.pick(KEYS), *rng.pick(VALUES));
        r = r.query_param(k, v);
    }
    for _ in 0..rng.next() % 5 {
        let (k, v) = *rng.pick(HEADERS);
        r = r.header(k, v);
    }
    let len = (rng.next() % 80) as usize;
    r.body = (0..len).map(|_| rng.next() as u8).collect();
    r
}

pub fn gen_fault(rng: &mut Lcg) -> WireFault {
    match rng.next() % 10 {
        0 => WireFault::Refuse,
        1 => WireFault::Status { code: 429, retry_after_s: Some(7) },
        2 => WireFault::Status { code: 503, retry_after_s: None },
        3 => WireFault::Status { code: 502, retry_after_s: Some(0) },
        _ => WireFault::None,
    }
}
