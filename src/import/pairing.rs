//! Which job pushes to which monitor. Neither side records it (Kuma knows a push token, Dolibarr
//! a job; the push is in the job's code), so the user says it with `--link ROWID=MONITOR`, or the
//! importer proposes the closest names and prints the table for the user to confirm.
//!
//! Closeness: both names are cut into words (camelCase and punctuation split, accents folded,
//! lower case, a plural `s` dropped, French and English filler words left out), and the score is
//! the Dice coefficient of the two word sets, where two words match when equal or, for words of
//! five letters or more, when they share their first five letters (`temporaire`/`temporary`)
//! or differ by a typo (normalised Levenshtein ≥ 0.8). A pair needs [`THRESHOLD`]; each job and
//! each monitor is used once, best scores first, ties by job rowid then monitor id.

use super::dolibarr::CronJobRow;
use super::error::ImportError;
use super::kuma::KumaMonitor;

/// The lowest score the importer pairs on its own.
pub const THRESHOLD: f64 = 0.5;

/// `--link ROWID=MONITOR` as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub rowid: u32,
    /// A monitor id, name or push token.
    pub monitor: String,
}

impl Link {
    pub fn parse(text: &str) -> Result<Link, ImportError> {
        let err = |why: &str| {
            ImportError::argument(
                &format!("--link {text}"),
                format!("expected ROWID=MONITOR (a job's rowid, then a monitor's id, name or push token): {why}"),
            )
        };
        let (rowid, monitor) = text.split_once('=').ok_or_else(|| err("no `=`"))?;
        let rowid = rowid.trim().parse::<u32>().map_err(|_| err("the rowid is not a number"))?;
        let monitor = monitor.trim();
        if monitor.is_empty() {
            return Err(err("no monitor"));
        }
        Ok(Link { rowid, monitor: monitor.to_string() })
    }
}

/// How a pair was made.
#[derive(Clone, Debug, PartialEq)]
pub enum PairedBy {
    Link(String),
    Name { score: f64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub rowid: u32,
    pub monitor: i64,
    pub by: PairedBy,
}

/// The pairs (by job rowid) and what is left on each side.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Pairing {
    pub pairs: Vec<Pair>,
    pub unpaired_jobs: Vec<u32>,
    /// Push monitors only; other types are not candidates.
    pub unpaired_monitors: Vec<i64>,
    /// True when the pairs come from `--link`.
    pub linked: bool,
}

impl Pairing {
    pub fn monitor_of(&self, rowid: u32) -> Option<i64> {
        self.pairs.iter().find(|p| p.rowid == rowid).map(|p| p.monitor)
    }
    pub fn job_of(&self, monitor: i64) -> Option<u32> {
        self.pairs.iter().find(|p| p.monitor == monitor).map(|p| p.rowid)
    }
}

