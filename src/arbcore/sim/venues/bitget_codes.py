"""Bitget v2 error codes and messages the simulator answers with, keyed by reject reason."""

from __future__ import annotations

from dataclasses import dataclass

from arbcore.sim.events import RejectReason

R = RejectReason


@dataclass(frozen=True, slots=True)
class BitgetError:
    """One error answer: HTTP status, Bitget `code` string and `msg` text."""

    http_status: int
    code: str
    msg: str


SUCCESS_CODE = "00000"
SUCCESS_MSG = "success"

# Authentication (REST). Codes and texts as ccxt's bitget error map records them.
MISSING_ACCESS_KEY = BitgetError(400, "40001", "ACCESS_KEY cannot be empty")
MISSING_SIGNATURE = BitgetError(400, "40003", "Signature cannot be empty")
INVALID_TIMESTAMP = BitgetError(400, "40005", "Invalid ACCESS_TIMESTAMP")
INVALID_ACCESS_KEY = BitgetError(400, "40006", "Invalid ACCESS_KEY")
TIMESTAMP_EXPIRED = BitgetError(400, "40008", "Request timestamp expired")
SIGNATURE_ERROR = BitgetError(400, "40009", "sign signature error")
MISSING_PASSPHRASE = BitgetError(400, "40011", "ACCESS_PASSPHRASE cannot be empty")
WRONG_PASSPHRASE = BitgetError(400, "40012", "apikey/password is incorrect")

RATE_LIMITED = BitgetError(429, "429", "Too Many Requests")
SYSTEM_ERROR = BitgetError(500, "40015", "System is abnormal, please try again later")

# Reject reasons of the venue-agnostic matching core -> Bitget's answer.
# Verified: 40762, 40808, 41103, 45110, 40774, 22002 (ccxt issue #21165), 45117 (user reports),
# 40768, 40109 (ccxt error map / bitget-api SDK). Unverified: 43006 (code from the bitget-api
# SDK enum, text not), 40786, 40797, 40102 (fact sheet / memory).
# No Bitget code is known for post-only/FOK refusals: 43008 and 43009 are this simulator's
# choice; the core reports those as cancelled orders, which the front end acknowledges.
_REJECTS: dict[RejectReason, BitgetError] = {
    R.INSUFFICIENT_MARGIN: BitgetError(400, "40762", "The order amount exceeds the balance"),
    R.QTY_OFF_STEP: BitgetError(
        400, "40808", "Parameter verification exception size checkBDScale error"
    ),
    R.PRICE_OFF_TICK: BitgetError(400, "41103", "param price scale error error"),
    R.PRICE_MISSING: BitgetError(400, "40019", "Parameter price cannot be empty"),
    R.BELOW_MIN_NOTIONAL: BitgetError(400, "45110", "less than the minimum amount 5 USDT"),
    R.BELOW_MIN_QTY: BitgetError(400, "43006", "less than the minimum order quantity"),
    R.ABOVE_MAX_QTY: BitgetError(400, "45113", "Maximum order value limit triggered"),
    R.REDUCE_ONLY_WOULD_INCREASE: BitgetError(400, "22002", "No position to close"),
    R.DUPLICATE_CLIENT_ID: BitgetError(400, "40786", "Duplicate clientOid"),
    R.ORDER_NOT_FOUND: BitgetError(400, "40768", "Order does not exist"),
    R.POSITION_SIDE_MISMATCH: BitgetError(
        400,
        "40774",
        "The order type for unilateral position must also be the unilateral position type.",
    ),
    R.POSITION_EXISTS: BitgetError(
        400, "45117", "Currently holding positions or orders, the margin mode cannot be adjusted"
    ),
    R.OPEN_ORDERS_EXIST: BitgetError(
        400, "45117", "Currently holding positions or orders, the margin mode cannot be adjusted"
    ),
    R.LEVERAGE_OUT_OF_RANGE: BitgetError(400, "40797", "Exceeded the maximum settable leverage"),
    R.UNKNOWN_SYMBOL: BitgetError(400, "40102", "Contract config does not exist"),
    R.INVALID_PARAMETER: BitgetError(400, "40017", "Parameter verification failed"),
    R.NO_LIQUIDITY: BitgetError(400, "40017", "Parameter verification failed"),
    R.POST_ONLY_WOULD_TAKE: BitgetError(
        400, "43008", "Post only order will be cancelled as it would take liquidity"
    ),
    R.FOK_UNFILLABLE: BitgetError(400, "43009", "FOK order could not be filled entirely"),
    R.RATE_LIMITED: RATE_LIMITED,
    R.SYSTEM_BUSY: SYSTEM_ERROR,
}

# Bitget answers success when the requested setting is already in place (no "not modified" code).
SUCCESS_WHEN_UNCHANGED: frozenset[RejectReason] = frozenset(
    {R.LEVERAGE_NOT_MODIFIED, R.MARGIN_MODE_NOT_MODIFIED, R.POSITION_MODE_NOT_MODIFIED}
)

ORDER_QUERY_NOT_FOUND = BitgetError(
    400, "40109", "The data of the order cannot be found, please confirm the order number"
)


def reject_error(reason: RejectReason, detail: str | None = None) -> BitgetError:
    """The Bitget answer for a venue-agnostic reject reason (system error if unmapped).

    `detail` replaces the message where Bitget puts request specifics in it
    (e.g. '... checkBDScale error value=0.0015 checkScale=3').
    """
    base = _REJECTS.get(reason, SYSTEM_ERROR)
    if detail is None:
        return base
    return BitgetError(base.http_status, base.code, detail)


def mapped_reasons() -> frozenset[RejectReason]:
    return frozenset(_REJECTS) | SUCCESS_WHEN_UNCHANGED


def missing_param(name: str) -> BitgetError:
    return BitgetError(400, "40019", f"Parameter {name} cannot be empty")
