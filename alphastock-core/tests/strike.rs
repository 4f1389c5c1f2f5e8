//! Strike selection: ATM, watched ITM/ATM/OTM strikes per type, liquidity, the contract bought.

use alphastock_core::market::{
    Exchange, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST,
};
use alphastock_core::options::strike::{
    atm_strike, moneyness_pct, Illiquid, LiquidityFilters, Moneyness, NoCandidate,
    StrikePreference, StrikeSelectionConfig, StrikeSelector,
};
use chrono::{NaiveDate, TimeZone};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn ts() -> IstTime {
    IST.with_ymd_and_hms(2024, 10, 28, 10, 0, 0)
        .single()
        .unwrap()
}

fn quote(
    strike: i64,
    t: OptionType,
    oi: u64,
    volume: u64,
    bid: Decimal,
    ask: Decimal,
) -> OptionQuote {
    OptionQuote {
        contract: OptionContract {
            underlying: Symbol::parse("BANKNIFTY").unwrap(),
            expiry: NaiveDate::from_ymd_opt(2024, 10, 30).unwrap(),
            strike: Decimal::from(strike),
            option_type: t,
            lot_size: 15,
            tick_size: dec!(0.05),
            trading_symbol: format!("BANKNIFTY24OCT{strike}{t}"),
            exchange: Exchange::Nfo,
        },
        premium: (bid + ask) / Decimal::TWO,
        bid: Some(bid),
        ask: Some(ask),
        volume: Some(volume),
        oi: Some(oi),
        iv: None,
        greeks: None,
        timestamp: ts(),
    }
}

/// A liquid chain from 50,800 to 51,700 in 100-point steps.
fn chain(spot: Decimal) -> OptionChain {
    let mut quotes = Vec::new();
    for k in (50_800..=51_700).step_by(100) {
        quotes.push(quote(k, OptionType::CE, 5000, 2000, dec!(279), dec!(281)));
        quotes.push(quote(k, OptionType::PE, 5000, 2000, dec!(199), dec!(201)));
    }
    OptionChain {
        underlying: Symbol::parse("BANKNIFTY").unwrap(),
        spot,
        expiry: NaiveDate::from_ymd_opt(2024, 10, 30).unwrap(),
        timestamp: ts(),
        quotes,
    }
}

fn set_quote(chain: &mut OptionChain, strike: i64, t: OptionType, q: OptionQuote) {
    let slot = chain
        .quotes
        .iter_mut()
        .find(|x| x.contract.strike == Decimal::from(strike) && x.contract.option_type == t)
        .unwrap();
    *slot = q;
}

#[test]
fn atm_is_the_nearest_strike_and_ties_go_to_the_lower() {
    let strikes: Vec<Decimal> = [51100, 51200, 51300].map(Decimal::from).to_vec();
    assert_eq!(atm_strike(&strikes, dec!(51245)), Some(dec!(51200)));
    assert_eq!(atm_strike(&strikes, dec!(51251)), Some(dec!(51300)));
    assert_eq!(atm_strike(&strikes, dec!(51250)), Some(dec!(51200)));
    assert_eq!(atm_strike(&strikes, dec!(10)), Some(dec!(51100)));
    assert_eq!(atm_strike(&[], dec!(10)), None);
}

#[test]
fn moneyness_is_strike_over_spot_in_percent_and_classed_by_type() {
    assert_eq!(moneyness_pct(dec!(51200), dec!(51200)), Some(dec!(100)));
    assert_eq!(moneyness_pct(dec!(55000), dec!(50000)), Some(dec!(110)));
    assert_eq!(moneyness_pct(dec!(1), dec!(0)), None);
    let atm = dec!(51200);
    assert_eq!(
        Moneyness::classify(OptionType::CE, dec!(51100), atm),
        Moneyness::Itm
    );
    assert_eq!(
        Moneyness::classify(OptionType::PE, dec!(51100), atm),
        Moneyness::Otm
    );
    assert_eq!(
        Moneyness::classify(OptionType::CE, dec!(51300), atm),
        Moneyness::Otm
    );
    assert_eq!(
        Moneyness::classify(OptionType::PE, dec!(51300), atm),
        Moneyness::Itm
    );
    assert_eq!(
        Moneyness::classify(OptionType::PE, atm, atm),
        Moneyness::Atm
    );
}

#[test]
fn three_per_side_watches_one_itm_the_atm_and_one_otm_for_each_type() {
    let sel = StrikeSelector::default();
    let set = sel.select(dec!(51245), &chain(dec!(51245))).unwrap();
    assert_eq!(set.atm_strike, dec!(51200));
    let calls: Vec<(Decimal, Moneyness)> = set
        .calls
        .iter()
        .map(|c| (c.quote.contract.strike, c.moneyness))
        .collect();
    assert_eq!(
        calls,
        vec![
            (dec!(51100), Moneyness::Itm),
            (dec!(51200), Moneyness::Atm),
            (dec!(51300), Moneyness::Otm)
        ]
    );
    let puts: Vec<(Decimal, Moneyness)> = set
        .puts
        .iter()
        .map(|c| (c.quote.contract.strike, c.moneyness))
        .collect();
    assert_eq!(
        puts,
        vec![
            (dec!(51300), Moneyness::Itm),
            (dec!(51200), Moneyness::Atm),
            (dec!(51100), Moneyness::Otm)
        ]
    );
    assert!(set.calls.iter().all(|c| c.is_liquid()));
}