/// Pair `jobs` with the push monitors among `monitors`: by `links` when any is given (and then
/// only by them), else by name.
pub fn pair(jobs: &[CronJobRow], monitors: &[KumaMonitor], links: &[Link]) -> Result<Pairing, ImportError> {
    let push: Vec<&KumaMonitor> = monitors.iter().filter(|m| m.is_push()).collect();
    let mut pairs: Vec<Pair> = Vec::new();
    if links.is_empty() {
        let mut scored: Vec<(f64, u32, i64)> = Vec::new();
        for j in jobs {
            for m in &push {
                let s = similarity(&j.label, &m.name);
                if s >= THRESHOLD {
                    scored.push((s, j.rowid, m.id));
                }
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for (score, rowid, monitor) in scored {
            if pairs.iter().all(|p| p.rowid != rowid && p.monitor != monitor) {
                pairs.push(Pair { rowid, monitor, by: PairedBy::Name { score } });
            }
        }
    } else {
        for link in links {
            let flag = format!("--link {}={}", link.rowid, link.monitor);
            if !jobs.iter().any(|j| j.rowid == link.rowid) {
                return Err(ImportError::argument(&flag, format!("no llx_cronjob row has rowid {}", link.rowid)));
            }
            let m = resolve(monitors, &link.monitor).map_err(|why| ImportError::argument(&flag, why))?;
            if !m.is_push() {
                return Err(ImportError::argument(
                    &flag,
                    format!("monitor {} {:?} is a {} monitor: only push monitors receive a job's heartbeat", m.id, m.name, m.kind),
                ));
            }
            if pairs.iter().any(|p| p.rowid == link.rowid) {
                return Err(ImportError::argument(&flag, format!("job {} is linked twice: a job pushes to one monitor", link.rowid)));
            }
            if pairs.iter().any(|p| p.monitor == m.id) {
                return Err(ImportError::argument(&flag, format!("monitor {} is linked twice: give each monitor one job", m.id)));
            }
            pairs.push(Pair { rowid: link.rowid, monitor: m.id, by: PairedBy::Link(link.monitor.clone()) });
        }
    }
    pairs.sort_by_key(|p| p.rowid);
    let unpaired_jobs = jobs.iter().map(|j| j.rowid).filter(|r| pairs.iter().all(|p| p.rowid != *r)).collect();
    let unpaired_monitors = push.iter().map(|m| m.id).filter(|id| pairs.iter().all(|p| p.monitor != *id)).collect();
    Ok(Pairing { pairs, unpaired_jobs, unpaired_monitors, linked: !links.is_empty() })
}

/// A monitor by id, then push token, then name (exact, then ignoring case and accents).
fn resolve<'a>(monitors: &'a [KumaMonitor], text: &str) -> Result<&'a KumaMonitor, String> {
    if let Ok(id) = text.parse::<i64>() {
        if let Some(m) = monitors.iter().find(|m| m.id == id) {
            return Ok(m);
        }
    }
    if let Some(m) = monitors.iter().find(|m| m.push_token.as_deref() == Some(text)) {
        return Ok(m);
    }
    let exact: Vec<&KumaMonitor> = monitors.iter().filter(|m| m.name == text).collect();
    let loose: Vec<&KumaMonitor> = if exact.is_empty() { monitors.iter().filter(|m| fold(&m.name) == fold(text)).collect() } else { exact };
    match loose.as_slice() {
        [m] => Ok(m),
        [] => Err(format!("no Kuma monitor has the id, push token or name {text:?}")),
        many => Err(format!(
            "{} monitors are named {text:?} (ids {}): give the id",
            many.len(),
            many.iter().map(|m| m.id.to_string()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Lower case with the accents of French and other Latin-script names taken off.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

const FILLER: [&str; 24] = [
    "de", "des", "du", "la", "le", "les", "et", "en", "au", "aux", "un", "une", "pour", "par", "sur", "the", "of", "on", "an", "and", "to",
    "for", "job", "cron",
];

/// The words of a name, as described at the top of this file.
pub fn words(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            parts.push(std::mem::take(&mut current));
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        // camelCase: a capital after a small letter, or the last capital of an acronym before
        // a small letter (`HTTPServer` → HTTP, Server).
        let boundary =
            c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase())));
        if boundary {
            parts.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| fold(&p))
        .filter(|p| !(p.is_empty() || FILLER.contains(&p.as_str()) || p.len() == 1 && p.chars().all(char::is_alphabetic)))
        .map(|p| if p.len() > 3 && p.ends_with('s') && !p.ends_with("ss") { p[..p.len() - 1].to_string() } else { p })
        .collect()
}

fn words_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.chars().count() < 5 || b.chars().count() < 5 {
        return false;
    }
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= 5 || strsim::normalized_levenshtein(a, b) >= 0.8
}

/// How close two names are, from 0 (no word in common) to 1 (the same words).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    let mut used = vec![false; wb.len()];
    let mut matched = 0;
    for x in &wa {
        if let Some(k) = (0..wb.len()).find(|&k| !used[k] && words_match(x, &wb[k])) {
            used[k] = true;
            matched += 1;
        }
    }
    let score = 2.0 * matched as f64 / (wa.len() + wb.len()) as f64;
    (score * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_into_folded_words() {
        assert_eq!(words("PurgeDeleteTemporaryFilesShort"), ["purge", "delete", "temporary", "file", "short"]);
        assert_eq!(words("Récupération des paiements Bridge"), ["recuperation", "paiement", "bridge"]);
        assert_eq!(words("HTTPServer-check 2"), ["http", "server", "check", "2"]);
    }

    #[test]
    fn the_same_label_scores_one_and_unrelated_names_zero() {
        assert_eq!(similarity("Récupération des paiements Bridge", "Recuperation des paiements bridge"), 1.0);
        assert_eq!(similarity("Sync bancaire nocturne", "RecurringInvoicesJob"), 0.0);
        // purge + tempora… match: 2 × 2 / (3 + 5)
        assert_eq!(similarity("Purge fichiers temporaires", "PurgeDeleteTemporaryFilesShort"), 0.5);
    }

    #[test]
    fn a_link_parses_rowid_and_monitor() {
        assert_eq!(
            Link::parse("5=Récupération des paiements Bridge").unwrap(),
            Link { rowid: 5, monitor: "Récupération des paiements Bridge".into() }
        );
        assert!(Link::parse("x=1").is_err());
        assert!(Link::parse("5").is_err());
    }
}
