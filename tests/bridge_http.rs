//! HTTP end to end against the Bridge mock and the ERP's webhook receiver (SPEC 4.1, 4.2): every
//! endpoint over a real socket (401, 404, 429, pagination), and signed deliveries to the
//! receiver, each answered the same over HTTP as in-process.

use std::sync::{Arc, Mutex};

use syncsim::logic::bridge::Erp;
use syncsim::logic::bridge::recovery::ApiAuth;
use syncsim::logic::bridge::{WebhookOutcome, ledger::Applied, signature};
use syncsim::net::{Method, Request, Response};
use syncsim::sim::engine::transport::http::{HttpOptions, HttpTransport};
use syncsim::sim::engine::transport::{Exchange, InProcess, Link, SharedService, Transport, WireFault};
use syncsim::time::{Duration, Instant};
use syncsim::world::bridge::{BridgeConfig, BridgeWorld, RequestStatus};

const T0: Instant = Instant::from_ms(1_772_406_000_000);

fn auth() -> ApiAuth {
    let c = BridgeConfig::default();
    ApiAuth { client_id: c.client_id, client_secret: c.client_secret, version: c.api_version }
}

fn json(r: &Response) -> serde_json::Value {
    serde_json::from_slice(&r.body).expect("a JSON body")
}

/// Both transports on their own copy of the same world; every exchange must answer the same.
struct Twin {
    http: HttpTransport,
    direct: InProcess,
    worlds: [Arc<Mutex<BridgeWorld>>; 2],
}

impl Twin {
    fn new(config: BridgeConfig) -> Self {
        let worlds = [Arc::new(Mutex::new(BridgeWorld::new(config.clone()))), Arc::new(Mutex::new(BridgeWorld::new(config)))];
        let (a, b): (SharedService, SharedService) = (worlds[0].clone(), worlds[1].clone());
        let http =
            HttpTransport::start_with([(Link::BridgeApi, a)], HttpOptions { record_requests: true, ..HttpOptions::default() }).unwrap();
        Twin { http, direct: InProcess::new([(Link::BridgeApi, b)]), worlds }
    }
    fn call(&mut self, now: Instant, r: &Request) -> Response {
        let over_http = self.http.exchange(now, Link::BridgeApi, r, WireFault::None);
        let in_process = self.direct.exchange(now, Link::BridgeApi, r, WireFault::None);
        assert_eq!(over_http, in_process, "HTTP and in-process differ for {} {}", r.method.as_str(), r.path);
        match over_http {
            Exchange::Answered(r) => r,
            Exchange::Refused => panic!("refused"),
        }
    }
}

fn create(twin: &mut Twin, now: Instant, reference: &str) -> String {
    let body = serde_json::json!({"client_reference": reference, "transactions": [{"amount": 12.5, "currency": "EUR", "label": "x"}]});
    let r = twin.call(
        now,
        &auth().sign(
            Request::new(Method::Post, "/v3/payment/payment-links")
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&body).unwrap()),
        ),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    json(&r)["id"].as_str().unwrap().to_string()
}

