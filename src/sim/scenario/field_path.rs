//! Where a value sits in a scenario file, as a list of segments (an object key or an array
//! index). Paths are built from the file's structure and compared segment by segment; they are
//! only turned into text to be shown, so a key such as `[`, `a.b` or one holding a line break
//! can never be mistaken for structure (issue #17, item 1).

use std::fmt;

/// One step down into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the file's root; the empty path is the whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Seg>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// A path through object keys only, written in code (`"cron.tick"`). Never used on text read
    /// from a file: keys from a file go through [`FieldPath::key`].
    pub fn keys(dotted: &str) -> Self {
        FieldPath(dotted.split('.').filter(|k| !k.is_empty()).map(|k| Seg::Key(k.to_string())).collect())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(key.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// Step down (for a scanner that walks a tree with one path).
    pub fn push(&mut self, seg: Seg) {
        self.0.push(seg);
    }

    /// Step back up.
    pub fn pop(&mut self) -> Option<Seg> {
        self.0.pop()
    }

    pub fn segments(&self) -> &[Seg] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path without its last segment, and that segment.
    pub fn split_last(&self) -> Option<(FieldPath, &Seg)> {
        let (last, parent) = self.0.split_last()?;
        Some((FieldPath(parent.to_vec()), last))
    }

    /// The path without its last segment (the root stays the root).
    pub fn parent(&self) -> FieldPath {
        FieldPath(self.0[..self.0.len().saturating_sub(1)].to_vec())
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn within(&self, other: &FieldPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// Whether the last segment is the key `name`.
    pub fn ends_with_key(&self, name: &str) -> bool {
        matches!(self.0.last(), Some(Seg::Key(k)) if k == name)
    }

    /// The path made of the first `n` segments.
    pub fn prefix(&self, n: usize) -> FieldPath {
        FieldPath(self.0[..n.min(self.0.len())].to_vec())
    }

    /// The same path with a different index at segment `at` (which must be an index).
    pub fn with_index_at(&self, at: usize, i: usize) -> FieldPath {
        let mut p = self.clone();
        if let Some(s @ Seg::Index(_)) = p.0.get_mut(at) {
            *s = Seg::Index(i);
        }
        p
    }

    /// The path of a `serde_path_to_error` error, below `self`.
    pub fn join_serde(&self, inner: &serde_path_to_error::Path) -> FieldPath {
        use serde_path_to_error::Segment;
        let mut p = self.clone();
        for s in inner.iter() {
            match s {
                Segment::Seq { index } => p.0.push(Seg::Index(*index)),
                Segment::Map { key } => p.0.push(Seg::Key(key.clone())),
                Segment::Enum { variant } => p.0.push(Seg::Key(variant.clone())),
                Segment::Unknown => {}
            }
        }
        p
    }
}

/// A key printed bare after a dot only when it cannot be read as anything else.
fn is_plain(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '$'))
}

impl fmt::Display for FieldPath {
    /// `sync.connectors[2].capacity`; other keys as JSON strings in brackets
    /// (`populations[0].connectors["a.b"]`), so control characters are escaped and a key with a
    /// line break or a terminal escape stays on one line and harmless. The root prints as `.`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str(".");
        }
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) if is_plain(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Seg::Key(k) => {
                    let quoted = serde_json::to_string(k).map_err(|_| fmt::Error)?;
                    // JSON leaves DEL and the C1 controls as they are; escape them too.
                    let quoted: String = quoted
                        .chars()
                        .map(|c| {
                            if c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) { format!("\\u{:04x}", c as u32) } else { c.to_string() }
                        })
                        .collect();
                    write!(f, "[{quoted}]")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_print_dotted_and_indices_in_brackets() {
        let p = FieldPath::keys("sync.connectors").index(2).key("capacity");
        assert_eq!(p.to_string(), "sync.connectors[2].capacity");
        assert_eq!(FieldPath::root().to_string(), ".");
    }

    #[test]
    fn keys_with_structure_or_control_characters_print_quoted_on_one_line() {
        let p = FieldPath::keys("sync.populations").index(0).key("connectors").key("[");
        assert_eq!(p.to_string(), "sync.populations[0].connectors[\"[\"]");
        let p = FieldPath::root().key("a.b\r\n\u{1b}[31m");
        assert_eq!(p.to_string(), "[\"a.b\\r\\n\\u001b[31m\"]");
        assert!(!p.to_string().contains(['\n', '\r', '\u{1b}']));
    }

    #[test]
    fn indices_order_by_number_not_by_text() {
        let a9 = FieldPath::keys("a").index(9);
        let a10 = FieldPath::keys("a").index(10);
        assert!(a9 < a10);
    }

    #[test]
    fn a_key_named_like_a_path_is_one_segment() {
        let p = FieldPath::root().key("a[0].b");
        assert_eq!(p.segments().len(), 1);
        assert!(!FieldPath::keys("a").index(0).key("b").within(&p));
    }
}
