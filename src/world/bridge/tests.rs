//! One test per rule of SPEC 4.1, through the HTTP face where the rule is about the API.

use serde_json::{Value, json};

use super::*;
use crate::net::{Method, Request, Response, Service};
use crate::time::{Duration, Instant};

/// Every event waiting in `poll_event`, oldest first.
fn drain(w: &mut BridgeWorld) -> Vec<BridgeEvent> {
    std::iter::from_fn(|| w.poll_event()).collect()
}

fn t0() -> Instant {
    Instant::parse_rfc3339("2026-03-02T09:00:00Z").unwrap()
}

fn world() -> BridgeWorld {
    BridgeWorld::new(BridgeConfig::default())
}

fn authed(method: Method, path: &str) -> Request {
    Request::new(method, path)
        .header("Client-Id", "syncsim-client")
        .header("client-secret", "syncsim-secret")
        .header("BRIDGE-VERSION", "2025-01-15")
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

fn create_request(body: Value) -> Request {
    authed(Method::Post, "/v3/payment/payment-links").body(serde_json::to_vec(&body).unwrap())
}

fn invoice(reference: &str) -> Value {
    json!({ "client_reference": reference, "transactions": [{ "amount": 12.5, "currency": "EUR", "label": "Invoice" }] })
}

/// Create a link over HTTP at `now`; returns its id.
fn create(w: &mut BridgeWorld, now: Instant, reference: &str) -> String {
    let response = w.handle(now, &create_request(invoice(reference)));
    assert_eq!(response.status, 201, "{:?}", body(&response));
    body(&response)["id"].as_str().unwrap().to_string()
}

fn get_link(w: &mut BridgeWorld, now: Instant, id: &str) -> Response {
    w.handle(now, &authed(Method::Get, &format!("/v3/payment/payment-links/{id}")))
}

fn revoke(w: &mut BridgeWorld, now: Instant, id: &str) -> Response {
    w.handle(now, &authed(Method::Post, &format!("/v3/payment/payment-links/{id}/revoke")))
}

fn error_type(response: &Response) -> String {
    let b = body(response);
    assert!(b["message"].is_string() && b["documentation_url"].as_str().unwrap().starts_with("https://docs.bridgeapi.io/"));
    b["type"].as_str().unwrap().to_string()
}

#[test]
fn calls_without_any_auth_header_are_401() {
    let mut w = world();
    let full = authed(Method::Get, "/v3/payment/payment-requests");
    assert_eq!(w.handle(t0(), &full).status, 200);
    for missing in ["client-id", "client-secret", "bridge-version"] {
        let mut r = full.clone();
        r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(missing));
        let response = w.handle(t0(), &r);
        assert_eq!(response.status, 401, "without {missing}");
        assert_eq!(error_type(&response), "unauthorized");
    }
}

#[test]
fn calls_with_a_wrong_id_secret_or_version_are_401() {
    let mut w = world();
    for (name, value) in [("Client-Id", "other"), ("Client-Secret", "guess"), ("Bridge-Version", "2021-06-01")] {
        let mut r = authed(Method::Get, "/v3/payment/payment-requests");
        r.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        let r = r.header(name, value);
        assert_eq!(w.handle(t0(), &r).status, 401, "wrong {name}");
    }
    // A 401 is checked before routing: even an unknown path answers 401.
    assert_eq!(w.handle(t0(), &Request::new(Method::Get, "/nowhere")).status, 401);
}

#[test]
fn creating_a_link_answers_201_with_id_and_url_and_expires_15_minutes_later() {
    let mut w = world();
    let response = w.handle(t0(), &create_request(invoice("INV-1")));
    assert_eq!(response.status, 201);
    let b = body(&response);
    let id = b["id"].as_str().unwrap();
    assert_eq!(b["url"], format!("https://pay.bridgeapi.io/link/{id}"));
    let link = w.link(id).unwrap();
    assert_eq!(link.status, LinkStatus::Valid);
    assert_eq!(link.created_at, t0());
    assert_eq!(link.expired_at, t0() + Duration::from_mins(15));
    assert_eq!(link.amount_cents, 1250);
    assert!(drain(&mut w).is_empty(), "creation emits no webhook");
}

