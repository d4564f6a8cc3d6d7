"""One error hierarchy for the whole project; exchange errors carry venue, code and message."""

from __future__ import annotations


class ArbcoreError(Exception):
    """Base of every error arbcore raises on purpose."""


class ConfigError(ArbcoreError):
    """The configuration is invalid; the message names the file and key path."""


class IllegalTransition(ArbcoreError):
    """A Pair state change that the transition table forbids: a bug, never swallowed."""


class ExchangeError(ArbcoreError):
    """An exchange (or the transport to it) answered with an error.

    `retryable` tells the execution layer whether sending the same request again may help.
    """

    retryable: bool = False

    def __init__(self, venue: str, message: str, code: str | int | None = None) -> None:
        self.venue = venue
        self.code = None if code is None else str(code)
        self.message = message
        suffix = f" (code {self.code})" if self.code is not None else ""
        super().__init__(f"{venue}: {message}{suffix}")


class TransientError(ExchangeError):
    """Temporary failure known not to have executed anything (5xx before processing, busy)."""

    retryable = True


class NetworkError(TransientError):
    """Could not connect or the request was never sent."""


class RateLimited(TransientError):
    """The exchange or our own budget refused the call for rate reasons."""

    def __init__(
        self,
        venue: str,
        message: str,
        code: str | int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(venue, message, code)
        self.retry_after_s = retry_after_s


class OrderOutcomeUnknown(ExchangeError):
    """The request may have executed (timeout or dropped connection after sending).

    Never treat as a reject: query the order by client id first.
    """

    retryable = False

    def __init__(
        self, venue: str, message: str, client_id: str | None = None, code: str | int | None = None
    ) -> None:
        super().__init__(venue, message, code)
        self.client_id = client_id


class AuthError(ExchangeError):
    """Bad key, signature, timestamp or passphrase."""


class PermissionDenied(AuthError):
    """The key or account lacks permission (e.g. MEXC futures API trading not enabled)."""


class NotSupported(ExchangeError):
    """The venue lacks this capability (declared in its CAPABILITIES)."""


class OrderRejected(ExchangeError):
    """The exchange refused the order; final, nothing executed."""


class InsufficientMargin(OrderRejected):
    """Not enough available margin for the order."""


class InvalidOrder(OrderRejected):
    """Quantity, price, step, tick or minimum violated."""


class ReduceOnlyRejected(OrderRejected):
    """A reduce-only order would increase or open a position (or there is nothing to reduce)."""


class DuplicateClientOrderId(OrderRejected):
    """The client order id was already used on this account."""


class OrderNotFound(ExchangeError):
    """No order with that id exists on the exchange."""


class LeverageNotModified(ExchangeError):
    """The exchange says leverage is already at the requested value: counts as success."""


class BookInvalid(ArbcoreError):
    """An order book failed validation (gap, checksum, crossed); resync needed."""
