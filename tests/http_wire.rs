//! What really crosses the socket: recorded requests, raw bytes, injected statuses, refusals.

#[path = "http_common/mod.rs"]
mod common;

use std::time::Duration as WallDuration;

use common::{keyed_hash, toy, toys};
use syncsim::net::{Method, Request, Response};
use syncsim::sim::engine::transport::http::{HttpOptions, HttpTransport, TransportError};
use syncsim::sim::engine::transport::{Exchange, InProcess, Link, Transport, WireFault, injected_status};
use syncsim::time::Instant;

fn recording(services: Vec<(Link, syncsim::sim::engine::transport::SharedService)>) -> HttpTransport {
    HttpTransport::start_with(services, HttpOptions { record_requests: true, ..HttpOptions::default() }).expect("start")
}

fn answered(e: Exchange) -> Response {
    match e {
        Exchange::Answered(r) => r,
        Exchange::Refused => panic!("refused"),
    }
}

#[test]
fn requests_really_cross_a_socket() {
    let (handles, services) = toys();
    let mut http = recording(services);
    let body = b"status=up&msg=OK".to_vec();
    let req = Request::new(Method::Post, "/api/push/abc 123")
        .query_param("status", "up")
        .query_param("msg", "a&b=c d")
        .query_param("status", "ünï")
        .header("X-Token", "t1")
        .body(body.clone());
    let now = Instant::from_ms(1_700_000_123_456);
    answered(http.exchange(now, Link::KumaPush, &req, WireFault::None));
    answered(http.exchange(now, Link::KumaPush, &Request::new(Method::Delete, "/x"), WireFault::Status { code: 503, retry_after_s: None }));
    assert_eq!(http.exchange(now, Link::KumaPush, &Request::new(Method::Get, "/y"), WireFault::Refuse), Exchange::Refused);

    let got = http.received_requests(Link::KumaPush).expect("recording on");
    assert_eq!(got.len(), 2, "the refused one never reached the mock");
    let first = &got[0];
    assert_eq!(first.method.as_str(), "POST");
    assert_eq!(first.url.path(), "/api/push/abc%20123");
    let query: Vec<(String, String)> = first.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(query, req.query);
    assert_eq!(first.body, body);
    assert_eq!(first.headers.get("x-syncsim-now-ms").unwrap(), "1700000123456");
    assert_eq!(first.headers.get("x-token").unwrap(), "t1");
    // Sent to the mock's own loopback address (wiremock rebuilds `url` as http://localhost/...).
    assert_eq!(format!("http://{}", first.headers.get("host").unwrap().to_str().unwrap()), http.uri(Link::KumaPush));
    assert_eq!(got[1].method.as_str(), "DELETE");
    assert_eq!(got[1].headers.get("x-syncsim-fault").unwrap(), "503");
    assert!(http.received_requests(Link::BridgeApi).unwrap().is_empty());

    // The service saw the same request, decoded, with virtual time and none of the HTTP extras.
    let toy = handles[1].lock().unwrap();
    assert_eq!(toy.counter, 1, "the injected status did not reach the service");
    assert_eq!(toy.seen[0], req);
    assert_eq!(toy.nows, vec![now.as_ms()]);
}

#[test]
fn raw_bodies_survive_byte_for_byte() {
    let (t, s) = toy();
    let mut http = HttpTransport::start([(Link::Webhooks, s)]).expect("start");
    let (t2, s2) = toy();
    let mut local = InProcess::new([(Link::Webhooks, s2)]);

    // Every byte value, invalid UTF-8 sequences, NULs and CR/LF.
    let mut binary: Vec<u8> = (0..=255u8).collect();
    binary.extend_from_slice(&[0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x00, b'\r', b'\n', 0xff]);
    // A JSON body whose exact bytes are signed: odd spacing, key order, escapes vs literal UTF-8,
    // a trailing newline. Any re-serialisation would change the signature.
    let json = b"{\"z\":1,  \"a\" : \"\\u00e9t\xc3\xa9\",\"n\":1.0e0}\n".to_vec();
    for (path, body) in [("/raw/bin", binary.clone()), ("/hook", json.clone())] {
        let req = Request::new(Method::Post, path).header("Content-Type", "application/json").body(body.clone());
        let a = http.exchange(Instant::from_ms(5), Link::Webhooks, &req, WireFault::None);
        let b = local.exchange(Instant::from_ms(5), Link::Webhooks, &req, WireFault::None);
        assert_eq!(a, b);
        let r = answered(a);
        if path == "/raw/bin" {
            let mut expected: Vec<u8> = body.iter().rev().copied().collect();
            expected.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
            assert_eq!(r.body, expected, "binary response body");
        } else {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["signature"], format!("{:016x}", keyed_hash(b"secret", &json)));
        }
    }
    assert_eq!(t.lock().unwrap().bodies, vec![binary, json]);
    assert_eq!(*t.lock().unwrap(), *t2.lock().unwrap());
}

