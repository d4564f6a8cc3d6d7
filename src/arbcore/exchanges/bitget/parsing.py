"""Pure Bitget wire <-> core translation: instruments, books, orders, fills, positions, errors.

No I/O and no clock reads: every timestamp comes from the payload or an argument.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from decimal import Decimal
from itertools import chain

from arbcore.core import errors
from arbcore.core.enums import MarginMode, OrderStatus, PositionSide, Side
from arbcore.core.models import (
    BookTop,
    Fill,
    FundingPayment,
    FundingRate,
    Instrument,
    OrderResult,
    Position,
)
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget import schemas as s

ZERO = Decimal(0)


def dec(text: str | int | None, default: Decimal = ZERO) -> Decimal:
    """Decimal from a wire string; empty or missing gives `default`."""
    if text is None or text == "":
        return default
    return Decimal(str(text))


def ms(text: str | int | None) -> int:
    return int(text) if text not in (None, "") else 0


# --- Instruments ----------------------------------------------------------------------------


def tick_size(price_place: str, price_end_step: str) -> Decimal:
    """tick = priceEndStep x 10^-pricePlace (e.g. place 1, step 5 -> 0.5)."""
    return Decimal(int(price_end_step or "1")).scaleb(-int(price_place))


def parse_instrument(contract: s.Contract, profile: c.ProductProfile) -> Instrument | None:
    """A core Instrument for a perpetual contract, or None for delivery contracts."""
    if contract.symbolType != "perpetual":
        return None
    base = profile.core_coin(contract.baseCoin)
    quote = profile.core_coin(contract.quoteCoin)
    qty_step = (
        dec(contract.sizeMultiplier)
        if contract.sizeMultiplier
        else Decimal(1).scaleb(-int(contract.volumePlace))
    )
    max_qty = dec(contract.maxOrderQty) if contract.maxOrderQty else None
    return Instrument(
        venue=c.VENUE,
        symbol=f"{base}{quote}",
        venue_symbol=contract.symbol,
        base=base,
        quote=quote,
        tick_size=tick_size(contract.pricePlace, contract.priceEndStep),
        qty_step=qty_step,
        min_qty=dec(contract.minTradeNum, qty_step),
        contract_size=Decimal(1),
        qty_in_contracts=False,
        min_notional_usdt=dec(contract.minTradeUSDT),
        max_qty=max_qty,
        max_leverage=dec(contract.maxLever, Decimal(1)),
        trading=contract.symbolStatus == "normal",
    )


def parse_instruments(
    contracts: Sequence[s.Contract], profile: c.ProductProfile
) -> list[Instrument]:
    return [i for i in (parse_instrument(x, profile) for x in contracts) if i is not None]


# --- Market data ----------------------------------------------------------------------------


def parse_merge_depth(
    depth: s.MergeDepth,
) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]], int]:
    """(bids, asks, ts_ms) from REST merge-depth (levels arrive as JSON numbers)."""
    return list(depth.bids), list(depth.asks), ms(depth.ts)


def parse_ticker(ticker: s.Ticker, symbol: str) -> BookTop:
    return BookTop(
        venue=c.VENUE,
        symbol=symbol,
        bid_px=float(ticker.bidPr or 0),
        bid_qty=float(ticker.bidSz or 0),
        ask_px=float(ticker.askPr or 0),
        ask_qty=float(ticker.askSz or 0),
        ts_ms=ms(ticker.ts),
    )


def parse_funding_rate(
    rate: s.CurrentFundRate, symbol: str, funding_time: s.FundingTime | None = None
) -> FundingRate:
    """Newer current-fund-rate answers carry nextUpdate and the interval; older ones need
    funding-time for the next settlement."""
    next_ms = ms(rate.nextUpdate)
    interval_text = rate.fundingRateInterval
    if funding_time is not None:
        next_ms = next_ms or ms(funding_time.nextFundingTime)
        interval_text = interval_text or funding_time.ratePeriod
    return FundingRate(
        venue=c.VENUE,
        symbol=symbol,
        rate=dec(rate.fundingRate),
        next_funding_ms=next_ms,
        interval_h=int(interval_text or 8),
    )


def parse_funding_payments(bills: Sequence[s.Bill], symbol: str) -> list[FundingPayment]:
    """Funding settlements from account bills (positive amount = received)."""
    return [
        FundingPayment(venue=c.VENUE, symbol=symbol, amount_usdt=dec(b.amount), ts_ms=ms(b.cTime))
        for b in bills
        if b.businessType in FUNDING_BILL_TYPES
    ]


FUNDING_BILL_TYPES = frozenset({"contract_settle_fee"})


# --- Checksum -------------------------------------------------------------------------------


def checksum_payload(
    bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]], levels: int = 25
) -> str:
    """bid1p:bid1q:ask1p:ask1q:... over the top `levels`, with the original wire strings;
    when one side is shorter, only the longer side's levels continue."""
    top_bids = bids[:levels]
    top_asks = asks[:levels]
    paired = min(len(top_bids), len(top_asks))
    pairs = zip(top_bids[:paired], top_asks[:paired], strict=True)
    parts = list(chain.from_iterable(chain.from_iterable(pairs)))
    parts.extend(chain.from_iterable(top_bids[paired:] or top_asks[paired:]))
    return ":".join(parts)


