"""The demo's live terminal view (rich): books, spreads, Pair states, trades, latency."""

from __future__ import annotations

import time

from rich.console import Group
from rich.table import Table

from arbcore.engine.engine import Engine
from arbcore.strategy.spread import net_entry_spread


def render(engine: Engine) -> Group:
    books = Table(title="Best prices", expand=True)
    for col in ("symbol", "venue", "bid", "ask", "state"):
        books.add_column(col)
    now_ns = time.perf_counter_ns()
    for runner in engine.runners.values():
        for venue in runner.spec.exchanges:
            book = engine.books.get(venue, runner.spec.symbol)
            bid = book.best_bid() if book else None
            ask = book.best_ask() if book else None
            stale = book is None or book.is_stale(now_ns, engine.settings.engine.stale_after_ms)
            books.add_row(
                runner.spec.symbol,
                venue.value,
                f"{bid[0]:.4f}" if bid else "-",
                f"{ask[0]:.4f}" if ask else "-",
                "stale" if stale else "live",
            )
    pairs = Table(title="Pairs", expand=True)
    for col in ("pair", "symbol", "state", "best net spread %", "open (long/short)"):
        pairs.add_column(col)
    for runner in engine.runners.values():
        best: float | None = None
        for lv in runner.venues:
            for sv in runner.venues:
                if lv is sv:
                    continue
                lb, sb = (
                    engine.books.get(lv, runner.spec.symbol),
                    engine.books.get(sv, runner.spec.symbol),
                )
                buy = lb.buy_px(runner.entry_qty_f) if lb else None
                sell = sb.sell_px(runner.entry_qty_f) if sb else None
                if buy and sell:
                    net = net_entry_spread(buy, sell, runner.fees[lv], runner.fees[sv]) * 100
                    best = net if best is None or net > best else best
        pos = runner.position
        open_txt = (
            f"{pos.long.venue} {pos.long.qty_base} / {pos.short.venue} {pos.short.qty_base}"
            if pos
            else "-"
        )
        pairs.add_row(
            str(runner.pair_id),
            runner.spec.symbol,
            runner.machine.state.value,
            f"{best:.4f}" if best is not None else "-",
            open_txt,
        )
    s = engine.stats
    p50, p99 = s.tick_to_order_us(50), s.tick_to_order_us(99)
    totals = Table(title="Totals", expand=True)
    for col in (
        "opened",
        "closed",
        "rolled back",
        "realized pnl USDT",
        "orders",
        "rejected",
        "tick-to-order p50/p99 µs",
    ):
        totals.add_column(col)
    totals.add_row(
        str(s.cycles_opened),
        str(s.cycles_closed),
        str(s.cycles_rolled_back),
        f"{s.realized_pnl_usdt:.4f}",
        str(s.orders_sent),
        str(s.orders_rejected),
        f"{p50:.0f} / {p99:.0f}" if p50 is not None and p99 is not None else "-",
    )
    closed = Table(title="Recent closed arbitrages", expand=True)
    for col in ("trade", "symbol", "long / short", "reason", "pnl USDT"):
        closed.add_column(col)
    for t in s.recent_closed:
        closed.add_row(
            str(t.trade_id), t.symbol, f"{t.long_venue} / {t.short_venue}", t.reason,
            f"{t.pnl_usdt:.4f}",
        )  # fmt: skip
    return Group(books, pairs, closed, totals)