#[test]
fn expired_date_may_be_90_days_ahead_but_not_a_millisecond_more() {
    let mut w = world();
    let with_expiry = |w: &mut BridgeWorld, at: Instant| {
        let mut b = invoice("INV-1");
        b["expired_date"] = json!(at.to_rfc3339());
        w.handle(t0(), &create_request(b))
    };
    let ok = with_expiry(&mut w, t0() + Duration::from_days(90));
    assert_eq!(ok.status, 201);
    assert_eq!(w.link(body(&ok)["id"].as_str().unwrap()).unwrap().expired_at, t0() + Duration::from_days(90));
    let too_far = with_expiry(&mut w, t0() + Duration::from_days(90) + Duration::MILLISECOND);
    assert_eq!(too_far.status, 400);
    assert_eq!(error_type(&too_far), "invalid_request");
}

#[test]
fn expired_date_not_after_now_or_unparseable_is_400() {
    let mut w = world();
    for date in [json!(t0().to_rfc3339()), json!((t0() - Duration::SECOND).to_rfc3339()), json!("tomorrow"), json!(12)] {
        let mut b = invoice("INV-1");
        b["expired_date"] = date.clone();
        assert_eq!(w.handle(t0(), &create_request(b)).status, 400, "expired_date {date}");
    }
    assert!(w.links().is_empty());
}

#[test]
fn malformed_create_bodies_are_400() {
    let mut w = world();
    let bad_json = authed(Method::Post, "/v3/payment/payment-links").body(b"{\"client_reference\": ".to_vec());
    assert_eq!(w.handle(t0(), &bad_json).status, 400);
    for b in [
        json!({ "transactions": [{ "amount": 1.0, "currency": "EUR", "label": "x" }] }),
        json!({ "client_reference": "INV-1", "transactions": [] }),
        json!({ "client_reference": "INV-1" }),
        json!({ "client_reference": "", "transactions": [{ "amount": 1.0, "currency": "EUR" }] }),
        json!({ "client_reference": "INV-1", "transactions": [{ "amount": -1.0, "currency": "EUR" }] }),
        json!({ "client_reference": "INV-1", "transactions": [{ "amount": 1.001, "currency": "EUR" }] }),
        json!({ "client_reference": "INV-1", "transactions": [{ "amount": 1.0, "currency": "euro" }] }),
    ] {
        let response = w.handle(t0(), &create_request(b.clone()));
        assert_eq!(response.status, 400, "{b}");
        assert_eq!(error_type(&response), "invalid_request");
    }
    assert!(w.links().is_empty());
}

#[test]
fn get_link_answers_the_link_with_its_transaction() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-7");
    let response = get_link(&mut w, t0() + Duration::SECOND, &id);
    assert_eq!(response.status, 200);
    assert_eq!(
        body(&response),
        json!({
            "id": id,
            "status": "valid",
            "client_reference": "INV-7",
            "expired_at": "2026-03-02T09:15:00.000Z",
            "created_at": "2026-03-02T09:00:00.000Z",
            "url": format!("https://pay.bridgeapi.io/link/{id}"),
            "transactions": [{ "amount": 12.5, "currency": "EUR", "label": "Invoice" }],
        })
    );
}

#[test]
fn get_unknown_link_is_404() {
    let mut w = world();
    let response = get_link(&mut w, t0(), "00000011-0000-4000-8000-000000000099");
    assert_eq!(response.status, 404);
    assert_eq!(error_type(&response), "not_found");
}

#[test]
fn revoking_a_valid_link_makes_it_revoked() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let at = t0() + Duration::from_mins(3);
    let response = revoke(&mut w, at, &id);
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["status"], "revoked");
    assert_eq!(w.link(&id).unwrap().revoked_at, Some(at));
    let events = drain(&mut w);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventType::LinkUpdated);
    assert_eq!(events[0].content["payment_link_status"], "revoked");
    // Revoked is final: it no longer expires, and a second revoke changes nothing.
    assert_eq!(w.poll_timeout(), None);
    assert_eq!(revoke(&mut w, at + Duration::from_hours(1), &id).status, 200);
    assert_eq!(w.link(&id).unwrap().revoked_at, Some(at));
    assert!(drain(&mut w).is_empty());
}

#[test]
fn revoking_a_completed_link_leaves_it_completed() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let r = w.initiate_payment(t0() + Duration::MINUTE, &id).unwrap();
    assert!(w.advance_request(t0() + Duration::from_secs(90), &r, RequestStatus::Pdng, None));
    drain(&mut w);
    let response = revoke(&mut w, t0() + Duration::from_mins(2), &id);
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["status"], "completed");
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Completed);
    assert_eq!(w.link(&id).unwrap().revoked_at, None);
    assert!(drain(&mut w).is_empty());
}