def book_checksum(
    bids: Sequence[tuple[str, str]], asks: Sequence[tuple[str, str]], levels: int = 25
) -> int:
    """CRC32 (IEEE) of the payload as a signed 32-bit int, as Bitget sends it."""
    value = zlib.crc32(checksum_payload(bids, asks, levels).encode())
    return value - (1 << 32) if value >= (1 << 31) else value


# --- Orders and fills -----------------------------------------------------------------------

_STATUS = {
    "live": OrderStatus.NEW,
    "new": OrderStatus.NEW,
    "init": OrderStatus.NEW,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
}


def parse_status(text: str) -> OrderStatus:
    return _STATUS.get(text.lower(), OrderStatus.UNKNOWN)


def trade_side(wire_side: str, trade_side_text: str) -> Side:
    """The direction that traded. In hedge mode `side` names the position (closing a long is
    side=buy + tradeSide=close), so a close flips it; one-way (`buy_single`) does not."""
    side = Side(wire_side.lower())
    return side.opposite if trade_side_text.lower() == "close" else side


def _is_yes(text: str) -> bool:
    return text.lower() in ("yes", "true")


def fee_paid(wire_fee: str | None) -> Decimal:
    """Bitget reports fees negative when paid; core counts paid fees positive."""
    return -dec(wire_fee)


def parse_order_detail(order: s.OrderDetail, symbol: str) -> OrderResult:
    filled = dec(order.baseVolume)
    avg = dec(order.priceAvg) if filled > 0 and order.priceAvg else None
    return OrderResult(
        venue=c.VENUE,
        symbol=symbol,
        client_id=order.clientOid,
        exchange_order_id=order.orderId or None,
        status=parse_status(order.state or order.status),
        side=trade_side(order.side, order.tradeSide),
        requested_base=dec(order.size),
        filled_base=filled,
        avg_price=avg,
        fee_usdt=fee_paid(order.fee),
        reduce_only=_is_yes(order.reduceOnly) or order.tradeSide.lower() == "close",
        ts_ms=ms(order.uTime or order.cTime),
    )


def parse_order_ack(
    ack: s.OrderAck,
    *,
    symbol: str,
    client_id: str,
    side: Side,
    qty_base: Decimal,
    reduce_only: bool,
) -> OrderResult:
    """place-order only acknowledges; the fill is learned from WS or order/detail."""
    return OrderResult(
        venue=c.VENUE,
        symbol=symbol,
        client_id=ack.clientOid or client_id,
        exchange_order_id=ack.orderId or None,
        status=OrderStatus.NEW,
        side=side,
        requested_base=qty_base,
        reduce_only=reduce_only,
    )


def _fee_detail_paid(details: Sequence[s.FeeDetail]) -> Decimal:
    return sum((fee_paid(d.totalFee) for d in details), ZERO)


def parse_fill(record: s.FillRecord, symbol: str, client_id: str = "") -> Fill:
    return Fill(
        venue=c.VENUE,
        symbol=symbol,
        client_id=client_id,
        exchange_order_id=record.orderId,
        trade_id=record.tradeId,
        side=trade_side(record.side, record.tradeSide),
        qty_base=dec(record.baseVolume),
        price=dec(record.price),
        fee_usdt=_fee_detail_paid(record.feeDetail),
        ts_ms=ms(record.cTime),
        is_maker=record.tradeScope.lower() in ("maker", "m"),
    )


def parse_ws_fill(record: s.WsFill, symbol: str, client_id: str = "") -> Fill:
    return Fill(
        venue=c.VENUE,
        symbol=symbol,
        client_id=client_id,
        exchange_order_id=record.orderId,
        trade_id=record.tradeId,
        side=trade_side(record.side, record.tradeSide),
        qty_base=dec(record.baseVolume),
        price=dec(record.price),
        fee_usdt=_fee_detail_paid(record.feeDetail),
        ts_ms=ms(record.cTime),
        is_maker=record.tradeScope.lower() in ("maker", "m"),
    )


