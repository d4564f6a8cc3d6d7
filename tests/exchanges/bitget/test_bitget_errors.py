"""Bitget error codes (REST strings, WS numbers) map to the one core error hierarchy."""

from __future__ import annotations

import pytest

from arbcore.core import errors
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget.parsing import error_class, map_error

TABLE = [
    ("40762", "The order amount exceeds the balance", errors.InsufficientMargin),
    ("43012", "Insufficient balance", errors.InsufficientMargin),
    ("40711", "Insufficient contract account balance", errors.InsufficientMargin),
    ("40712", "Insufficient margin", errors.InsufficientMargin),
    ("40808", "size checkBDScale error value=0.0015 checkScale=3", errors.InvalidOrder),
    ("41103", "param price scale error error", errors.InvalidOrder),
    ("45110", "less than the minimum amount 5 USDT", errors.InvalidOrder),
    ("40774", "The order type for unilateral position must also be ...", errors.InvalidOrder),
    ("22002", "No position to close", errors.ReduceOnlyRejected),
    ("40757", "Not enough position is available", errors.ReduceOnlyRejected),
    ("40768", "Order does not exist", errors.OrderNotFound),
    ("43001", "The order does not exist", errors.OrderNotFound),
    ("40109", "The data of the order cannot be found", errors.OrderNotFound),
    ("40786", "Duplicate clientOid", errors.DuplicateClientOrderId),
    ("429", "Too Many Requests", errors.RateLimited),
    ("40015", "System is abnormal, please try again later", errors.TransientError),
    ("40009", "sign signature error", errors.AuthError),
    ("40012", "apikey/password is incorrect", errors.AuthError),
    ("40011", "ACCESS_PASSPHRASE cannot be empty", errors.AuthError),
    ("40008", "Request timestamp expired", errors.AuthError),
    ("40005", "Invalid ACCESS_TIMESTAMP", errors.AuthError),
    ("40037", "Apikey does not exist", errors.AuthError),
    ("40014", "Incorrect permissions", errors.PermissionDenied),
    ("40018", "Invalid IP", errors.PermissionDenied),
    (30005, "Login failed", errors.AuthError),
    (30015, "Invalid sign", errors.AuthError),
    (30006, "request too many", errors.RateLimited),
]


@pytest.mark.parametrize(("code", "msg", "expected"), TABLE, ids=[str(t[0]) for t in TABLE])
def test_code_table(code: str | int, msg: str, expected: type[errors.ExchangeError]) -> None:
    exc = map_error(code, msg, 400)
    assert type(exc) is expected
    assert exc.code == str(code) and exc.message == msg and exc.venue == "bitget"


def test_retryable_flags_follow_the_class() -> None:
    assert map_error("429", "Too Many Requests").retryable
    assert map_error("40015", "busy").retryable
    assert not map_error("40762", "exceeds the balance").retryable
    assert not map_error("22002", "No position to close").retryable


def test_unknown_code_falls_back_to_message_then_status() -> None:
    assert (
        error_class("49999", "Duplicate clientOid for this account")
        is errors.DuplicateClientOrderId
    )
    assert error_class("49999", "reduce-only order would increase position") is (
        errors.ReduceOnlyRejected
    )
    assert error_class("49999", "something", 429) is errors.RateLimited
    assert error_class("49999", "something", 503) is errors.TransientError
    assert error_class("49999", "something", 401) is errors.AuthError
    assert error_class("49999", "something", 400) is errors.ExchangeError
    assert error_class(None, "", None) is errors.ExchangeError


def test_every_named_error_code_is_mapped() -> None:
    """The codes shared with the simulator (constants.ERR_*) all have a specific class,
    except the mode-change refusal, which is a plain final ExchangeError."""
    names = [n for n in dir(c) if n.startswith(("ERR_", "WS_ERR_"))]
    assert len(names) > 30
    unmapped = {n for n in names if error_class(getattr(c, n), "x", 400) is errors.ExchangeError}
    assert unmapped == {"ERR_MODE_CHANGE_REFUSED", "WS_ERR_CHANNEL_NOT_EXIST"}