#[test]
fn revoking_an_expired_link_answers_it_expired() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let response = revoke(&mut w, t0() + Duration::from_hours(1), &id);
    assert_eq!(response.status, 200);
    assert_eq!(body(&response)["status"], "expired");
}

#[test]
fn revoking_an_unknown_link_is_404() {
    let mut w = world();
    assert_eq!(revoke(&mut w, t0(), "nope").status, 404);
}

#[test]
fn a_link_expires_lazily_at_exactly_expired_at() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let expiry = t0() + Duration::from_mins(15);
    assert_eq!(w.poll_timeout(), Some(expiry));
    assert_eq!(body(&get_link(&mut w, expiry - Duration::MILLISECOND, &id))["status"], "valid");
    assert!(drain(&mut w).is_empty());
    assert_eq!(body(&get_link(&mut w, expiry, &id))["status"], "expired");
    let events = drain(&mut w);
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].at, events[0].kind), (expiry, EventType::LinkUpdated));
    assert_eq!(events[0].content["payment_link_status"], "expired");
    // Expired is final: asking again emits nothing more.
    assert_eq!(body(&get_link(&mut w, expiry + Duration::HOUR, &id))["status"], "expired");
    assert!(drain(&mut w).is_empty());
    assert_eq!(w.poll_timeout(), None);
}

#[test]
fn handle_timeout_expires_every_due_link_in_expiry_order() {
    let mut w = world();
    let a = create(&mut w, t0() + Duration::MINUTE, "A");
    let b = create(&mut w, t0(), "B");
    let c = create(&mut w, t0() + Duration::from_mins(10), "C");
    w.handle_timeout(t0() + Duration::from_mins(16));
    let expired: Vec<_> = drain(&mut w).iter().map(|e| e.content["payment_link_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(expired, vec![b.clone(), a.clone()]);
    assert_eq!(w.link(&c).unwrap().status, LinkStatus::Valid);
    assert_eq!(w.poll_timeout(), Some(t0() + Duration::from_mins(25)));
}

#[test]
fn payment_on_an_expired_or_revoked_link_is_refused() {
    let mut w = world();
    let expiring = create(&mut w, t0(), "INV-1");
    let revoked = create(&mut w, t0(), "INV-2");
    revoke(&mut w, t0() + Duration::MINUTE, &revoked);
    drain(&mut w);
    // Lazy: no one called handle_timeout, the attempt itself notices the expiry (and says so).
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(15), &expiring), Err(PayRefused::Expired));
    assert_eq!(drain(&mut w).len(), 1);
    assert_eq!(w.link(&expiring).unwrap().status, LinkStatus::Expired);
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(2), &revoked), Err(PayRefused::Revoked));
    assert_eq!(w.initiate_payment(t0(), "nope"), Err(PayRefused::UnknownLink));
    assert!(w.requests().is_empty());
}

#[test]
fn a_second_attempt_is_allowed_after_an_abandon_but_not_while_one_is_in_progress_nor_once_confirmed() {
    // docs.bridgeapi.io "Payment links statuses": "While a Payment Link is active, customers can
    // make multiple attempts"; it is completed once the payer confirmed at the bank.
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let first = w.initiate_payment(t0() + Duration::MINUTE, &id).unwrap();
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Valid, "an attempt alone does not complete the link");
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(2), &id), Err(PayRefused::InProgress));
    assert!(w.advance_request(t0() + Duration::from_mins(3), &first, RequestStatus::Rjct, Some("ABANDONED")));
    let second = w.initiate_payment(t0() + Duration::from_mins(4), &id).unwrap();
    assert_ne!(first, second);
    assert!(w.advance_request(t0() + Duration::from_mins(5), &second, RequestStatus::Pdng, None));
    assert_eq!(w.link(&id).unwrap().completed_at, Some(t0() + Duration::from_mins(5)), "confirmed: completed");
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(6), &id), Err(PayRefused::Completed));
    assert!(w.advance_request(t0() + Duration::from_mins(7), &second, RequestStatus::Acsc, None));
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(8), &id), Err(PayRefused::Completed));
    assert_eq!(w.request(&second).unwrap().acsc_at, Some(t0() + Duration::from_mins(7)));
    assert_eq!(w.requests_of(&id).len(), 2);
}

