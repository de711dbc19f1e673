//! Reads the `llx_cronjob` rows of a `mysqldump` file (MySQL or MariaDB) into a [`RawTable`].
//!
//! What a dump looks like (mysqldump's defaults, see `../shared/fixtures/dolibarr-llx_cronjob.sql`):
//! `CREATE TABLE \`llx_cronjob\` (` with one column per line, then one or several extended
//! `INSERT INTO \`llx_cronjob\` VALUES (…),(…);` (`--skip-extended-insert` gives one per row,
//! `--complete-insert` names the columns). Strings are single-quoted with backslash escapes
//! (`\n`, `\'`, `\"`, `\\`, `\0`, `\r`, `\t`, `\Z`) or a doubled quote. The table prefix is
//! Dolibarr's `MAIN_DB_PREFIX` (`llx_` by default), so any table ending in `cronjob` is read.
//!
//! Time zone: by default (`--tz-utc`) mysqldump writes `SET TIME_ZONE='+00:00'` at the top, so
//! the TIMESTAMP column `tms` is written in UTC while DATETIME columns are written as stored
//! (Dolibarr's PHP-local time). [`RawTable::timestamps_utc`] records which.

use super::dolibarr::{RawRow, RawTable, SourceForm};
use super::error::{ImportError, Loc};

/// Parse a dump's text. Errors: no `cronjob` table, columns unknown (no CREATE TABLE and no
/// column list), or a broken INSERT (located at its line).
pub fn read(file: &str, text: &str) -> Result<RawTable, ImportError> {
    let mut s = Scanner { text: text.as_bytes(), pos: 0, line: 1 };
    let mut table: Option<String> = None;
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<RawRow> = Vec::new();
    // mysqldump --tz-utc (the default): `/*!40103 SET TIME_ZONE='+00:00' */;`
    let timestamps_utc = text.contains("SET TIME_ZONE='+00:00'");
    while s.pos < s.text.len() {
        s.skip_space_and_comments();
        if s.at_keyword("CREATE TABLE") {
            s.pos += "CREATE TABLE".len();
            s.skip_space_and_comments();
            if s.at_keyword("IF NOT EXISTS") {
                s.pos += "IF NOT EXISTS".len();
                s.skip_space_and_comments();
            }
            let name = s.identifier();
            if name.as_deref().is_some_and(is_cronjob_table) {
                columns = s.create_table_columns(file)?;
                table = name;
            } else {
                s.skip_statement(file)?;
            }
        } else if s.at_keyword("INSERT INTO") || s.at_keyword("INSERT IGNORE INTO") || s.at_keyword("REPLACE INTO") {
            let line = s.line;
            while !s.at_end() && !s.text[s.pos].is_ascii_whitespace() {
                s.pos += 1;
            }
            s.skip_space_and_comments();
            if s.at_keyword("INTO") {
                s.pos += 4;
                s.skip_space_and_comments();
            }
            let name = s.identifier();
            if !name.as_deref().is_some_and(is_cronjob_table) {
                s.skip_statement(file)?;
                continue;
            }
            s.skip_space_and_comments();
            if s.peek() == Some(b'(') {
                // --complete-insert: the INSERT names its columns.
                let named = s.column_list(file)?;
                if !columns.is_empty() && columns != named {
                    return Err(ImportError::Syntax {
                        at: Loc::line(file, line),
                        message: "the INSERT's column list differs from an earlier one".into(),
                    });
                }
                columns = named;
                s.skip_space_and_comments();
            }
            if columns.is_empty() {
                return Err(ImportError::Syntax {
                    at: Loc::line(file, line),
                    message: "the column order is unknown: dump with the CREATE TABLE (mysqldump's default) or with --complete-insert"
                        .into(),
                });
            }
            if !s.at_keyword("VALUES") {
                return Err(ImportError::Syntax { at: Loc::line(file, s.line), message: "expected VALUES after the table name".into() });
            }
            s.pos += "VALUES".len();
            s.tuples(file, columns.len(), &mut rows)?;
            table = name;
        } else if s.at_end() {
            break;
        } else {
            s.skip_statement(file)?;
        }
    }
    match table {
        Some(_) if !columns.is_empty() => {
            Ok(RawTable { file: file.to_string(), form: SourceForm::MysqlDump, columns, rows, timestamps_utc })
        }
        _ => Err(ImportError::Unrecognised {
            file: file.to_string(),
            expected: "a mysqldump of Dolibarr's llx_cronjob table",
            found: "no CREATE TABLE or INSERT INTO a `…cronjob` table".into(),
        }),
    }
}

fn is_cronjob_table(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with("cronjob")
}

struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Scanner<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }
    fn at_keyword(&self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        end <= self.text.len()
            && self.text[self.pos..end].eq_ignore_ascii_case(kw.as_bytes())
            && self.text.get(end).is_none_or(|b| !b.is_ascii_alphanumeric() && *b != b'_')
    }
    /// Whitespace, `-- …` and `# …` line comments and `/* … */` blocks (mysqldump's
    /// `/*!40101 SET … */;` are version-gated statements, not data: skipped as comments).
    fn skip_space_and_comments(&mut self) {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => {
                    self.bump();
                }
                Some(b'-') if self.text.get(self.pos + 1) == Some(&b'-') => self.skip_line(),
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.text.get(self.pos + 1) == Some(&b'*') => {
                    self.pos += 2;
                    while !(self.at_end() || self.peek() == Some(b'*') && self.text.get(self.pos + 1) == Some(&b'/')) {
                        self.bump();
                    }
                    self.pos = (self.pos + 2).min(self.text.len());
                    if self.peek() == Some(b';') {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }
    fn skip_line(&mut self) {
        while let Some(b) = self.bump() {
            if b == b'\n' {
                break;
            }
        }
    }
    /// Up to and including the next `;` outside quotes.
    fn skip_statement(&mut self, file: &str) -> Result<(), ImportError> {
        while let Some(b) = self.peek() {
            match b {
                b';' => {
                    self.bump();
                    return Ok(());
                }
                b'\'' | b'"' | b'`' => {
                    self.quoted(file, b)?;
                }
                _ => {
                    self.bump();
                }
            }
        }
        Ok(())
    }
    /// `name`, "name" or a bare name.
    fn identifier(&mut self) -> Option<String> {
        match self.peek()? {
            q @ (b'`' | b'"') => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|b| b != q) {
                    self.bump();
                }
                let name = String::from_utf8_lossy(&self.text[start..self.pos]).into_owned();
                self.bump();
                Some(name)
            }
            b if b.is_ascii_alphanumeric() || b == b'_' => {
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                    self.pos += 1;
                }
                let name = String::from_utf8_lossy(&self.text[start..self.pos]).into_owned();
                // `db`.`table` or db.table: keep the last part.
                Some(name.rsplit('.').next().unwrap_or_default().to_string())
            }
            _ => None,
        }
    }
    /// The column names of `CREATE TABLE x ( … )`: each line that starts with a quoted name.
    fn create_table_columns(&mut self, file: &str) -> Result<Vec<String>, ImportError> {
        let line = self.line;
        self.skip_space_and_comments();
        if self.bump() != Some(b'(') {
            return Err(ImportError::Syntax { at: Loc::line(file, line), message: "expected `(` after CREATE TABLE's name".into() });
        }
        let mut columns = Vec::new();
        let mut depth = 1;
        let mut item_start = true;
        while depth > 0 {
            self.skip_space_and_comments();
            let Some(b) = self.peek() else {
                return Err(ImportError::Syntax { at: Loc::line(file, line), message: "CREATE TABLE is not closed".into() });
            };
            match b {
                b'`' | b'"' if item_start && depth == 1 => {
                    if let Some(name) = self.identifier() {
                        columns.push(name);
                    }
                    item_start = false;
                }
                b'\'' => {
                    self.quoted(file, b'\'')?;
                    item_start = false;
                }
                b'(' => {
                    depth += 1;
                    self.bump();
                }
                b')' => {
                    depth -= 1;
                    self.bump();
                }
                b',' if depth == 1 => {
                    item_start = true;
                    self.bump();
                }
                _ => {
                    // A key definition (PRIMARY KEY, KEY, UNIQUE…) or a type: not a column.
                    item_start = false;
                    self.bump();
                }
            }
        }
        self.skip_statement(file)?;
        Ok(columns)
    }
    /// `(`a`, `b`, …)` of a --complete-insert.
    fn column_list(&mut self, file: &str) -> Result<Vec<String>, ImportError> {
        let line = self.line;
        self.bump();
        let mut columns = Vec::new();
        loop {
            self.skip_space_and_comments();
            match self.peek() {
                Some(b')') => {
                    self.bump();
                    return Ok(columns);
                }
                Some(b',') => {
                    self.bump();
                }
                Some(_) => match self.identifier() {
                    Some(name) => columns.push(name),
                    None => {
                        return Err(ImportError::Syntax {
                            at: Loc::line(file, line),
                            message: "a column list holds only column names".into(),
                        });
                    }
                },
                None => return Err(ImportError::Syntax { at: Loc::line(file, line), message: "the column list is not closed".into() }),
            }
        }
    }
    /// `(v, v, …), (…) … ;` appended to `rows`, each with the line where its `(` is.
    fn tuples(&mut self, file: &str, width: usize, rows: &mut Vec<RawRow>) -> Result<(), ImportError> {
        loop {
            self.skip_space_and_comments();
            let line = self.line;
            match self.bump() {
                Some(b'(') => {}
                _ => {
                    return Err(ImportError::Syntax { at: Loc::line(file, line), message: "expected `(` to start a row of values".into() });
                }
            }
            let mut values = Vec::with_capacity(width);
            loop {
                self.skip_space_and_comments();
                values.push(self.value(file)?);
                self.skip_space_and_comments();
                match self.bump() {
                    Some(b',') => continue,
                    Some(b')') => break,
                    _ => {
                        return Err(ImportError::Syntax {
                            at: Loc::line(file, self.line),
                            message: "expected `,` or `)` after a value".into(),
                        });
                    }
                }
            }
            if values.len() != width {
                return Err(ImportError::Syntax {
                    at: Loc::line(file, line),
                    message: format!("a row of {} values for {} columns", values.len(), width),
                });
            }
            rows.push(RawRow { line, values });
            self.skip_space_and_comments();
            match self.bump() {
                Some(b',') => continue,
                Some(b';') | None => return Ok(()),
                _ => return Err(ImportError::Syntax { at: Loc::line(file, self.line), message: "expected `,` or `;` after a row".into() }),
            }
        }
    }
    /// One SQL literal: NULL, a number, a quoted string (optionally `_binary`/`_utf8mb4`), or a
    /// hex literal. `None` is SQL NULL.
    fn value(&mut self, file: &str) -> Result<Option<String>, ImportError> {
        let line = self.line;
        if self.at_keyword("NULL") {
            self.pos += 4;
            return Ok(None);
        }
        if self.peek() == Some(b'_') {
            // A character-set introducer such as _binary 'abc' or _utf8mb4'abc'.
            while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.pos += 1;
            }
            self.skip_space_and_comments();
        }
        match self.peek() {
            Some(b'\'') | Some(b'"') => {
                let q = self.peek().unwrap_or(b'\'');
                self.quoted(file, q).map(Some)
            }
            Some(b'0') if matches!(self.text.get(self.pos + 1), Some(b'x') | Some(b'X')) => {
                self.pos += 2;
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_hexdigit()) {
                    self.pos += 1;
                }
                let hex = &self.text[start..self.pos];
                let bytes: Vec<u8> =
                    hex.chunks(2).filter_map(|pair| std::str::from_utf8(pair).ok().and_then(|p| u8::from_str_radix(p, 16).ok())).collect();
                Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Some(b) if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.')) {
                    self.pos += 1;
                }
                Ok(Some(String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()))
            }
            _ => Err(ImportError::Syntax {
                at: Loc::line(file, line),
                message: "expected a value (NULL, a number or a quoted string)".into(),
            }),
        }
    }
    /// A string quoted by `q`, with MySQL's backslash escapes and doubled quotes.
    fn quoted(&mut self, file: &str, q: u8) -> Result<String, ImportError> {
        let line = self.line;
        self.bump();
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.bump() else {
                return Err(ImportError::Syntax { at: Loc::line(file, line), message: "a quoted string is not closed".into() });
            };
            if b == b'\\' && q != b'`' {
                let Some(e) = self.bump() else { continue };
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'0' => 0,
                    b'Z' => 0x1a,
                    b'b' => 0x08,
                    other => other,
                });
            } else if b == q {
                if self.peek() == Some(q) {
                    self.bump();
                    out.push(q);
                } else {
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
            } else {
                out.push(b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_create_table_columns_and_an_extended_insert_with_escapes() {
        let dump = "/*M!999999\\- enable the sandbox mode */ \n-- c\n/*!40103 SET TIME_ZONE='+00:00' */;\n\
                    CREATE TABLE `llx_cronjob` (\n  `rowid` int(11) NOT NULL,\n  `label` varchar(255) DEFAULT 'a,b',\n  PRIMARY KEY (`rowid`),\n  KEY `k` (`label`)\n) ENGINE=InnoDB;\n\
                    INSERT INTO `llx_cronjob` VALUES (1,'it\\'s \\\"x\\\"\\n'),\n(2,NULL);\n";
        let t = read("d.sql", dump).unwrap();
        assert_eq!(t.columns, ["rowid", "label"]);
        assert!(t.timestamps_utc);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].values, [Some("1".to_string()), Some("it's \"x\"\n".to_string())]);
        assert_eq!(t.rows[1].values, [Some("2".to_string()), None]);
        assert_eq!((t.rows[0].line, t.rows[1].line), (10, 11));
    }

    #[test]
    fn complete_insert_names_its_columns_and_other_tables_are_skipped() {
        let dump = "INSERT INTO `llx_user` VALUES (1,'x;y');\nINSERT INTO `doli_cronjob` (`label`,`rowid`) VALUES ('a',3),('b',4);\n";
        let t = read("d.sql", dump).unwrap();
        assert_eq!(t.columns, ["label", "rowid"]);
        assert!(!t.timestamps_utc);
        assert_eq!(t.rows[1].values, [Some("b".to_string()), Some("4".to_string())]);
    }

    #[test]
    fn an_unclosed_string_is_located_at_its_line() {
        let dump = "CREATE TABLE `llx_cronjob` (`rowid` int, `label` text);\nINSERT INTO `llx_cronjob` VALUES\n(1,'never closed);\n";
        let e = read("d.sql", dump).unwrap_err().to_string();
        assert!(e.starts_with("d.sql:3: "), "{e}");
    }

    #[test]
    fn an_insert_without_known_columns_says_how_to_dump() {
        let e = read("d.sql", "INSERT INTO `llx_cronjob` VALUES (1,'a');").unwrap_err().to_string();
        assert!(e.contains("--complete-insert"), "{e}");
    }
}
