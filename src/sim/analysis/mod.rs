//! What the loops recorded, turned into figures: load metrics, alert timing against the ground
//! truth, the missed-payment figures, the report type, and its Markdown and SVG renderings.

pub mod alerts;
pub mod healthchecks;
pub mod html;
pub mod incidents;
pub mod markdown;
pub mod metrics;
pub mod payments;
pub mod plots;
pub mod report;
pub mod round;
pub mod summary;