#[test]
fn a_link_whose_payer_abandoned_stays_valid_and_expires() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let first = w.initiate_payment(t0() + Duration::MINUTE, &id).unwrap();
    w.advance_request(t0() + Duration::from_mins(2), &first, RequestStatus::Rjct, Some("ABANDONED"));
    assert_eq!(w.poll_timeout(), Some(t0() + Duration::from_mins(15)), "still valid, so it still expires");
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(15), &id), Err(PayRefused::Expired));
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Expired);
}

#[test]
fn a_confirmation_after_the_link_left_valid_is_rejected_and_completes_nothing() {
    // Model choice (the docs are silent): the payer confirms at the bank after the link expired.
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let r = w.initiate_payment(t0() + Duration::from_mins(14), &id).unwrap();
    assert!(w.advance_request(t0() + Duration::from_mins(16), &r, RequestStatus::Acsc, None));
    let request = w.request(&r).unwrap();
    assert_eq!((request.status, request.status_reason.as_deref()), (RequestStatus::Rjct, Some(super::model::LINK_INACTIVE_REASON)));
    assert_eq!((request.acsc_at, request.confirmed_at), (None, None));
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Expired);
}

#[test]
fn a_completed_link_can_end_rjct_and_then_takes_no_new_request() {
    // docs.bridgeapi.io "Payment links statuses": "the payment link will keep the final status
    // completed. In that case, you have to create a new payment link to get paid."
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let r = w.initiate_payment(t0() + Duration::MINUTE, &id).unwrap();
    assert!(w.advance_request(t0() + Duration::from_mins(2), &r, RequestStatus::Pdng, None));
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Completed);
    assert_eq!(w.link(&id).unwrap().completed_at, Some(t0() + Duration::from_mins(2)));
    assert!(w.advance_request(t0() + Duration::from_mins(3), &r, RequestStatus::Rjct, Some("AC04")));
    assert_eq!(body(&get_link(&mut w, t0() + Duration::from_hours(1), &id))["status"], "completed");
    let request = w.request(&r).unwrap();
    assert_eq!((request.status, request.status_reason.as_deref(), request.acsc_at), (RequestStatus::Rjct, Some("AC04"), None));
    assert_eq!(w.initiate_payment(t0() + Duration::from_mins(4), &id), Err(PayRefused::Completed));
}

#[test]
fn a_final_request_never_moves() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let r = w.initiate_payment(t0(), &id).unwrap();
    assert!(w.advance_request(t0() + Duration::SECOND, &r, RequestStatus::Pdng, None));
    assert!(!w.advance_request(t0() + Duration::SECOND, &r, RequestStatus::Actc, None), "no moving backwards");
    assert!(!w.advance_request(t0() + Duration::SECOND, &r, RequestStatus::Pdng, None), "a repeat is no move");
    assert!(w.advance_request(t0() + Duration::from_secs(2), &r, RequestStatus::Acsc, None));
    drain(&mut w);
    for status in [RequestStatus::Rjct, RequestStatus::Part, RequestStatus::Acsc, RequestStatus::Crea] {
        assert!(!w.advance_request(t0() + Duration::from_secs(3), &r, status, Some("late")));
    }
    let request = w.request(&r).unwrap();
    assert_eq!((request.status, request.updated_at), (RequestStatus::Acsc, t0() + Duration::from_secs(2)));
    assert!(drain(&mut w).is_empty());
    assert!(!w.advance_request(t0(), "nope", RequestStatus::Acsc, None));
}

/// Follow `next_uri` (path + query) as a client would.
fn follow(uri: &str) -> Request {
    let (path, query) = uri.split_once('?').unwrap();
    let mut r = authed(Method::Get, path);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        r = r.query_param(&k, v.into_owned());
    }
    r
}

