//! `alphastock journal trades|orders|signals|pnl [--db FILE] [--date D] [--json]`: reads the
//! journal a run wrote, without `sqlite3`. The database is opened read-only (a running loop may
//! keep writing to it).
//!
//! - `trades`: closed round trips: `time`, `underlying`, `contract`, `net_pnl` (rupees, after
//!   charges), `reason`;
//! - `orders`: `time` (created), `tag`, `order_id`, `side`, `quantity` (units), `contract`,
//!   `price` (rupees, empty for a market order), `status`, `filled`, `average_price`,
//!   `message`;
//! - `signals`: `time`, `underlying`, `strategy`, `direction` (`bullish`/`bearish`),
//!   `confidence` (points), `verdict` (`accepted` or the rejection);
//! - `pnl`: per day `day`, `trades`, `wins`, `gross_pnl`, `charges`, `net_pnl` (rupees).
//!
//! `--date` keeps one IST day. Text is one aligned row per line under a header; `--json` prints
//! one array of objects (money as JSON numbers of rupees, exact decimals). Exit codes: 0 done
//! (also with no rows); 2 no journal at the path, or not a journal; 1 it cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value as Json};

use super::EXIT_INVALID;

/// What to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum View {
    /// Closed round trips with their net P&L and exit reason.
    Trades,
    /// Orders sent, with their status and fills.
    Orders,
    /// Signals, accepted or rejected with the reason.
    Signals,
    /// The daily P&L summary.
    Pnl,
}

/// Arguments of `alphastock journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// What to list: trades, orders, signals or pnl.
    #[arg(value_enum)]
    pub view: View,
    /// The journal database (default: alphastock-paper.db, the one the Quick start writes).
    #[arg(long, default_value = super::correlations::DEFAULT_JOURNAL)]
    pub db: PathBuf,
    /// Only this IST day (YYYY-MM-DD).
    #[arg(long, value_parser = super::parse_date)]
    pub date: Option<NaiveDate>,
    /// Print one JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A column: its name, and whether it holds money (a decimal in rupees).
type Column = (&'static str, bool);

/// The query of a view (`?1` is the `YYYY-MM-DD%` day pattern, `%` for every day) and its
/// columns.
fn query(view: View) -> (&'static str, &'static [Column]) {
    match view {
        View::Trades => (
            "SELECT ts, json_extract(detail, '$.underlying'), json_extract(detail, '$.trading_symbol'),
                    json_extract(detail, '$.net_pnl'), json_extract(detail, '$.reason')
             FROM journal WHERE kind = 'position_closed' AND ts LIKE ?1 ORDER BY ts, id",
            &[
                ("time", false),
                ("underlying", false),
                ("contract", false),
                ("net_pnl", true),
                ("reason", false),
            ],
        ),
        View::Orders => (
            "SELECT created_at, tag, order_id, transaction_type, quantity, trading_symbol, price,
                    status, filled_quantity, average_price, message
             FROM orders WHERE created_at LIKE ?1 ORDER BY created_at, tag",
            &[
                ("time", false),
                ("tag", false),
                ("order_id", false),
                ("side", false),
                ("quantity", false),
                ("contract", false),
                ("price", true),
                ("status", false),
                ("filled", false),
                ("average_price", true),
                ("message", false),
            ],
        ),
        View::Signals => (
            "SELECT ts, underlying, strategy,
                    CASE side WHEN 'BUY' THEN 'bullish' WHEN 'SELL' THEN 'bearish' ELSE side END,
                    confidence,
                    CASE WHEN accepted = 1 THEN 'accepted' ELSE 'rejected: ' || COALESCE(rejection, '') END
             FROM signals WHERE ts LIKE ?1 ORDER BY ts, id",
            &[
                ("time", false),
                ("underlying", false),
                ("strategy", false),
                ("direction", false),
                ("confidence", false),
                ("verdict", false),
            ],
        ),
        View::Pnl => (
            "SELECT day, trades, wins, gross_pnl, charges, net_pnl
             FROM daily_pnl WHERE day LIKE ?1 ORDER BY day",
            &[
                ("day", false),
                ("trades", false),
                ("wins", false),
                ("gross_pnl", true),
                ("charges", true),
                ("net_pnl", true),
            ],
        ),
    }
}

/// Runs the command.
pub fn run(args: JournalArgs) -> anyhow::Result<ExitCode> {
    if !args.db.is_file() {
        eprintln!(
            "error: no journal database at {} (run `alphastock run` first, or pass --db FILE)",
            args.db.display()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let conn = Connection::open_with_flags(&args.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening the journal {}", args.db.display()))?;
    let (sql, columns) = query(args.view);
    let pattern = args
        .date
        .map_or_else(|| "%".to_string(), |d| format!("{d}%"));
    let rows = match read_rows(&conn, sql, columns, &pattern) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: {} is not an alphastock journal ({e})",
                args.db.display()
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if args.json {
        let objects = rows
            .into_iter()
            .map(|r| {
                Json::Object(
                    columns
                        .iter()
                        .zip(r)
                        .map(|((name, money), v)| ((*name).to_string(), cell(v, *money)))
                        .collect::<Map<String, Json>>(),
                )
            })
            .collect();
        println!("{}", Json::Array(objects));
    } else {
        print!("{}", table(columns, &rows));
    }
    Ok(ExitCode::SUCCESS)
}

/// A cell as JSON: money as an exact JSON number, whole numbers as numbers, else text.
fn cell(value: rusqlite::types::Value, money: bool) -> Json {
    use rusqlite::types::Value as Sql;
    match value {
        Sql::Null => Json::Null,
        Sql::Integer(i) => Json::from(i),
        Sql::Real(f) => Json::from(f),
        Sql::Text(t) if money => serde_json::Number::from_str(&t)
            .map(Json::Number)
            .unwrap_or(Json::String(t)),
        Sql::Text(t) => Json::String(t),
        Sql::Blob(_) => Json::Null,
    }
}

type SqlRow = Vec<rusqlite::types::Value>;

fn read_rows(
    conn: &Connection,
    sql: &str,
    columns: &[Column],
    pattern: &str,
) -> rusqlite::Result<Vec<SqlRow>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([pattern], |r| {
        (0..columns.len())
            .map(|i| r.get(i))
            .collect::<rusqlite::Result<SqlRow>>()
    })?;
    rows.collect()
}

/// The rows as text: a header, then one line per row, columns padded to their widest cell;
/// money as stored (exact decimals), nothing as `-`.
fn table(columns: &[Column], rows: &[SqlRow]) -> String {
    use rusqlite::types::Value as Sql;
    let text = |v: &Sql| match v {
        Sql::Null | Sql::Blob(_) => "-".to_string(),
        Sql::Integer(i) => i.to_string(),
        Sql::Real(f) => f.to_string(),
        Sql::Text(t) => t.clone(),
    };
    let cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (c, _))| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(c.len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |items: Vec<&str>| {
        let padded: Vec<String> = items
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(columns.iter().map(|(c, _)| *c).collect());
    for r in &cells {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    if rows.is_empty() {
        out.push_str("(none)\n");
    }
    out
}
