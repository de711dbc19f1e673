//! Where each value of a JSON text starts: a map from field path (`sync.connectors[2].capacity`,
//! the notation of `serde_path_to_error`) to line and column, so that every problem found on the
//! typed scenario can point at the text. Object members point at their key, array elements and
//! the root at their value. Runs only on text that `serde_json` already accepted.

use std::collections::BTreeMap;

/// 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

pub type PositionIndex = BTreeMap<String, Pos>;

struct Scanner<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    pos: Pos,
    index: PositionIndex,
}

pub fn index(text: &str) -> PositionIndex {
    let mut s = Scanner { chars: text.chars().peekable(), pos: Pos { line: 1, column: 1 }, index: BTreeMap::new() };
    s.skip_ws();
    let root = s.pos;
    s.index.insert(String::new(), root);
    s.value(String::new());
    s.index
}

/// Join a parent path and an object key the way `serde_path_to_error` prints paths.
pub fn join_key(parent: &str, key: &str) -> String {
    if parent.is_empty() { key.to_string() } else { format!("{parent}.{key}") }
}

pub fn join_index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

impl Scanner<'_> {
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
    fn string(&mut self) -> String {
        let mut out = String::new();
        self.bump(); // opening quote
        while let Some(c) = self.bump() {
            match c {
                '"' => break,
                '\\' => {
                    if let Some(e) = self.bump() {
                        out.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
    /// Recursion depth is bounded by serde_json's own limit (128), which accepted this text.
    fn value(&mut self, path: String) {
        self.skip_ws();
        match self.chars.peek() {
            Some('{') => {
                self.bump();
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
                            let child = join_key(&path, &key);
                            self.index.entry(child.clone()).or_insert(at);
                            self.skip_ws();
                            self.bump(); // ':'
                            self.value(child);
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
                            let child = join_index(&path, i);
                            let at = self.pos;
                            self.index.entry(child.clone()).or_insert(at);
                            self.value(child);
                            i += 1;
                        }
                        None => break,
                    }
                }
            }
            Some('"') => {
                self.string();
            }
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
        assert_eq!(idx["a"], Pos { line: 2, column: 3 });
        assert_eq!(idx["b"], Pos { line: 3, column: 3 });
        assert_eq!(idx["b[0]"], Pos { line: 3, column: 10 });
        assert_eq!(idx["b[0].c"], Pos { line: 3, column: 11 });
        assert_eq!(idx["b[1]"], Pos { line: 3, column: 25 });
    }
}