#[test]
fn injected_statuses_are_real_responses_from_the_mock() {
    let (handles, services) = toys();
    let mut http = recording(services);
    let req = Request::new(Method::Post, "/api/v1/payments").body(b"{}".to_vec());

    let r = answered(http.exchange(Instant::from_ms(1), Link::BridgeApi, &req, WireFault::Status { code: 429, retry_after_s: Some(7) }));
    assert_eq!(r.status, 429);
    assert_eq!(r.header_value("Retry-After"), Some("7"));
    assert_eq!(r, injected_status(429, Some(7)));

    let r = answered(http.exchange(Instant::from_ms(2), Link::BridgeApi, &req, WireFault::Status { code: 503, retry_after_s: None }));
    assert_eq!(r.status, 503);
    assert_eq!(r.header_value("retry-after"), None);
    assert_eq!(r, injected_status(503, None));

    // Both went over the wire to the mock, and neither reached the service.
    assert_eq!(http.received_requests(Link::BridgeApi).unwrap().len(), 2);
    assert_eq!(handles[0].lock().unwrap().counter, 0);

    // The same with a raw client, to see the real status line and header.
    let uri = format!("{}/x", http.uri(Link::BridgeApi));
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let resp = agent.get(&uri).header("x-syncsim-fault", "429;retry-after=7").call().unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers().get("retry-after").unwrap(), "7");
}

#[test]
fn refused_is_a_real_refused_connection_and_quick() {
    let (_, mut services) = toys();
    services.retain(|(l, _)| *l != Link::Webhooks);
    let mut http = HttpTransport::start(services).expect("start");

    // Nothing listens on the refusal port: a raw connect is refused by the kernel.
    let err = std::net::TcpStream::connect_timeout(&http.refusal_addr(), WallDuration::from_secs(2)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);

    let started = std::time::Instant::now();
    for _ in 0..50 {
        let e = http.exchange(Instant::from_ms(0), Link::KumaPush, &Request::new(Method::Get, "/api/push/x"), WireFault::Refuse);
        assert_eq!(e, Exchange::Refused);
    }
    // A link without a service refuses as in-process does.
    assert_eq!(
        http.exchange(Instant::from_ms(0), Link::Webhooks, &Request::new(Method::Post, "/hook"), WireFault::None),
        Exchange::Refused
    );
    let elapsed = started.elapsed();
    assert!(elapsed < WallDuration::from_secs(2), "51 refusals took {elapsed:?}");
    assert!(http.errors().is_empty(), "{:?}", http.errors());
}

#[test]
fn no_redirects_no_retries_and_errors_are_answers() {
    let (handles, services) = toys();
    let mut http = HttpTransport::start(services).expect("start");
    let now = Instant::from_ms(10);
    let r = answered(http.exchange(now, Link::BridgeApi, &Request::new(Method::Get, "/redirect"), WireFault::None));
    assert_eq!((r.status, r.header_value("location")), (302, Some("/elsewhere")));
    let r = answered(http.exchange(now, Link::BridgeApi, &Request::new(Method::Post, "/boom"), WireFault::None));
    assert_eq!(r.status, 500);
    let r = answered(http.exchange(now, Link::BridgeApi, &Request::new(Method::Put, "/missing"), WireFault::None));
    assert_eq!(r.status, 404);
    let r = answered(http.exchange(now, Link::BridgeApi, &Request::new(Method::Put, "/limited"), WireFault::None));
    assert_eq!(r.status, 429);
    // One service call per exchange: nothing followed the redirect or retried the errors.
    let toy = handles[0].lock().unwrap();
    assert_eq!(toy.counter, 4);
    assert!(toy.seen.iter().all(|r| r.path != "/elsewhere"));
}

#[test]
fn response_headers_keep_the_service_order_case_and_duplicates() {
    let (_, services) = toys();
    let mut http = HttpTransport::start(services).expect("start");
    let r = answered(http.exchange(Instant::from_ms(3), Link::KumaPush, &Request::new(Method::Get, "/dated"), WireFault::None));
    let names: Vec<&str> = r.headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["content-type", "X-Counter", "set-cookie", "X-Other", "Set-Cookie", "Date"]);
    assert_eq!(r.headers[2].1, "a=1");
    assert_eq!(r.headers[4].1, "b=2");
    assert_eq!(r.headers[5].1, "Thu, 01 Jan 1970 00:00:00 GMT", "the service's Date, not hyper's");
}

