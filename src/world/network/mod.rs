//! The network between the ERP, Bridge and Kuma: what each link does to a request (refuse it,
//! lose it, answer an injected status, delay it), decided by the scenario's fault plan.

pub mod faults;