#[test]
fn pagination_with_limit_2_over_5_requests_walks_3_pages_following_next_uri() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let other = create(&mut w, t0(), "INV-2");
    let mut made = Vec::new();
    for k in 0..5 {
        let at = t0() + Duration::from_secs(10 * k);
        let r = w.initiate_payment(at, &id).unwrap();
        w.advance_request(at + Duration::SECOND, &r, RequestStatus::Rjct, Some("AM04"));
        made.push(r);
        if k == 2 {
            w.initiate_payment(at, &other).unwrap(); // another link's request, never listed
        }
    }
    let mut request =
        authed(Method::Get, "/v3/payment/payment-requests").query_param("payment_link_id", id.clone()).query_param("limit", "2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = w.handle(t0() + Duration::HOUR, &request);
        assert_eq!(response.status, 200);
        let b = body(&response);
        pages += 1;
        let resources = b["resources"].as_array().unwrap();
        assert!(resources.len() <= 2);
        for r in resources {
            assert_eq!(r["payment_link_id"], id.as_str());
            assert_eq!((r["status"].as_str(), r["status_reason"].as_str()), (Some("RJCT"), Some("AM04")));
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match b["pagination"]["next_uri"].as_str() {
            Some(uri) => {
                assert!(uri.starts_with("/v3/payment/payment-requests?") && uri.contains("limit=2"), "{uri}");
                request = follow(uri);
            }
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made);
}

#[test]
fn listing_without_a_link_lists_every_request_in_creation_order() {
    let mut w = world();
    let a = create(&mut w, t0(), "A");
    let b = create(&mut w, t0(), "B");
    let rb = w.initiate_payment(t0() + Duration::SECOND, &b).unwrap();
    let ra = w.initiate_payment(t0() + Duration::from_secs(2), &a).unwrap();
    let response = w.handle(t0() + Duration::MINUTE, &authed(Method::Get, "/v3/payment/payment-requests"));
    let b = body(&response);
    let ids: Vec<_> = b["resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![rb.as_str(), ra.as_str()]);
    assert_eq!(b["pagination"]["next_uri"], Value::Null);
    let first = &b["resources"][0];
    assert_eq!(first["created_at"], "2026-03-02T09:00:01.000Z");
    assert_eq!(first["status"], "CREA");
    assert_eq!(first["status_reason"], Value::Null);
}

#[test]
fn listing_an_unknown_link_is_200_and_empty() {
    let mut w = world();
    let r = authed(Method::Get, "/v3/payment/payment-requests").query_param("payment_link_id", "nope");
    let response = w.handle(t0(), &r);
    assert_eq!(response.status, 200);
    assert_eq!(body(&response), json!({ "resources": [], "pagination": { "next_uri": null } }));
}

#[test]
fn a_bad_limit_or_an_unknown_after_is_400() {
    let mut w = world();
    for limit in ["0", "501", "-1", "ten", ""] {
        let r = authed(Method::Get, "/v3/payment/payment-requests").query_param("limit", limit);
        assert_eq!(w.handle(t0(), &r).status, 400, "limit {limit:?}");
    }
    let r = authed(Method::Get, "/v3/payment/payment-requests").query_param("limit", "500");
    assert_eq!(w.handle(t0(), &r).status, 200);
    let r = authed(Method::Get, "/v3/payment/payment-requests").query_param("after", "00000022-0000-4000-8000-000000000001");
    let response = w.handle(t0(), &r);
    assert_eq!(response.status, 400);
    assert_eq!(error_type(&response), "invalid_request");
}

#[test]
fn an_unknown_path_is_404_and_a_wrong_method_is_405() {
    let mut w = world();
    for path in ["/v3/payment", "/v3/payment/payment-links/", "/v3/payment/payment-links/x/pay", "/v2/payment-links"] {
        let response = w.handle(t0(), &authed(Method::Get, path));
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(error_type(&response), "not_found");
    }
    for (method, path) in [
        (Method::Get, "/v3/payment/payment-links"),
        (Method::Delete, "/v3/payment/payment-links/x"),
        (Method::Get, "/v3/payment/payment-links/x/revoke"),
        (Method::Post, "/v3/payment/payment-requests"),
    ] {
        let response = w.handle(t0(), &authed(method, path));
        assert_eq!(response.status, 405, "{} {path}", method.as_str());
        assert_eq!(error_type(&response), "method_not_allowed");
        assert!(response.header_value("Allow").is_some());
    }
}

#[test]
fn the_rate_limit_lets_2000_calls_pass_then_answers_429_with_retry_after_until_the_window_passes() {
    let mut w = BridgeWorld::new(BridgeConfig { retry_after_on_429: true, ..BridgeConfig::default() });
    let probe = authed(Method::Get, "/v3/payment/payment-links/unknown");
    for k in 0..2000 {
        assert_eq!(w.handle(t0() + Duration::from_ms(100 * k), &probe).status, 404, "call {k}");
    }
    // 200.5 s in, all 2000 slots are taken; the oldest frees at t0 + 5 min, 99.5 s later.
    let refused = w.handle(t0() + Duration::from_ms(200_500), &probe);
    assert_eq!(refused.status, 429);
    assert_eq!(error_type(&refused), "rate_limited");
    assert_eq!(refused.header_value("retry-after"), Some("100"));
    // 401s take no slot and are not rate limited.
    assert_eq!(w.handle(t0() + Duration::from_secs(200), &Request::new(Method::Get, "/x")).status, 401);
    // At t0 + 5 min the first call leaves the window: one call passes ...
    assert_eq!(w.handle(t0() + Duration::from_mins(5), &probe).status, 404);
    // ... and takes the freed slot; the next frees 100 ms later, announced as at least 1 s.
    let refused = w.handle(t0() + Duration::from_mins(5), &probe);
    assert_eq!((refused.status, refused.header_value("Retry-After")), (429, Some("1")));
    let stats = w.api_stats();
    assert_eq!(stats.calls, 2004);
    assert_eq!(stats.rate_limited, 2);
    assert_eq!(stats.by_status.iter().map(|(&s, &n)| (s, n)).collect::<Vec<_>>(), vec![(401, 1), (404, 2001), (429, 2)]);
}

#[test]
fn events_are_emitted_in_order_with_their_types() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    let r = w.initiate_payment(t0() + Duration::MINUTE, &id).unwrap();
    w.advance_request(t0() + Duration::from_mins(2), &r, RequestStatus::Rjct, Some("AM04"));
    let r2 = w.initiate_payment(t0() + Duration::from_mins(3), &id).unwrap();
    w.advance_request(t0() + Duration::from_mins(4), &r2, RequestStatus::Acsc, None);
    let events = drain(&mut w);
    let kinds: Vec<_> = events.iter().map(|e| (e.at, e.kind.name(), e.content["status"].as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (t0() + Duration::MINUTE, "payment.transaction.created", None),
            (t0() + Duration::from_mins(2), "payment.transaction.updated", Some("RJCT")),
            (t0() + Duration::from_mins(3), "payment.transaction.created", None),
            (t0() + Duration::from_mins(4), "payment.transaction.updated", Some("ACSC")),
            (t0() + Duration::from_mins(4), "payment.link.updated", None),
        ]
    );
    assert_eq!(events[4].content["payment_link_status"], "completed", "completed when confirmed, after the request's event");
    assert_eq!(events[1].content["status_reason"], "AM04");
    let r2_event = 3;
    let request = w.request(&r2).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&events[r2_event].content),
        ["client_reference", "end_to_end_id", "payment_link_id", "payment_request_id", "payment_transaction_id", "status"],
        "docs.bridgeapi.io \"Payments webhooks\": a null status_reason is left out"
    );
    assert_eq!(
        keys(&events[0].content),
        ["client_reference", "end_to_end_id", "payment_link_id", "payment_request_id", "payment_transaction_id"],
        "payment.transaction.created carries no status"
    );
    assert_eq!(events[r2_event].content["payment_transaction_id"], request.transaction_id.as_str());
    assert_eq!(events[r2_event].content["end_to_end_id"], request.end_to_end_id.as_str());
    assert_eq!(events[r2_event].content["client_reference"], "INV-1");
    assert_eq!(keys(&events[4].content), ["client_reference", "payment_link_id", "payment_link_status"]);
    assert!(drain(&mut w).is_empty(), "a drain takes everything");
}

