//! The monitor's own answer to "when does a silence after an UP turn into DOWN" (SPEC 3.3),
//! checked against the figures the rule tests play out.

use super::*;

#[test]
fn silence_to_down_is_i_plus_1s_plus_n_r_plus_one_lateness_per_timer_when_aligned() {
    // As in retries_pending_at_3_721_001_and_3_781_002_then_down_at_3_841_003 (push at 0).
    let d = settings(I_3720, 60, 2, 0, 1).silence_to_down();
    assert_eq!(d.spec_rule().as_ms(), 3_720_000 + 1_000 + 2 * 60_000);
    assert_eq!(d.aligned().as_ms(), 3_841_003);
    assert_eq!(d.worst_case().as_ms(), 3_842_003);
}

#[test]
fn silence_to_down_with_lateness_0_is_one_second_later_when_aligned() {
    let d = settings(60, 20, 1, 0, 0).silence_to_down();
    assert_eq!(d.aligned().as_ms(), 60_000 + 2_000 + 20_000);
    assert_eq!(d.aligned(), d.worst_case());
}

#[test]
fn silence_to_down_worst_case_is_r_after_the_push_when_r_exceeds_i_plus_2s() {
    let d = settings(60, 300, 1, 0, 1).silence_to_down();
    assert_eq!(d.worst_case().as_ms(), 300_000 + 300_000 + 2);
    // R = 0 means R = I.
    assert_eq!(settings(60, 0, 2, 0, 1).silence_to_down().retries.as_ms(), 120_000);
}