#[test]
fn unrepresentable_requests_are_recorded_errors_not_panics() {
    let (handles, services) = toys();
    let mut http = HttpTransport::start(services).expect("start");
    let bad = [
        Request::new(Method::Get, "/x").header("X-Bad", "line\nbreak"),
        Request::new(Method::Get, "/x").header("x-syncsim-now-ms", "0"),
        Request::new(Method::Get, "/x").header("Content-Length", "3"),
        Request::new(Method::Get, "/a/../b"),
        Request::new(Method::Get, "no-slash"),
    ];
    for req in &bad {
        assert_eq!(http.exchange(Instant::from_ms(0), Link::BridgeApi, req, WireFault::None), Exchange::Refused);
    }
    let errors = http.take_errors();
    assert_eq!(errors.len(), bad.len());
    assert!(errors.iter().all(|e| matches!(e, TransportError::Unrepresentable { .. })), "{errors:?}");
    assert_eq!(handles[0].lock().unwrap().counter, 0);
}

struct Panicky;
impl syncsim::net::Service for Panicky {
    fn handle(&mut self, _: Instant, _: &Request) -> Response {
        panic!("model bug")
    }
}

#[test]
fn a_panicking_service_panics_the_caller_as_in_process() {
    let service: syncsim::sim::engine::transport::SharedService = std::sync::Arc::new(std::sync::Mutex::new(Panicky));
    let mut http = HttpTransport::start([(Link::BridgeApi, service.clone())]).expect("start");
    let req = Request::new(Method::Get, "/x");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        http.exchange(Instant::from_ms(0), Link::BridgeApi, &req, WireFault::None)
    }));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("model bug"), "{message}");
    assert!(service.is_poisoned(), "the lock is poisoned, as in-process");
}

/// Runs `f` on a thread and fails (instead of hanging the suite) if it takes longer than `limit`.
fn within(limit: WallDuration, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => handle.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => std::panic::resume_unwind(handle.join().unwrap_err()),
        Err(e) => panic!("did not finish within {limit:?}: {e}"),
    }
}

#[test]
fn starting_and_dropping_many_transports_does_not_hang() {
    within(WallDuration::from_secs(120), || {
        let req = Request::new(Method::Post, "/api/push/x").body(b"hi".to_vec());
        for i in 0..10 {
            let (_, services) = toys();
            let mut http = HttpTransport::start(services).expect("start");
            answered(http.exchange(Instant::from_ms(i), Link::KumaPush, &req, WireFault::None));
        }
        // 8 transports = 24 servers alive at once, each with a pooled connection, dropped together.
        let mut all = Vec::new();
        for i in 0..8 {
            let (_, services) = toys();
            let mut http = HttpTransport::start(services).expect("start");
            for link in Link::ALL {
                answered(http.exchange(Instant::from_ms(i), link, &req, WireFault::None));
            }
            all.push(http);
        }
        drop(all);
        // Started and dropped inside another tokio runtime's context.
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let _guard = rt.enter();
        for i in 0..3 {
            let (_, services) = toys();
            let mut http = recording(services);
            answered(http.exchange(Instant::from_ms(i), Link::BridgeApi, &req, WireFault::None));
            assert_eq!(http.received_requests(Link::BridgeApi).unwrap().len(), 1);
        }
    });
}

/// Not an assertion on speed: prints requests per second over loopback.
#[test]
fn measure_sequential_throughput() {
    let (handles, services) = toys();
    let mut http = HttpTransport::start(services).expect("start");
    let req = Request::new(Method::Post, "/api/push/abc123").query_param("status", "up").header("X-Token", "t").body(vec![b'x'; 256]);
    let n = 2_000;
    let started = std::time::Instant::now();
    for i in 0..n {
        let r = answered(http.exchange(Instant::from_ms(i), Link::KumaPush, &req, WireFault::None));
        assert_eq!(r.status, 200);
    }
    let elapsed = started.elapsed();
    assert_eq!(handles[1].lock().unwrap().counter, n as u64);
    println!("HTTP loopback: {n} sequential requests in {elapsed:?} = {:.0} req/s", n as f64 / elapsed.as_secs_f64());
}

/// The transport resets each wiremock server every 1 024 calls (wiremock keeps every matched
/// request otherwise); across the remounts every call still reaches the service, and a
/// recording transport, which never resets, keeps every request.
#[test]
fn every_call_is_answered_across_the_periodic_remount_and_recording_keeps_them_all() {
    let n = 2 * 1024 + 3;
    let req = Request::new(Method::Post, "/api/push/abc123").query_param("status", "up");
    for record_requests in [false, true] {
        let (handles, services) = toys();
        let mut http = HttpTransport::start_with(services, HttpOptions { record_requests, ..HttpOptions::default() }).expect("start");
        for i in 0..n {
            assert_eq!(answered(http.exchange(Instant::from_ms(i), Link::KumaPush, &req, WireFault::None)).status, 200, "call {i}");
        }
        assert_eq!(handles[1].lock().unwrap().counter, n as u64);
        assert!(http.take_errors().is_empty());
        if record_requests {
            assert_eq!(http.received_requests(Link::KumaPush).map(|r| r.len()), Some(n as usize));
        }
    }
}
