//! The same 200 requests and faults through `InProcess` and `HttpTransport` give equal exchanges
//! and equal final service states.

#[path = "http_common/mod.rs"]
mod common;

use common::{Lcg, gen_fault, gen_request, toys};
use syncsim::sim::engine::transport::http::HttpTransport;
use syncsim::sim::engine::transport::{Exchange, InProcess, Link, Transport};
use syncsim::time::{Duration, Instant};

fn run(transport: &mut dyn Transport, seed: u64, n: usize) -> Vec<Exchange> {
    let mut rng = Lcg(seed);
    let mut now = Instant::from_ms(1_700_000_000_000);
    let mut out = Vec::new();
    for _ in 0..n {
        let link = *rng.pick(&Link::ALL);
        let request = gen_request(&mut rng);
        let fault = gen_fault(&mut rng);
        now += Duration::from_ms((rng.next() % 5_000) as i64);
        out.push(transport.exchange(now, link, &request, fault));
    }
    out
}

#[test]
fn in_process_and_http_agree_on_200_requests() {
    let (in_toys, in_services) = toys();
    let (http_toys, http_services) = toys();
    let mut in_process = InProcess::new(in_services);
    let mut http = HttpTransport::start(http_services).expect("start");

    let a = run(&mut in_process, 42, 200);
    let b = run(&mut http, 42, 200);
    assert!(http.errors().is_empty(), "transport errors: {:?}", http.errors());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "exchange {i} differs");
    }
    assert_eq!(a.len(), b.len());

    // The mix really exercised everything.
    let refused = a.iter().filter(|e| matches!(e, Exchange::Refused)).count();
    let statuses: std::collections::BTreeSet<u16> =
        a.iter().filter_map(|e| if let Exchange::Answered(r) = e { Some(r.status) } else { None }).collect();
    assert!(refused > 5, "refused {refused}");
    for s in [200, 204, 302, 404, 429, 500, 502, 503] {
        assert!(statuses.contains(&s), "status {s} not exercised: {statuses:?}");
    }

    for (x, y) in in_toys.iter().zip(&http_toys) {
        let (x, y) = (x.lock().unwrap(), y.lock().unwrap());
        assert!(x.counter > 10);
        assert_eq!(*x, *y, "service states differ");
    }
}

#[test]
fn a_link_without_a_service_behaves_the_same() {
    let (_, mut in_services) = toys();
    let (_, mut http_services) = toys();
    in_services.retain(|(l, _)| *l != Link::Webhooks);
    http_services.retain(|(l, _)| *l != Link::Webhooks);
    let mut in_process = InProcess::new(in_services);
    let mut http = HttpTransport::start(http_services).expect("start");
    let a = run(&mut in_process, 7, 60);
    let b = run(&mut http, 7, 60);
    assert_eq!(a, b);
    assert!(http.errors().is_empty(), "{:?}", http.errors());
}