#[test]
fn strikes_per_side_generalises_the_window() {
    let sel = StrikeSelector::new(StrikeSelectionConfig {
        strikes_per_side: 5,
        ..Default::default()
    });
    let set = sel.select(dec!(51245), &chain(dec!(51245))).unwrap();
    let offsets: Vec<i64> = set.calls.iter().map(|c| c.offset).collect();
    assert_eq!(offsets, vec![-2, -1, 0, 1, 2]);
    assert_eq!(set.calls[0].quote.contract.strike, dec!(51000));
    assert_eq!(set.puts[0].quote.contract.strike, dec!(51400));
    let four = StrikeSelector::new(StrikeSelectionConfig {
        strikes_per_side: 4,
        ..Default::default()
    });
    let set = four.select(dec!(51245), &chain(dec!(51245))).unwrap();
    assert_eq!(
        set.calls.iter().map(|c| c.offset).collect::<Vec<_>>(),
        vec![-1, 0, 1, 2]
    );
}

#[test]
fn default_choice_is_the_liquid_atm_contract() {
    let c = StrikeSelector::default()
        .choose(dec!(51245), &chain(dec!(51245)), OptionType::CE)
        .unwrap();
    assert_eq!(c.quote.contract.strike, dec!(51200));
    assert_eq!(c.quote.contract.option_type, OptionType::CE);
    assert_eq!(c.moneyness, Moneyness::Atm);
    assert_eq!(c.moneyness_pct, dec!(99.9122));
    assert!(!c.fallback);
}

#[test]
fn itm_and_otm_preferences_move_one_strike_the_right_way_per_type() {
    let pick = |pref, t| {
        StrikeSelector::new(StrikeSelectionConfig {
            choose: pref,
            ..Default::default()
        })
        .choose(dec!(51245), &chain(dec!(51245)), t)
        .unwrap()
        .quote
        .contract
        .strike
    };
    assert_eq!(pick(StrikePreference::Itm, OptionType::CE), dec!(51100));
    assert_eq!(pick(StrikePreference::Otm, OptionType::CE), dec!(51300));
    assert_eq!(pick(StrikePreference::Itm, OptionType::PE), dec!(51300));
    assert_eq!(pick(StrikePreference::Otm, OptionType::PE), dec!(51100));
}

#[test]
fn an_illiquid_atm_falls_back_to_the_nearest_liquid_watched_strike() {
    let mut ch = chain(dec!(51245));
    set_quote(
        &mut ch,
        51200,
        OptionType::CE,
        quote(51200, OptionType::CE, 40, 2000, dec!(279), dec!(281)),
    );
    let c = StrikeSelector::default()
        .choose(dec!(51245), &ch, OptionType::CE)
        .unwrap();
    assert!(c.fallback);
    // Both neighbours are one strike away; the tie goes to the ITM side (offset -1 sorts first).
    assert_eq!(c.quote.contract.strike, dec!(51100));
}