def parse_ws_order(order: s.WsOrder, symbol: str) -> OrderResult:
    """An `orders` push: cumulative state plus the latest fill (if this push reports one)."""
    side = trade_side(order.side, order.tradeSide)
    filled = dec(order.accBaseVolume)
    fills: tuple[Fill, ...] = ()
    if order.tradeId and dec(order.baseVolume) > 0:
        fills = (
            Fill(
                venue=c.VENUE,
                symbol=symbol,
                client_id=order.clientOid,
                exchange_order_id=order.orderId,
                trade_id=order.tradeId,
                side=side,
                qty_base=dec(order.baseVolume),
                price=dec(order.fillPrice),
                fee_usdt=fee_paid(order.fillFee),
                ts_ms=ms(order.fillTime or order.uTime),
                is_maker=order.tradeScope.upper() in ("M", "MAKER"),
            ),
        )
    total_fee = sum((fee_paid(d.fee) for d in order.feeDetail), ZERO)
    return OrderResult(
        venue=c.VENUE,
        symbol=symbol,
        client_id=order.clientOid,
        exchange_order_id=order.orderId or None,
        status=parse_status(order.status),
        side=side,
        requested_base=dec(order.size),
        filled_base=filled,
        avg_price=dec(order.priceAvg) if filled > 0 and order.priceAvg else None,
        fee_usdt=total_fee,
        reduce_only=_is_yes(order.reduceOnly) or order.tradeSide.lower() == "close",
        ts_ms=ms(order.uTime or order.cTime),
        fills=fills,
    )


# --- Positions and balances -----------------------------------------------------------------


def parse_margin_mode(text: str) -> MarginMode | None:
    return {"crossed": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}.get(text.lower())


def _position(
    symbol: str, hold_side: str, total: str, pos_mode: str, entry: str, leverage: str | int,
    margin_mode: str, upl: str, ts: str,
) -> Position:  # fmt: skip
    qty = dec(total)
    side = PositionSide(hold_side.lower())
    return Position(
        venue=c.VENUE,
        symbol=symbol,
        qty_base=qty if side is PositionSide.LONG else -qty,
        entry_price=dec(entry),
        leverage=dec(leverage) if leverage not in ("", None) else None,
        margin_mode=parse_margin_mode(margin_mode),
        unrealized_pnl_usdt=dec(upl),
        side=side if pos_mode == "hedge_mode" else None,
        ts_ms=ms(ts),
    )


def parse_position(record: s.PositionRecord, symbol: str) -> Position:
    return _position(
        symbol, record.holdSide, record.total, record.posMode, record.openPriceAvg,
        record.leverage, record.marginMode, record.unrealizedPL, record.uTime or record.cTime,
    )  # fmt: skip


def parse_ws_position(record: s.WsPosition, symbol: str) -> Position:
    return _position(
        symbol, record.holdSide, record.total, record.posMode, record.openPriceAvg,
        record.leverage, record.marginMode, record.unrealizedPL, record.uTime or record.cTime,
    )  # fmt: skip


# --- Errors ---------------------------------------------------------------------------------

_CODES_BY_ERROR: tuple[tuple[type[errors.ExchangeError], str], ...] = (
    (errors.RateLimited, "429 30006 30007"),
    (errors.TransientError, "1 40015"),
    (errors.AuthError, "40001 40002 40003 40004 40005 40006 40008 40009 40010 40011 40012 40037"),
    (errors.AuthError, "30004 30005 30011 30012 30013 30014 30015"),
    (errors.PermissionDenied, "40014 40016 40018"),
    (errors.InsufficientMargin, "40762 43012 40711 40712"),
    (errors.InvalidOrder, "40808 41103 43011 45110 40774 40017 40019 40020 40102"),
    (errors.ReduceOnlyRejected, "22002 40757"),
    (errors.OrderNotFound, "40768 43001 40109"),
    (errors.DuplicateClientOrderId, "40786"),
)
_ERROR_TABLE: dict[str, type[errors.ExchangeError]] = {
    code: cls for cls, codes in _CODES_BY_ERROR for code in codes.split()
}

_MESSAGE_HINTS: tuple[tuple[str, type[errors.ExchangeError]], ...] = (
    ("duplicate", errors.DuplicateClientOrderId),
    ("too many requests", errors.RateLimited),
    ("no position to close", errors.ReduceOnlyRejected),
    ("not enough position", errors.ReduceOnlyRejected),
    ("reduce", errors.ReduceOnlyRejected),
    ("insufficient", errors.InsufficientMargin),
    ("exceeds the balance", errors.InsufficientMargin),
    ("order does not exist", errors.OrderNotFound),
    ("order not exist", errors.OrderNotFound),
)


def error_class(
    code: str | int | None, message: str, http_status: int | None = None
) -> type[errors.ExchangeError]:
    """The core error type for a Bitget code (REST string or WS number) and message."""
    code_text = "" if code is None else str(code)
    if code_text in _ERROR_TABLE:
        return _ERROR_TABLE[code_text]
    if http_status == 429:
        return errors.RateLimited
    lowered = message.lower()
    for hint, cls in _MESSAGE_HINTS:
        if hint in lowered:
            return cls
    if http_status is not None and http_status >= 500:
        return errors.TransientError
    if http_status in (401, 403):
        return errors.AuthError
    return errors.ExchangeError


def map_error(
    code: str | int | None, message: str, http_status: int | None = None
) -> errors.ExchangeError:
    """An instance of the mapped error, carrying venue, message and code."""
    cls = error_class(code, message, http_status)
    return cls(c.VENUE.value, message or "error", code)
