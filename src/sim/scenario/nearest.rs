//! The valid name nearest to a misspelt one, so that a problem can say "did you mean" instead of
//! listing the first names in alphabetical order (issue #16, item 6).

/// The candidate closest to `found`, if one is close enough to be a likely typo: Jaro–Winkler
/// similarity (which favours a shared beginning, as in `ttd_max` → `ttd_down_max_s`) of at least
/// 0.8, or a candidate that contains `found` whole. Ties go to the first candidate.
pub fn nearest<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let found_lower = found.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let lower = c.to_lowercase();
        let mut score = strsim::jaro_winkler(&found_lower, &lower);
        if !found_lower.is_empty() && lower.contains(&found_lower) {
            score = score.max(0.9);
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(score, _)| *score >= 0.8).map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_name_finds_the_name_it_was_meant_to_be() {
        let metrics = ["monitors.bridge.detected", "monitors.bridge.false_alerts", "monitors.bridge.ttd_down_max_s", "sync.attempts"];
        assert_eq!(nearest("monitors.bridge.ttd_max", metrics), Some("monitors.bridge.ttd_down_max_s"));
        assert_eq!(nearest("weigth", ["id", "name", "capacity", "weight"]), Some("weight"));
        assert_eq!(nearest("bnpp", ["bnp", "lcl"]), Some("bnp"));
    }

    #[test]
    fn a_name_like_none_of_them_has_no_suggestion() {
        assert_eq!(nearest("colour", ["id", "capacity", "weight"]), None);
        assert_eq!(nearest("x", Vec::<&str>::new()), None);
    }
}
