use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::{IstTime, IST};

/// Why and when the kill switch tripped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitchTrip {
    /// What tripped it, with the numbers.
    pub reason: String,
    /// When it tripped (IST).
    pub at: IstTime,
}

/// Stops new entries for the rest of the trading day once tripped (by the daily loss limit or by
/// hand). It resets by itself on the first check of a later IST date, or by [`KillSwitch::reset`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillSwitch {
    trip: Option<KillSwitchTrip>,
}

impl KillSwitch {
    /// An untripped switch.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trip in force at `now`, if any (a trip from an earlier IST date has lapsed).
    pub fn active(&self, now: IstTime) -> Option<&KillSwitchTrip> {
        self.trip
            .as_ref()
            .filter(|t| ist_date(t.at) >= ist_date(now))
    }

    /// Trips the switch at `now` for `reason`, unless it is already on. Returns true when this
    /// call tripped it.
    pub fn trip(&mut self, reason: impl Into<String>, now: IstTime) -> bool {
        if self.active(now).is_some() {
            return false;
        }
        self.trip = Some(KillSwitchTrip {
            reason: reason.into(),
            at: now,
        });
        true
    }

    /// Trips the switch when the day's P&L (rupees) has lost `daily_loss_limit` rupees or more.
    /// Returns true when this call tripped it.
    pub fn check_day_pnl(
        &mut self,
        day_pnl: Decimal,
        daily_loss_limit: Decimal,
        now: IstTime,
    ) -> bool {
        if day_pnl <= -daily_loss_limit {
            self.trip(
                format!("day P&L {day_pnl:.2} reached the daily loss limit -{daily_loss_limit:.2}"),
                now,
            )
        } else {
            false
        }
    }

    /// Clears the switch (an operator's decision).
    pub fn reset(&mut self) {
        self.trip = None;
    }
}

fn ist_date(t: IstTime) -> NaiveDate {
    t.with_timezone(&IST).date_naive()
}
