//! The crash-and-restart scenario the live tests run against each fake broker: the real
//! `alphastock run --live` binary trades SBIN until the entry fills, is SIGKILLed at a chosen
//! moment of its protective stop's placement, and is restarted on the same journal and server;
//! a simulated minute later the position has exactly one working stop order at the broker.

use std::fmt::Debug;
use std::time::Duration;

use alphastock_core::market::IstTime;

use super::fake_http::{FakeHttp, Routes};

/// Where the first run is killed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KillAt {
    /// Once the stop order rests at the broker.
    Resting,
    /// While the stop's placement is held at the broker; it is then dropped unprocessed.
    NeverArrived,
    /// While the stop's placement is held at the broker; it is then booked (the answer never
    /// reached the process).
    AcceptedUnanswered,
}

/// The binary running live as a child process.
pub trait LiveRun {
    /// What it printed so far, for messages.
    fn output(&self) -> String;
    /// SIGKILL; returns a simulated time safely after the last one the process can have
    /// reached, and everything it printed.
    fn kill(self) -> (IstTime, String);
}

/// A fake broker set up for one SBIN trade (the entry fills, every other order rests), with
/// the binary's launch against it.
pub trait CrashRig {
    /// An order as the server booked it.
    type Order: Clone + Debug;
    /// The running binary.
    type Run: LiveRun;
    /// The fake server's state.
    type State: Routes;
    /// The longest any wait of the scenario lasts (real time).
    const PATIENCE: Duration;
    /// The fake server (it holds the stop's placement for the kills before its answer).
    fn server(&self) -> &FakeHttp<Self::State>;
    /// Starts the binary live on the rig's journal, its clock starting at `at`.
    fn spawn(&self, at: IstTime) -> Self::Run;
    /// The orders the server accepted.
    fn orders(&self) -> Vec<Self::Order>;
    /// Waits (at most `timeout`) until `done` holds for the orders; returns whether it did.
    fn wait_orders(&self, timeout: Duration, done: &dyn Fn(&[Self::Order]) -> bool) -> bool;
    /// Waits (at most `timeout`) until `n` more SBIN quotes were served than now.
    fn wait_more_quotes(&self, n: usize, timeout: Duration) -> bool;
    /// Holds the price where it is now: no trailing move, no stop hit, no new signal.
    fn freeze_price(&self);
    /// The SBIN entry filled.
    fn entry_filled(orders: &[Self::Order]) -> bool;
    /// An SBIN stop order rests at the broker, waiting for its trigger.
    fn stop_resting(orders: &[Self::Order]) -> bool;
    /// The SBIN stop orders.
    fn stops(orders: &[Self::Order]) -> Vec<&Self::Order>;
    /// The order still works (not filled, cancelled or rejected).
    fn working(order: &Self::Order) -> bool;
    /// The broker's order id.
    fn order_id(order: &Self::Order) -> String;
}

/// What the scenario leaves for the broker's own checks.
pub struct Crashed<O> {
    /// The orders at the end.
    pub orders: Vec<O>,
    /// The one working stop order.
    pub stop: O,
    /// The first run's output.
    pub first_out: String,
    /// Both runs' output.
    pub text: String,
}

/// Trades SBIN live until the entry fills, SIGKILLs the binary at `kill_at`, restarts it on
/// the same journal and server, and checks the broker's books a simulated minute later: one
/// working stop, placed once over both runs (the one at the kill adopted, or placed by the
/// restart when the broker never saw it).
pub fn crash_and_restart<R: CrashRig>(
    rig: &R,
    start: IstTime,
    kill_at: KillAt,
) -> Crashed<R::Order> {
    if kill_at != KillAt::Resting {
        rig.server().hold_next_placement("SL");
    }
    let first = rig.spawn(start);
    let ready = match kill_at {
        KillAt::Resting => {
            rig.wait_orders(R::PATIENCE, &|o| R::entry_filled(o) && R::stop_resting(o))
        }
        _ => rig.server().wait_held(R::PATIENCE),
    };
    let (restart_at, first_out) = first.kill();
    assert!(ready, "{kill_at:?} never came:\n{first_out}");
    let orders = rig.orders();
    assert!(R::entry_filled(&orders), "{orders:?}\n{first_out}");
    match kill_at {
        KillAt::Resting => {}
        KillAt::NeverArrived => {
            assert!(R::stops(&orders).is_empty(), "{orders:?}");
            rig.server().release_held(false);
        }
        KillAt::AcceptedUnanswered => {
            assert!(R::stops(&orders).is_empty(), "{orders:?}");
            rig.server().release_held(true);
            // The release returns once the server let the placement go, which may be before
            // it booked it: wait for the booking.
            let booked = rig.wait_orders(R::PATIENCE, &|o| R::stops(o).len() == 1);
            assert!(booked, "{:?}", rig.orders());
            assert_eq!(R::stops(&rig.orders()).len(), 1);
        }
    }
    let stops_at_kill: Vec<String> = R::stops(&rig.orders())
        .into_iter()
        .map(R::order_id)
        .collect();
    rig.freeze_price();

    // The restart, on the same journal, a simulated minute after the kill at the latest.
    let second = rig.spawn(restart_at);
    let placed = rig.wait_orders(R::PATIENCE, &|o| R::stop_resting(o));
    assert!(placed, "no stop after the restart:\n{}", second.output());
    // A simulated minute of ticks (12 quotes at 5 s) after the stop is there.
    let ticked = rig.wait_more_quotes(12, R::PATIENCE);
    let (_, second_out) = second.kill();
    assert!(ticked, "the restarted run stopped polling:\n{second_out}");
    let text = format!("first run:\n{first_out}\nsecond run:\n{second_out}");

    let orders = rig.orders();
    let stops = R::stops(&orders);
    let working: Vec<&&R::Order> = stops.iter().filter(|s| R::working(s)).collect();
    assert_eq!(working.len(), 1, "{stops:?}\n{text}");
    assert_eq!(
        stops.len(),
        1,
        "placed once over both runs: {stops:?}\n{text}"
    );
    if kill_at == KillAt::NeverArrived {
        assert!(stops_at_kill.is_empty());
    } else {
        assert_eq!(stops_at_kill, vec![R::order_id(stops[0])], "adopted");
    }
    let stop = (*working[0]).clone();
    Crashed {
        orders,
        stop,
        first_out,
        text,
    }
}
