//! A strategy written outside the crate, registered on the engine and backtested on a candle CSV.
//!
//! `ThreeBarMomentum` signals bullish after three higher closes in a row and bearish after three
//! lower ones. It implements `alphastock_core::strategy::Strategy`, is added to an `Engine` with
//! `Engine::add_strategy`, and the engine is replayed over
//! `fixtures/candles/synthetic_5min.csv` by the same `Backtester` that `alphastock backtest`
//! uses (options priced from the simulated volatility surface, fills by the core's fill model).
//!
//! Run it from the repository root:
//!
//! ```sh
//! cargo run -p alphastock-core --example custom_strategy
//! ```

use std::process::ExitCode;

use rust_decimal::Decimal;

use alphastock_core::backtest::{BacktestConfig, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{parse_candles, Symbol};
use alphastock_core::sim::replay::ReplayFeed;
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};

/// Three closes in a row moving the same way: a bullish (rising) or bearish (falling) signal,
/// with the target and stop `band_pct` percent of the close away.
struct ThreeBarMomentum {
    name: String,
    /// Target and stop distance, percent of the close.
    band_pct: Decimal,
    closes: Vec<Decimal>,
}

impl ThreeBarMomentum {
    fn new(name: &str, band_pct: Decimal) -> Self {
        Self {
            name: name.to_string(),
            band_pct,
            closes: Vec::new(),
        }
    }
}

impl Strategy for ThreeBarMomentum {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        4
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let c = input.candle;
        self.closes.push(c.close);
        if self.closes.len() > 4 {
            self.closes.remove(0);
        }
        let [a, b, d, e] = self.closes[..] else {
            return None;
        };
        let side = if a < b && b < d && d < e {
            Side::Buy
        } else if a > b && b > d && d > e {
            Side::Sell
        } else {
            return None;
        };
        // Fire once per run: wait for four fresh closes before the next signal.
        self.closes.clear();
        let band = c.close * self.band_pct / Decimal::ONE_HUNDRED;
        let (target, stop) = match side {
            Side::Buy => (c.close + band, c.close - band / Decimal::TWO),
            Side::Sell => (c.close - band, c.close + band / Decimal::TWO),
        };
        let pct: f64 = self.band_pct.try_into().unwrap_or(0.0);
        Some(Signal {
            symbol: c.symbol.clone(),
            strategy: self.name.clone(),
            side,
            timestamp: c.timestamp,
            price: c.close,
            target,
            stop,
            confidence: 80,
            expected_move_pct: if side == Side::Buy { pct } else { -pct },
            reason: format!("three {} closes", side.direction()),
        })
    }
}

/// The built-in strategies are switched off: only ours trades.
const CONFIG: &str = "
strategies:
  ema_crossover: { enabled: false, symbols: [NIFTY] }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 500000, max_premium_per_trade: 50000 }
";

const CANDLES: &str = "fixtures/candles/synthetic_5min.csv";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let config = Config::from_yaml_str(CONFIG).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(CANDLES)
        .map_err(|e| format!("{CANDLES}: {e} (run from the repository root)"))?;
    let candles = parse_candles(&text).map_err(|e| format!("{CANDLES}: {e}"))?;

    let mut engine = Engine::new(&config).map_err(|e| e.to_string())?;
    for underlying in ["NIFTY", "BANKNIFTY"] {
        let symbol = Symbol::parse(underlying).map_err(|e| e.to_string())?;
        engine.add_strategy(
            symbol,
            Box::new(ThreeBarMomentum::new("three_bar", Decimal::ONE)),
        );
    }

    let feed = ReplayFeed::new(
        candles,
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    );
    let mut backtester = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: config.broker.paper.slippage_ticks,
            entry_tolerance_pct: config.broker.paper.entry_tolerance_pct,
            option_source: feed.option_source(),
        },
    );
    for event in feed {
        backtester.on_event(event);
    }
    let report = backtester.finish();

    println!(
        "three_bar: {} signals, {} trades, net P&L {:.2} rupees",
        report.signals, report.metrics.trades, report.metrics.net_pnl
    );
    for t in &report.trades {
        println!(
            "  {} {} {} {} x{} {:.2} -> {:.2} net {:.2} ({})",
            t.entry_time.format("%Y-%m-%d %H:%M"),
            t.side.direction(),
            t.order_side.code(),
            t.trading_symbol,
            t.quantity,
            t.entry_price,
            t.exit_price,
            t.net_pnl,
            t.exit_reason
        );
    }
    if report.metrics.trades == 0 {
        return Err("the custom strategy made no trade".into());
    }
    Ok(())
}
