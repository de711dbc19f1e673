//! Scenario files: the format ([`model`]), reading with every problem located ([`load`]),
//! semantic checks and limits ([`validate`]), and deterministic expansion ([`expand`]).

pub mod expand;
pub mod field_path;
pub mod finding;
pub mod jobs_plan;
pub mod load;
pub mod model;
pub mod nearest;
pub mod payments;
pub mod plan;
pub mod positions;
pub mod retry_spec;
pub mod validate;

pub use load::{Problem, load_file, load_str};
pub use validate::Scenario;

/// The JSON Schema of the scenario format, as `syncsim schema` prints it.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(model::ScenarioFile)).unwrap_or_default()
}