#[test]
fn a_webhook_body_is_the_three_key_envelope_byte_for_byte() {
    let mut w = world();
    let id = create(&mut w, t0(), "INV-1");
    w.revoke_link(t0(), &id);
    let r = {
        let id = create(&mut w, t0(), "INV-2");
        w.initiate_payment(t0() + Duration::from_ms(1), &id).unwrap()
    };
    let events = drain(&mut w);
    assert_eq!(
        String::from_utf8(events[0].body()).unwrap(),
        concat!(
            r#"{"content":{"client_reference":"INV-1","payment_link_id":"00000011-0000-4000-8000-000000000001","#,
            r#""payment_link_status":"revoked"},"timestamp":1772442000000,"type":"payment.link.updated"}"#
        )
    );
    assert_eq!(r, "00000022-0000-4000-8000-000000000001");
    assert_eq!(
        String::from_utf8(events[1].body()).unwrap(),
        concat!(
            r#"{"content":{"client_reference":"INV-2","end_to_end_id":"00000044-0000-4000-8000-000000000001","#,
            r#""payment_link_id":"00000011-0000-4000-8000-000000000002","payment_request_id":"00000022-0000-4000-8000-000000000001","#,
            r#""payment_transaction_id":"00000033-0000-4000-8000-000000000001"},"#,
            r#""timestamp":1772442000001,"type":"payment.transaction.created"}"#
        )
    );
}

