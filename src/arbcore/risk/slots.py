"""Global cap on concurrently running arbitrages (SPEC §5.7), changeable at run time."""

from __future__ import annotations


class Slots:
    """Counts running arbitrages. Lowering the limit never touches running ones; new entries
    wait until use falls below the new limit. Single event loop: no locking needed, since
    `try_acquire` is synchronous and atomic with respect to other coroutines."""

    def __init__(self, limit: int) -> None:
        self._check(limit)
        self._limit = limit
        self._holders: set[int] = set()

    @staticmethod
    def _check(limit: int) -> None:
        if limit < 0:
            raise ValueError(f"max_concurrent_arbitrages must be >= 0, got {limit}")

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_use(self) -> int:
        return len(self._holders)

    @property
    def free(self) -> int:
        return max(0, self._limit - len(self._holders))

    def set_limit(self, limit: int) -> None:
        self._check(limit)
        self._limit = limit

    def holds(self, trade_id: int) -> bool:
        return trade_id in self._holders

    def try_acquire(self, trade_id: int) -> bool:
        """Take a slot for a new arbitrage; True if taken (or already held by it)."""
        if trade_id in self._holders:
            return True
        if len(self._holders) >= self._limit:
            return False
        self._holders.add(trade_id)
        return True

    def adopt(self, trade_id: int) -> None:
        """Count an arbitrage found running at start, even above the limit."""
        self._holders.add(trade_id)

    def release(self, trade_id: int) -> None:
        self._holders.discard(trade_id)
