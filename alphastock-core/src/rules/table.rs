//! Reading the embedded rule tables: small CSV files with `#` comment lines, a header, and a last
//! column (`source`) that may hold commas.

use chrono::{NaiveDate, NaiveTime, Weekday};
use rust_decimal::Decimal;

use super::RulesError;

/// One data row of a table: its 1-based line number in the file and its cells.
pub(crate) struct Row<'a> {
    file: &'static str,
    line: usize,
    cells: Vec<&'a str>,
    header: &'a [&'a str],
}

/// The data rows of `text` (file name `file`), checked against the `expected` header.
pub(crate) fn rows<'a>(
    file: &'static str,
    text: &'a str,
    expected: &'a [&'a str],
) -> Result<Vec<Row<'a>>, RulesError> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = trimmed.splitn(expected.len(), ',').map(str::trim).collect();
        if !header_seen {
            if cells != expected {
                return Err(RulesError::Table {
                    file,
                    line,
                    reason: format!("header must be `{}`", expected.join(",")),
                });
            }
            header_seen = true;
            continue;
        }
        if cells.len() != expected.len() {
            return Err(RulesError::Table {
                file,
                line,
                reason: format!("expected {} columns, got {}", expected.len(), cells.len()),
            });
        }
        out.push(Row {
            file,
            line,
            cells,
            header: expected,
        });
    }
    if !header_seen {
        return Err(RulesError::Table {
            file,
            line: 0,
            reason: "no header".into(),
        });
    }
    Ok(out)
}

impl<'a> Row<'a> {
    fn error(&self, column: usize, reason: String) -> RulesError {
        RulesError::Table {
            file: self.file,
            line: self.line,
            reason: format!("column `{}`: {reason}", self.header[column]),
        }
    }

    /// The raw text of column `i`.
    pub(crate) fn text(&self, i: usize) -> &'a str {
        self.cells[i]
    }

    /// Column `i` as a date `YYYY-MM-DD`.
    pub(crate) fn date(&self, i: usize) -> Result<NaiveDate, RulesError> {
        NaiveDate::parse_from_str(self.cells[i], "%Y-%m-%d")
            .map_err(|e| self.error(i, format!("`{}` is not a date: {e}", self.cells[i])))
    }

    /// Column `i` as an optional date (empty = none).
    pub(crate) fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>, RulesError> {
        if self.cells[i].is_empty() {
            Ok(None)
        } else {
            self.date(i).map(Some)
        }
    }

    /// Column `i` as a time `HH:MM`.
    pub(crate) fn time(&self, i: usize) -> Result<NaiveTime, RulesError> {
        NaiveTime::parse_from_str(self.cells[i], "%H:%M")
            .map_err(|e| self.error(i, format!("`{}` is not a time: {e}", self.cells[i])))
    }

    /// Column `i` as a decimal number.
    pub(crate) fn decimal(&self, i: usize) -> Result<Decimal, RulesError> {
        self.cells[i]
            .parse::<Decimal>()
            .map_err(|e| self.error(i, format!("`{}` is not a number: {e}", self.cells[i])))
    }

    /// Column `i` as a whole number.
    pub(crate) fn count(&self, i: usize) -> Result<u32, RulesError> {
        self.cells[i]
            .parse::<u32>()
            .map_err(|e| self.error(i, format!("`{}` is not a whole number: {e}", self.cells[i])))
    }

    /// Column `i` as an optional whole number (empty = none).
    pub(crate) fn opt_count(&self, i: usize) -> Result<Option<u32>, RulesError> {
        if self.cells[i].is_empty() {
            Ok(None)
        } else {
            self.count(i).map(Some)
        }
    }

    /// Column `i` as a weekday `Mon`..`Fri`.
    pub(crate) fn weekday(&self, i: usize) -> Result<Weekday, RulesError> {
        match self.cells[i] {
            "Mon" => Ok(Weekday::Mon),
            "Tue" => Ok(Weekday::Tue),
            "Wed" => Ok(Weekday::Wed),
            "Thu" => Ok(Weekday::Thu),
            "Fri" => Ok(Weekday::Fri),
            other => Err(self.error(i, format!("`{other}` is not Mon, Tue, Wed, Thu or Fri"))),
        }
    }

    /// Fails with `reason` about column `i`.
    pub(crate) fn invalid<T>(&self, i: usize, reason: String) -> Result<T, RulesError> {
        Err(self.error(i, reason))
    }
}
