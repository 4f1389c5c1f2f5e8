#!/usr/bin/env python3
"""Side-by-side timing of `alphastock backtest` and, when they are installed, nautilus_trader and
vectorbt on the same bars: an EMA(5/20) crossover on one stock flipping long <-> short, every fill
fed back. Not run by CI.

    python3 benches/peers/peers.py [BARS ...]        # default: 100000 1000000

For each bar count it writes the shared CSV (`comparison_csv` example: seeded random walk of
NSE:SBIN, 1-minute bars, 375 a weekday), runs each engine under `/usr/bin/time` (wall clock and
peak resident memory of the whole process, reading the CSV included) and prints the bars per
second and the ratios to alphastock. A peer that is not importable is reported as skipped.
Each peer runs in a process of its own; vectorbt is timed on its second run in that process
(warm: numba already compiled), as it would be in a notebook. `--timeout SECONDS` (default 900)
ends a peer that takes longer.

Needs: a Rust toolchain (the script builds the release binary and the CSV writer), Python 3;
optionally `pip install nautilus_trader` and `pip install vectorbt`.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, "benches", "peers", "alphastock.yaml")

NAUTILUS = r'''
import sys, time
import pandas as pd
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.examples.strategies.ema_cross import EMACross, EMACrossConfig
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import BarType
from nautilus_trader.model.enums import AccountType, OmsType
from nautilus_trader.model.identifiers import TraderId, Venue
from nautilus_trader.model.objects import Money
from nautilus_trader.persistence.wranglers import BarDataWrangler
from nautilus_trader.test_kit.providers import TestInstrumentProvider
from decimal import Decimal

df = pd.read_csv(sys.argv[1])
df.index = pd.to_datetime(df.pop("timestamp"), utc=True)
df = df.drop(columns=["symbol"])
instrument = TestInstrumentProvider.equity(symbol="SBIN", venue="NSE")
bar_type = BarType.from_str(f"{instrument.id}-1-MINUTE-LAST-EXTERNAL")
bars = BarDataWrangler(bar_type, instrument).process(df)
engine = BacktestEngine(BacktestEngineConfig(trader_id=TraderId("PEER-001"),
                                             logging=LoggingConfig(log_level="ERROR")))
engine.add_venue(venue=Venue("NSE"), oms_type=OmsType.NETTING, account_type=AccountType.MARGIN,
                 base_currency=USD, starting_balances=[Money(1_000_000_000, USD)])
engine.add_instrument(instrument)
engine.add_data(bars)
engine.add_strategy(EMACross(EMACrossConfig(instrument_id=instrument.id, bar_type=bar_type,
                                            trade_size=Decimal(200), fast_ema_period=5,
                                            slow_ema_period=20)))
started = time.perf_counter()
engine.run()
print(f"engine.run {time.perf_counter() - started:.3f} s, "
      f"{len(engine.cache.orders())} orders", flush=True)
'''

VECTORBT = r'''
import sys, time
import pandas as pd
import vectorbt as vbt

def once():
    df = pd.read_csv(sys.argv[1], index_col="timestamp")
    close = df["close"]
    fast = vbt.MA.run(close, 5, ewm=True)
    slow = vbt.MA.run(close, 20, ewm=True)
    up = fast.ma_crossed_above(slow)
    down = fast.ma_crossed_below(slow)
    pf = vbt.Portfolio.from_signals(close, entries=up, exits=down, short_entries=down,
                                    short_exits=up, size=200, init_cash=1_000_000_000)
    return pf.trades.count()

once()  # compiles numba's kernels
started = time.perf_counter()
trades = once()
print(f"warm run {time.perf_counter() - started:.3f} s, {trades} trades", flush=True)
'''


def timed(cmd, timeout):
    """Runs `cmd` under /usr/bin/time; returns (wall seconds, peak KB, stdout) or None."""
    full = ["/usr/bin/time", "-f", "TIME %e %M"] + cmd
    try:
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(r"TIME ([0-9.]+) ([0-9]+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.stderr.write(p.stderr[-2000:])
        return None
    return float(m.group(1)), int(m.group(2)), p.stdout.strip()


def importable(module):
    return subprocess.run([sys.executable, "-c", f"import {module}"],
                          capture_output=True).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bars", nargs="*", type=int, default=[100_000, 1_000_000])
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    # Named targets only: `--bin` for the binary, `--example` for the CSV writer (with
    # `--example` alone cargo would build the example and not the binary).
    subprocess.run(["cargo", "build", "--release", "-p", "alphastock-cli", "--bin", "alphastock",
                    "-p", "alphastock-benches", "--example", "comparison_csv"],
                   cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "alphastock")
    writer = os.path.join(ROOT, "target", "release", "examples", "comparison_csv")
    peers = {"nautilus_trader": NAUTILUS, "vectorbt": VECTORBT}
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'bars':>9}  {'engine':<16} {'wall s':>8} {'bars/s':>11} {'peak MB':>8}  "
              f"{'x alphastock (time)':>19}  notes")
        for n in args.bars:
            csv = os.path.join(tmp, f"bars_{n}.csv")
            subprocess.run([writer, str(n), csv], check=True, capture_output=True)
            ours = timed([binary, "backtest", "--config", CONFIG, "--data", csv, "--json"],
                         args.timeout)
            if ours is None:
                sys.exit("alphastock backtest failed")
            wall, kb, _ = ours
            print(f"{n:>9}  {'alphastock':<16} {wall:>8.2f} {n / wall:>11,.0f} {kb / 1024:>8.0f}  "
                  f"{1.0:>19.2f}")
            for name, script in peers.items():
                if not importable(name):
                    print(f"{n:>9}  {name:<16} {'-':>8} {'-':>11} {'-':>8}  {'-':>19}  "
                          f"skipped: not installed")
                    continue
                # "peer_" so the file does not shadow the package it imports.
                path = os.path.join(tmp, f"peer_{name}.py")
                with open(path, "w") as f:
                    f.write(script)
                got = timed([sys.executable, path, csv], args.timeout)
                if got is None:
                    print(f"{n:>9}  {name:<16} {'-':>8} {'-':>11} {'-':>8}  {'-':>19}  "
                          f"failed or over {args.timeout:.0f} s")
                    continue
                pw, pkb, note = got
                print(f"{n:>9}  {name:<16} {pw:>8.2f} {n / pw:>11,.0f} {pkb / 1024:>8.0f}  "
                      f"{pw / wall:>19.2f}  {note}")


if __name__ == "__main__":
    main()
