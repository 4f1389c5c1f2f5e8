//! `alphastock positions`, `alphastock orders` and `alphastock funds`: the account as the
//! chosen broker (mStock or Kite) reports it, to check a setup before trading.

use std::process::ExitCode;

use clap::Args;

use super::broker_args::{cell, num, open_broker, BrokerArgs};

/// Arguments of `positions`, `orders` and `funds`.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// Common broker flags.
    #[command(flatten)]
    pub broker: BrokerArgs,
}

/// Which account view.
#[derive(Debug, Clone, Copy)]
pub enum View {
    /// Net positions.
    Positions,
    /// Today's orders.
    Orders,
    /// Funds.
    Funds,
}

/// Runs one account view.
pub fn run(view: View, args: AccountArgs) -> anyhow::Result<ExitCode> {
    let mut c = match open_broker(&args.broker)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let json = args.broker.json;
    match view {
        View::Positions => {
            let rows = c.positions()?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|p| {
                        serde_json::json!({"instrument": format!("{}:{}", p.exchange.code(), p.trading_symbol),
                        "net_quantity": p.net_quantity, "average_price": num(p.average_price),
                        "ltp": num(p.ltp), "realised_pnl": num(p.realised_pnl),
                        "unrealised_pnl": num(p.unrealised_pnl)})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                println!(
                    "{:<32} {:>8} {:>10} {:>10} {:>12} {:>12}",
                    "INSTRUMENT", "NET QTY", "AVG", "LTP", "REALISED", "UNREALISED"
                );
                for p in &rows {
                    println!(
                        "{:<32} {:>8} {:>10} {:>10} {:>12} {:>12}",
                        format!("{}:{}", p.exchange.code(), p.trading_symbol),
                        p.net_quantity,
                        cell(Some(p.average_price)),
                        cell(Some(p.ltp)),
                        cell(Some(p.realised_pnl)),
                        cell(Some(p.unrealised_pnl))
                    );
                }
            }
        }
        View::Orders => {
            let rows = c.order_book()?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|o| {
                        serde_json::json!({"order_id": o.order_id, "tag": o.tag,
                        "instrument": format!("{}:{}", o.exchange.code(), o.trading_symbol),
                        "side": o.transaction_type.code(), "quantity": o.quantity,
                        "filled_quantity": o.filled_quantity, "price": o.price.map(num),
                        "average_price": o.average_price.map(num), "status": o.status,
                        "message": o.message, "updated_at": o.updated_at.to_rfc3339()})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                println!(
                    "{:<16} {:<14} {:<32} {:<4} {:>6} {:>6} {:>10} {:>10} STATUS",
                    "ORDER ID", "TAG", "INSTRUMENT", "SIDE", "QTY", "FILLED", "PRICE", "AVG"
                );
                for o in &rows {
                    println!(
                        "{:<16} {:<14} {:<32} {:<4} {:>6} {:>6} {:>10} {:>10} {:?}{}",
                        o.order_id,
                        o.tag,
                        format!("{}:{}", o.exchange.code(), o.trading_symbol),
                        o.transaction_type.code(),
                        o.quantity,
                        o.filled_quantity,
                        cell(o.price),
                        cell(o.average_price),
                        o.status,
                        o.message
                            .as_deref()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        View::Funds => {
            let f = c.funds()?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"available": num(f.available), "used": num(f.used)})
                );
            } else {
                println!("available  {:>14}", cell(Some(f.available)));
                println!("used       {:>14}", cell(Some(f.used)));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
