//! The plan of a whole run: expansion turns a checked scenario and a seed into one
//! [`ScenarioPlan`]: the sync world (connections, banks, world events; shared by every
//! variant), and per variant its sync settings and its jobs plan (jobs, heartbeats, Kuma
//! monitors, the network's fault plan, the jobs timeline). The loops, the analyses and the
//! commands read the plan; none of them goes back to the file model for a setting.

use crate::logic::sync::{BackoffSettings, SpreadingSettings, SyncRules};
use crate::sim::scenario::Scenario;
use crate::sim::scenario::expand::{SyncPlan, expand};
use crate::sim::scenario::jobs_plan::JobsPlan;
use crate::sim::scenario::model::{ReportSettings, Variant};

/// Everything a run of `scenario` with one seed simulates.
#[derive(Clone, Debug)]
pub struct ScenarioPlan {
    pub seed: u64,
    /// The connections and world events, the same for every variant.
    pub sync: SyncPlan,
    /// What the sync loop measures and how often.
    pub report: ReportSettings,
    /// The file's variants, or one `baseline` with the scenario's own settings.
    pub variants: Vec<VariantPlan>,
}

/// One variant: its name, its sync settings and its jobs plan (a variant may change job
/// frequencies).
#[derive(Clone, Debug)]
pub struct VariantPlan {
    pub name: String,
    pub sync: SyncSettings,
    pub jobs: JobsPlan,
}

/// The sync settings of one variant: the variant's where it names them, else the file's.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    pub rules: SyncRules,
    pub spreading: SpreadingSettings,
    pub backoff: BackoffSettings,
}

impl SyncSettings {
    pub fn of(scenario: &Scenario, variant: &Variant) -> Self {
        let s = &scenario.file.sync;
        SyncSettings {
            rules: SyncRules {
                autosync_frequency: variant.autosync_frequency.unwrap_or(s.autosync_frequency),
                retry_wrongpass: variant.retry_wrongpass.unwrap_or(s.retry_wrongpass) == 1,
                wrongpass_row_resets_on_user_action: variant
                    .wrongpass_row_resets_on_user_action
                    .unwrap_or(s.wrongpass_row_resets_on_user_action),
            },
            spreading: variant.spreading.clone().unwrap_or_else(|| s.spreading.clone()),
            backoff: variant.backoff.unwrap_or(s.backoff),
        }
    }
}

impl ScenarioPlan {
    pub fn new(scenario: &Scenario, seed: u64) -> Self {
        let variants = scenario
            .variants()
            .iter()
            .map(|v| VariantPlan {
                name: v.name.clone(),
                sync: SyncSettings::of(scenario, v),
                jobs: JobsPlan::new(scenario, Some(v), seed),
            })
            .collect();
        ScenarioPlan { seed, sync: expand(scenario, seed), report: scenario.file.report.clone(), variants }
    }
}