#[test]
fn every_endpoint_answers_over_a_real_socket_with_401_404_and_pagination() {
    let mut twin = Twin::new(BridgeConfig::default());
    // 401 without the auth headers, with the error body.
    let r = twin.call(T0, &Request::new(Method::Get, "/v3/payment/payment-links/x"));
    assert_eq!(r.status, 401);
    let e = json(&r);
    assert!(e["type"].is_string() && e["message"].is_string() && e["documentation_url"].is_string(), "{e}");
    // 404 for an unknown link, with auth.
    assert_eq!(twin.call(T0, &auth().sign(Request::new(Method::Get, "/v3/payment/payment-links/nope"))).status, 404);
    assert_eq!(twin.call(T0, &auth().sign(Request::new(Method::Post, "/v3/payment/payment-links/nope/revoke"))).status, 404);
    // Create, read, revoke.
    let a = create(&mut twin, T0, "INV-1");
    let got = json(&twin.call(T0, &auth().sign(Request::new(Method::Get, format!("/v3/payment/payment-links/{a}")))));
    assert_eq!((got["status"].as_str(), got["client_reference"].as_str()), (Some("valid"), Some("INV-1")));
    let revoked = twin.call(T0, &auth().sign(Request::new(Method::Post, format!("/v3/payment/payment-links/{a}/revoke"))));
    assert_eq!((revoked.status, json(&revoked)["status"].as_str()), (200, Some("revoked")));
    // Pagination: five requests on one link (four rejected, each retried), two per page.
    let b = create(&mut twin, T0, "INV-2");
    // The payer acts on both worlds alike.
    for world in &twin.worlds {
        let mut w = world.lock().unwrap();
        for k in 0..5 {
            let at = T0 + Duration::from_secs(k * 10);
            let id = w.initiate_payment(at, &b).unwrap();
            w.advance_request(
                at + Duration::from_secs(1),
                &id,
                if k < 4 { RequestStatus::Rjct } else { RequestStatus::Acsc },
                Some("AM04"),
            );
        }
    }
    let mut uri = Some(format!("/v3/payment/payment-requests?payment_link_id={b}&limit=2"));
    let mut seen = Vec::new();
    while let Some(u) = uri {
        let (path, query) = u.split_once('?').unwrap();
        let mut r = Request::new(Method::Get, path);
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            r = r.query_param(&k, v.into_owned());
        }
        let page = json(&twin.call(T0 + Duration::MINUTE, &auth().sign(r)));
        seen.extend(page["resources"].as_array().unwrap().iter().map(|x| x["status"].as_str().unwrap().to_string()));
        uri = page["pagination"]["next_uri"].as_str().map(str::to_string);
    }
    assert_eq!(seen, ["RJCT", "RJCT", "RJCT", "RJCT", "ACSC"]);
    assert!(twin.http.received_requests(Link::BridgeApi).unwrap().len() >= 7, "the calls crossed the socket");
}

#[test]
fn over_the_rate_limit_the_api_answers_429_with_retry_after_over_http() {
    let mut twin =
        Twin::new(BridgeConfig { rate_limit: 3, rate_window: Duration::from_mins(5), retry_after_on_429: true, ..BridgeConfig::default() });
    let get = auth().sign(Request::new(Method::Get, "/v3/payment/payment-links/nope"));
    for k in 0..3 {
        assert_eq!(twin.call(T0 + Duration::from_secs(k), &get).status, 404);
    }
    let limited = twin.call(T0 + Duration::from_secs(3), &get);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header_value("retry-after"), Some("297"), "the oldest slot frees at T0 + 5 min");
    assert_eq!(twin.call(T0 + Duration::from_mins(5), &get).status, 404, "a slot is free again");
}

#[test]
fn the_receiver_accepts_a_signed_delivery_once_and_rejects_a_forged_one_over_http() {
    let erp = Arc::new(Mutex::new(Erp::new(b"whsec_test".to_vec())));
    {
        let mut e = erp.lock().unwrap();
        let inv = e.issue_invoice("INV-1".into(), 1250, T0);
        e.link_created(inv, "L1".into(), T0, T0 + Duration::DAY);
    }
    let service: SharedService = erp.clone();
    let mut http = HttpTransport::start([(Link::Webhooks, service)]).unwrap();
    let body = br#"{"content":{"client_reference":"INV-1","end_to_end_id":"e","payment_link_id":"L1","payment_request_id":"R1","payment_transaction_id":"R1","status":"ACSC","status_reason":null},"timestamp":1772406001000,"type":"payment.transaction.updated"}"#.to_vec();
    let delivery = |sig: String| {
        Request::new(Method::Post, "/webhooks/bridge")
            .header("content-type", "application/json")
            .header(signature::HEADER, sig)
            .body(body.clone())
    };
    let status = |e: Exchange| match e {
        Exchange::Answered(r) => r.status,
        Exchange::Refused => 0,
    };
    let forged = delivery(signature::sign(b"wrong", &body));
    assert_eq!(status(http.exchange(T0, Link::Webhooks, &forged, WireFault::None)), 401);
    let good = delivery(signature::header_value(&[b"old-secret", b"whsec_test"], &body));
    assert_eq!(status(http.exchange(T0, Link::Webhooks, &good, WireFault::None)), 200);
    assert_eq!(status(http.exchange(T0 + Duration::SECOND, Link::Webhooks, &good, WireFault::None)), 200, "a replay is acknowledged");
    let e = erp.lock().unwrap();
    assert_eq!(e.ledger().records().len(), 1, "recorded once");
    let outcomes: Vec<WebhookOutcome> = e.received().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [WebhookOutcome::BadSignature, WebhookOutcome::Applied(Applied::Recorded), WebhookOutcome::Applied(Applied::Duplicate)]
    );
}