#[test]
fn ids_are_deterministic_across_two_worlds() {
    let run = || {
        let mut w = world();
        let a = create(&mut w, t0(), "A");
        let b = create(&mut w, t0(), "B");
        let ra = w.initiate_payment(t0() + Duration::SECOND, &a).unwrap();
        let rb = w.initiate_payment(t0() + Duration::SECOND, &b).unwrap();
        w.advance_request(t0() + Duration::MINUTE, &rb, RequestStatus::Acsc, None);
        let bodies: Vec<Vec<u8>> = drain(&mut w).iter().map(BridgeEvent::body).collect();
        (a, b, ra, rb, bodies, w.requests().to_vec(), w.links().to_vec())
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(first.0, "00000011-0000-4000-8000-000000000001");
    assert_eq!(first.3, "00000022-0000-4000-8000-000000000002");
}

#[test]
fn statuses_serialize_as_the_api_spells_them() {
    assert_eq!(serde_json::to_string(&RequestStatus::Acsc).unwrap(), "\"ACSC\"");
    assert_eq!(serde_json::from_str::<RequestStatus>("\"RJCT\"").unwrap(), RequestStatus::Rjct);
    assert_eq!(serde_json::to_string(&LinkStatus::Completed).unwrap(), "\"completed\"");
    assert_eq!(serde_json::to_string(&EventType::LinkUpdated).unwrap(), "\"payment.link.updated\"");
    for s in [RequestStatus::Crea, RequestStatus::Actc, RequestStatus::Pdng] {
        assert!(!s.is_final());
    }
    for s in [RequestStatus::Acsc, RequestStatus::Rjct, RequestStatus::Part] {
        assert!(s.is_final());
    }
    assert!(!LinkStatus::Valid.is_final() && LinkStatus::Expired.is_final() && LinkStatus::Revoked.is_final());
}

#[test]
fn the_revoke_answer_model_choices_empty_and_empty_or_400() {
    use super::RevokeAnswer;
    let mut w = BridgeWorld::new(BridgeConfig { revoke_answer: RevokeAnswer::Empty, ..BridgeConfig::default() });
    let id = create(&mut w, t0(), "INV-1");
    let response = revoke(&mut w, t0() + Duration::MINUTE, &id);
    assert_eq!((response.status, response.body.len()), (200, 0));
    assert_eq!(w.link(&id).unwrap().status, LinkStatus::Revoked);

    let mut w = BridgeWorld::new(BridgeConfig { revoke_answer: RevokeAnswer::EmptyOr400, ..BridgeConfig::default() });
    let valid = create(&mut w, t0(), "INV-1");
    let done = create(&mut w, t0(), "INV-2");
    let r = w.initiate_payment(t0() + Duration::MINUTE, &done).unwrap();
    w.advance_request(t0() + Duration::from_mins(2), &r, RequestStatus::Pdng, None);
    let response = revoke(&mut w, t0() + Duration::from_mins(3), &valid);
    assert_eq!((response.status, response.body.len()), (200, 0));
    assert_eq!(revoke(&mut w, t0() + Duration::from_mins(3), &done).status, 400, "a completed link");
    assert_eq!(w.link(&done).unwrap().status, LinkStatus::Completed);
    assert_eq!(revoke(&mut w, t0() + Duration::from_mins(4), &valid).status, 400, "already revoked");
}

#[test]
fn by_default_a_429_carries_no_retry_after() {
    // Model choice (issue #19 point 8): the docs do not document Retry-After on 429.
    let mut w = BridgeWorld::new(BridgeConfig { rate_limit: 1, ..BridgeConfig::default() });
    let probe = authed(Method::Get, "/v3/payment/payment-links/unknown");
    assert_eq!(w.handle(t0(), &probe).status, 404);
    let refused = w.handle(t0() + Duration::SECOND, &probe);
    assert_eq!((refused.status, refused.header_value("Retry-After")), (429, None));
}
