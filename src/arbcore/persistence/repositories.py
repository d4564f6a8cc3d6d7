"""One entry point to every repository, sharing a Database and a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from arbcore.core.clock import utc_now
from arbcore.persistence.db import Database
from arbcore.persistence.events_repo import EventJournal
from arbcore.persistence.leverage_repo import LeverageCache
from arbcore.persistence.orders_repo import OrderChanges, OrderRepository
from arbcore.persistence.pairs_repo import PairRepository
from arbcore.persistence.trades_repo import OPEN_TRADE_STATES, TradeChanges, TradeRepository

__all__ = [
    "OPEN_TRADE_STATES",
    "EventJournal",
    "LeverageCache",
    "OrderChanges",
    "OrderRepository",
    "PairRepository",
    "Repositories",
    "TradeChanges",
    "TradeRepository",
]


class Repositories:
    """`repos.pairs`, `repos.trades`, `repos.orders`, `repos.events`, `repos.leverage`.

    Every method runs in its own transaction and returns plain records (core.records).
    `now` stamps created/updated times (UTC-aware); tests may pass a fixed clock.
    """

    def __init__(self, db: Database, now: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.pairs = PairRepository(db, now)
        self.trades = TradeRepository(db, now)
        self.orders = OrderRepository(db, now)
        self.events = EventJournal(db, now)
        self.leverage = LeverageCache(db, now)
