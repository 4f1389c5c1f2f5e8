//! A restart on a journal whose day already tripped the kill switch keeps it tripped: the run
//! continues the day (after a clean stop as after a crash) and enters nothing new.

use alphastock_cli::broker::PaperBroker;
use alphastock_cli::runner::executor::Executor;
use alphastock_cli::runner::recovery::{recover_from, RUN_START, RUN_STOP};
use alphastock_cli::runner::session::{BrokerSlot, Session, SessionOptions};
use alphastock_cli::store::{Row, Store};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{Quote, Symbol, IST};
use chrono::TimeZone;
use rust_decimal_macros::dec;

#[test]
fn a_kill_switch_tripped_before_a_clean_stop_is_still_on_after_the_restart() {
    let dir = tempfile::Builder::new()
        .prefix("alphastock-kill-")
        .tempdir()
        .unwrap();
    let db = dir.path().join("journal.db");
    let at = |h, m| IST.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap();
    {
        let mut w = Store::open(&db).unwrap().writer(100);
        w.push(Row::Journal {
            at: at(9, 0),
            kind: RUN_START.into(),
            detail: serde_json::json!({}),
        })
        .unwrap();
        w.push(Row::Quote(Quote {
            symbol: Symbol::parse("NIFTY").unwrap(),
            ltp: dec!(24300),
            open: dec!(24300),
            high: dec!(24300),
            low: dec!(24300),
            close: dec!(24300),
            volume: 0,
            bid: None,
            ask: None,
            oi: None,
            timestamp: at(11, 30),
        }))
        .unwrap();
        w.push(Row::Journal {
            at: at(11, 0),
            kind: "alert".into(),
            detail: serde_json::json!({
                "message": "kill switch tripped: day P&L -5200.00 <= -daily_loss_limit 5000"
            }),
        })
        .unwrap();
        w.push(Row::Journal {
            at: at(11, 30),
            kind: RUN_STOP.into(),
            detail: serde_json::json!({}),
        })
        .unwrap();
        w.flush().unwrap();
    }
    let config = Config::from_yaml_str(
        "strategies:\n  ema_crossover: { enabled: true, symbols: [NIFTY] }\n",
    )
    .unwrap();
    let engine = Engine::new(&config).unwrap();
    assert!(!engine.kill_switch_on(at(12, 0)));
    let epoch = IST.timestamp_opt(0, 0).unwrap();
    let mut session = Session::new(
        engine,
        BrokerSlot::Paper(PaperBroker::new(config.broker.paper.clone(), epoch)),
        Executor::new(),
        Store::open(&db).unwrap().writer(100),
        SessionOptions::default(),
    );
    let day = at(0, 0).date_naive();
    let rec = recover_from(&mut session, None, Some(day)).unwrap();
    assert!(!rec.interrupted, "the previous run stopped cleanly");
    assert!(rec.continued);
    assert_eq!(rec.resume_after, Some(at(11, 30)));
    assert!(
        rec.kill_switch
            .as_deref()
            .is_some_and(|k| k.contains("day P&L -5200.00")),
        "{rec:?}"
    );
    assert!(session.engine.kill_switch_on(at(12, 0)));
    // The next day starts afresh.
    assert!(!session
        .engine
        .kill_switch_on(IST.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap()));
}
