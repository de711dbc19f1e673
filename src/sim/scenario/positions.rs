//! Where each value of a JSON text starts: a map from field path (`sync.connectors[2].capacity`)
//! to line and column, so that every problem found on the
//! typed scenario can point at the text. Object members point at their key, array elements and
//! the root at their value. Runs only on text that `serde_json` already accepted.

use std::collections::{BTreeMap, BTreeSet};

use super::field_path::{FieldPath, Seg};

/// 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

pub type PositionIndex = BTreeMap<FieldPath, Pos>;

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
    /// Built only when asked: a path and a position for every value is the costly part.
    index: Option<PositionIndex>,
    /// Which values go into the index.
    keep: Keep,
    path: FieldPath,
    duplicate_keys: Vec<(FieldPath, Pos)>,
}

/// What one pass over the text finds: where each value is, and every key that appears a second
/// time in the same object (serde_json keeps the last silently; the loader refuses it).
/// Which values an index holds.
enum Keep {
    Every,
    /// A path and the values inside it.
    Within(FieldPath),
    /// These paths only.
    Only(BTreeSet<FieldPath>),
}

pub struct Scan {
    pub index: PositionIndex,
    pub duplicate_keys: Vec<(FieldPath, Pos)>,
}

pub fn scan(text: &str) -> Scan {
    let (index, duplicate_keys) = pass(text, true, Keep::Every);
    Scan { index: index.unwrap_or_default(), duplicate_keys }
}

/// Only the keys given twice in one object: what a valid file needs, at a fraction of the cost
/// of [`scan`] (no path is kept for any other value).
pub fn duplicate_keys(text: &str) -> Vec<(FieldPath, Pos)> {
    pass(text, false, Keep::Every).1
}

fn pass(text: &str, indexing: bool, keep: Keep) -> (Option<PositionIndex>, Vec<(FieldPath, Pos)>) {
    let mut s = Scanner {
        chars: text.chars().peekable(),
        pos: Pos { line: 1, column: 1 },
        index: indexing.then(BTreeMap::new),
        keep,
        path: FieldPath::root(),
        duplicate_keys: Vec::new(),
    };
    s.skip_ws();
    let root = s.pos;
    if s.wanted() {
        if let Some(index) = &mut s.index {
            index.insert(FieldPath::root(), root);
        }
    }
    s.value();
    (s.index, s.duplicate_keys)
}

pub fn index(text: &str) -> PositionIndex {
    scan(text).index
}

/// The positions of `path` and of the values inside it only: what a finished run needs to
/// point at its expectations, without a path for each of a million timeline events (issue #17:
/// a 62 MB file took 932 MB and 12 s after its 0.4 s run, for an index of every value).
pub fn index_within(text: &str, path: &FieldPath) -> PositionIndex {
    pass(text, true, Keep::Within(path.clone())).0.unwrap_or_default()
}

/// The positions of these paths only (those that exist in the text): what locating a few
/// problems needs, where an index of every value of a large file would take gigabytes.
pub fn index_of(text: &str, paths: BTreeSet<FieldPath>) -> PositionIndex {
    pass(text, true, Keep::Only(paths)).0.unwrap_or_default()
}