#[test]
fn an_illiquid_window_says_which_filter_failed_with_numbers() {
    let mut ch = chain(dec!(51245));
    set_quote(
        &mut ch,
        51100,
        OptionType::CE,
        quote(51100, OptionType::CE, 40, 2000, dec!(279), dec!(281)),
    );
    set_quote(
        &mut ch,
        51200,
        OptionType::CE,
        quote(51200, OptionType::CE, 5000, 10, dec!(279), dec!(281)),
    );
    set_quote(
        &mut ch,
        51300,
        OptionType::CE,
        quote(51300, OptionType::CE, 5000, 2000, dec!(250), dec!(300)),
    );
    let err = StrikeSelector::default()
        .choose(dec!(51245), &ch, OptionType::CE)
        .unwrap_err();
    let NoCandidate::Illiquid { rejected, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(rejected.len(), 3);
    let text = err.to_string();
    assert!(text.contains("51100 CE OI 40 < min_oi 100"), "{text}");
    assert!(
        text.contains("51200 CE volume 10 < min_volume 50"),
        "{text}"
    );
    assert!(
        text.contains("51300 CE spread 18.18% > max_spread_pct 5%"),
        "{text}"
    );
    // The puts are untouched and still liquid.
    assert!(StrikeSelector::default()
        .choose(dec!(51245), &ch, OptionType::PE)
        .is_ok());
}

#[test]
fn a_quote_without_bid_and_ask_is_not_liquid() {
    let mut q = quote(51200, OptionType::CE, 5000, 2000, dec!(279), dec!(281));
    q.ask = None;
    assert_eq!(
        LiquidityFilters::default().rejection(&q),
        Some(Illiquid::NoTwoSidedQuote)
    );
}

#[test]
fn unknown_open_interest_or_volume_is_refused_by_name_never_read_as_zero() {
    let liquid = quote(51200, OptionType::CE, 5000, 2000, dec!(279), dec!(281));
    let filters = LiquidityFilters::default();
    assert_eq!(filters.rejection(&liquid), None);
    let mut no_oi = liquid.clone();
    no_oi.oi = None;
    let why = filters.rejection(&no_oi).unwrap();
    assert_eq!(why, Illiquid::OpenInterestUnknown { min_oi: 100 });
    assert_eq!(
        why.to_string(),
        "open interest unknown (the quote carries none), so min_oi 100 cannot be checked"
    );
    let mut no_volume = liquid.clone();
    no_volume.volume = None;
    assert_eq!(
        filters.rejection(&no_volume),
        Some(Illiquid::VolumeUnknown { min_volume: 50 })
    );
    // A real zero is a number below the filter, not "unknown".
    let mut zero = liquid.clone();
    zero.oi = Some(0);
    assert_eq!(
        filters.rejection(&zero),
        Some(Illiquid::OpenInterest { oi: 0, min_oi: 100 })
    );
    // With the filter off (0), unknown does not matter.
    let off = LiquidityFilters {
        min_oi: 0,
        min_volume: 0,
        ..LiquidityFilters::default()
    };
    no_oi.volume = None;
    assert_eq!(off.rejection(&no_oi), None);
}

#[test]
fn empty_chains_and_bad_spots_are_no_candidate_with_a_reason() {
    let mut ch = chain(dec!(51245));
    let sel = StrikeSelector::default();
    assert!(matches!(
        sel.choose(dec!(0), &ch, OptionType::CE),
        Err(NoCandidate::BadSpot(_))
    ));
    ch.quotes
        .retain(|q| q.contract.option_type == OptionType::PE);
    let err = sel.choose(dec!(51245), &ch, OptionType::CE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no candidate: the chain for BANKNIFTY has no CE quotes"
    );
    ch.quotes.clear();
    let err = sel.choose(dec!(51245), &ch, OptionType::CE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no candidate: the option chain for BANKNIFTY is empty"
    );
}

#[test]
fn config_validation_names_keys() {
    let bad = StrikeSelectionConfig {
        strikes_per_side: 0,
        liquidity_filters: LiquidityFilters {
            max_spread_pct: dec!(-1),
            ..Default::default()
        },
        choose: StrikePreference::Otm,
    };
    let keys: Vec<String> = bad.validate().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        vec![
            "strikes_per_side",
            "choose",
            "liquidity_filters.max_spread_pct"
        ]
    );
    assert!(StrikeSelectionConfig::default().validate().is_empty());
}

#[test]
fn yaml_keys_read_into_the_selector_config_and_bad_values_are_named() {
    use alphastock_core::config::Config;
    let base = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n";
    let cfg = Config::from_yaml_str(&format!(
        "{base}options_data_runner:\n  strike_selection:\n    strikes_per_side: 5\n    choose: otm\n    liquidity_filters: {{ min_oi: 200, min_volume: 10, max_spread_pct: 2.5 }}\n"
    ))
    .unwrap();
    let ss = &cfg.options_data_runner.strike_selection;
    assert_eq!(ss.strikes_per_side, 5);
    assert_eq!(ss.choose, StrikePreference::Otm);
    assert_eq!(ss.liquidity_filters.min_oi, 200);
    assert_eq!(ss.liquidity_filters.max_spread_pct, dec!(2.5));
    let err = Config::from_yaml_str(&format!(
        "{base}options_data_runner:\n  strike_selection:\n    strikes_per_side: 0\n    choose: deep\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("options_data_runner.strike_selection.choose is invalid"),
        "{err}"
    );
    assert!(err.contains("atm") && err.contains("otm"), "{err}");
    let err = Config::from_yaml_str(&format!(
        "{base}options_data_runner:\n  strike_selection:\n    strikes_per_side: 0\n"
    ))
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("options_data_runner.strike_selection.strikes_per_side must be at least 1"),
        "{err}"
    );
}

#[test]
fn a_spread_cap_of_100_pct_lets_last_price_only_quotes_through() {
    let mut q = quote(51200, OptionType::CE, 5000, 2000, dec!(279), dec!(281));
    q.bid = None;
    q.ask = None;
    let five = LiquidityFilters::default();
    assert!(five.rejection(&q).is_some());
    let off = LiquidityFilters {
        max_spread_pct: dec!(100),
        ..LiquidityFilters::default()
    };
    assert_eq!(off.rejection(&q), None);
    // The other filters still apply.
    q.oi = Some(10);
    assert!(off.rejection(&q).is_some());
}