impl Scanner<'_> {
    /// Whether the current value belongs in the index.
    fn wanted(&self) -> bool {
        match &self.keep {
            Keep::Every => true,
            Keep::Within(w) => self.path.within(w),
            Keep::Only(paths) => paths.contains(&self.path),
        }
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.pos.line += 1;
            self.pos.column = 1;
        } else {
            self.pos.column += 1;
        }
        Some(c)
    }
    fn skip_ws(&mut self) {
        while matches!(self.chars.peek(), Some(c) if c.is_whitespace()) {
            self.bump();
        }
    }
    /// A string's decoded value, with every JSON escape (`\u001b`, `\r`, `\"`…) decoded the way
    /// serde_json decodes it, so that keys here and keys in the parsed value are equal.
    fn string(&mut self) -> String {
        let mut raw = String::from('"');
        self.bump(); // opening quote
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => {
                    raw.push(c);
                    if let Some(e) = self.bump() {
                        raw.push(e);
                    }
                }
                c => raw.push(c),
            }
        }
        raw.push('"');
        serde_json::from_str(&raw).unwrap_or_default()
    }
    /// A string value, skipped without decoding it.
    fn skip_string(&mut self) {
        self.bump(); // opening quote
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => {
                    self.bump();
                }
                _ => {}
            }
        }
    }
    /// Recursion depth is bounded by serde_json's own limit (128), which accepted this text.
    /// `self.path` is the value's path on entry and on return.
    fn value(&mut self) {
        self.skip_ws();
        match self.chars.peek() {
            Some('{') => {
                self.bump();
                // Without an index, the keys of this object alone tell a repeated key.
                let mut seen: BTreeSet<String> = BTreeSet::new();
                loop {
                    self.skip_ws();
                    match self.chars.peek() {
                        Some('}') => {
                            self.bump();
                            break;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some('"') => {
                            let at = self.pos;
                            let key = self.string();
                            self.path.push(Seg::Key(key));
                            let repeated = match &mut self.index {
                                Some(index) if matches!(self.keep, Keep::Every) => {
                                    let fresh = !index.contains_key(&self.path);
                                    if fresh {
                                        index.insert(self.path.clone(), at);
                                    }
                                    !fresh
                                }
                                _ => {
                                    // The keys of this object alone tell a repeated key; the
                                    // first of two keeps its place in the index.
                                    let repeated = match self.path.segments().last() {
                                        Some(Seg::Key(k)) => !seen.insert(k.clone()),
                                        _ => false,
                                    };
                                    if !repeated && self.wanted() {
                                        if let Some(index) = &mut self.index {
                                            index.insert(self.path.clone(), at);
                                        }
                                    }
                                    repeated
                                }
                            };
                            if repeated {
                                self.duplicate_keys.push((self.path.clone(), at));
                            }
                            self.skip_ws();
                            self.bump(); // ':'
                            self.value();
                            self.path.pop();
                        }
                        _ => break,
                    }
                }
            }
            Some('[') => {
                self.bump();
                let mut i = 0;
                loop {
                    self.skip_ws();
                    match self.chars.peek() {
                        Some(']') => {
                            self.bump();
                            break;
                        }
                        Some(',') => {
                            self.bump();
                        }
                        Some(_) => {
                            self.path.push(Seg::Index(i));
                            if self.wanted() {
                                if let Some(index) = &mut self.index {
                                    index.entry(self.path.clone()).or_insert(self.pos);
                                }
                            }
                            self.value();
                            self.path.pop();
                            i += 1;
                        }
                        None => break,
                    }
                }
            }
            Some('"') => self.skip_string(),
            Some(_) => {
                while matches!(self.chars.peek(), Some(c) if !matches!(c, ',' | '}' | ']') && !c.is_whitespace()) {
                    self.bump();
                }
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_point_at_their_key_and_elements_at_their_value() {
        let text = "{\n  \"a\": 1,\n  \"b\": [ {\"c\": \"x\\\"y\"}, 2 ]\n}";
        let idx = index(text);
        let b = FieldPath::keys("b");
        assert_eq!(idx[&FieldPath::keys("a")], Pos { line: 2, column: 3 });
        assert_eq!(idx[&b], Pos { line: 3, column: 3 });
        assert_eq!(idx[&b.index(0)], Pos { line: 3, column: 10 });
        assert_eq!(idx[&b.index(0).key("c")], Pos { line: 3, column: 11 });
        assert_eq!(idx[&b.index(1)], Pos { line: 3, column: 25 });
    }

    #[test]
    fn escaped_keys_are_indexed_by_their_decoded_text() {
        let text = "{\"a\\u001b\\r\\\"b\": 1, \"[\": 2}";
        let idx = index(text);
        assert_eq!(idx[&FieldPath::root().key("a\u{1b}\r\"b")], Pos { line: 1, column: 2 });
        assert_eq!(idx[&FieldPath::root().key("[")], Pos { line: 1, column: 21 });
    }

    #[test]
    fn a_key_repeated_in_one_object_is_a_duplicate_and_the_first_keeps_its_position() {
        let found = scan("{\"a\": {\"x\": 1, \"x\": 2}, \"b\": [{\"x\": 1}, {\"x\": 1}]}");
        assert_eq!(found.duplicate_keys, vec![(FieldPath::keys("a.x"), Pos { line: 1, column: 16 })]);
        assert_eq!(found.index[&FieldPath::keys("a.x")], Pos { line: 1, column: 8 });
        assert_eq!(duplicate_keys("{\"a\": {\"x\": 1, \"x\": 2}, \"b\": [{\"x\": 1}, {\"x\": 1}]}"), found.duplicate_keys);
    }

    #[test]
    fn an_index_within_a_path_holds_that_part_of_the_full_index_and_nothing_else() {
        let text = "{\"timeline\": [{\"at\": 1}, {\"at\": 2}],\n \"expect\": [{\"metric\": \"a\", \"metric\": \"b\"},\n  {\"op\": 1}]}";
        let full = index(text);
        let expect = FieldPath::keys("expect");
        let part = index_within(text, &expect);
        let wanted: PositionIndex = full.iter().filter(|(p, _)| p.within(&expect)).map(|(p, at)| (p.clone(), *at)).collect();
        assert_eq!(part, wanted);
        assert_eq!(part.len(), 5, "expect, its two elements, metric (first place) and op: {part:?}");
        assert_eq!(part[&expect.index(1)], Pos { line: 3, column: 3 });
        let only: BTreeSet<FieldPath> =
            [expect.index(0).key("metric"), FieldPath::keys("timeline").index(1), FieldPath::keys("nowhere")].into();
        let few = index_of(text, only.clone());
        let wanted: PositionIndex = full.iter().filter(|(p, _)| only.contains(p)).map(|(p, at)| (p.clone(), *at)).collect();
        assert_eq!(few, wanted);
        assert_eq!(few.len(), 2);
    }
}
