"""Pure Bybit wire <-> core translation: instruments, books, orders, fills, positions, wallet
(see `wallet`), funding, order bodies, and the retCode table. No I/O, no clock reads."""

from __future__ import annotations

import re
from decimal import Decimal

from arbcore.core.enums import (
    MarginMode,
    OrderStatus,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
    Venue,
)
from arbcore.core.errors import (
    AuthError,
    DuplicateClientOrderId,
    ExchangeError,
    InsufficientMargin,
    InvalidOrder,
    LeverageNotModified,
    NotSupported,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    ReduceOnlyRejected,
    TransientError,
)
from arbcore.core.models import (
    Fill,
    FundingPayment,
    FundingRate,
    Instrument,
    OrderRequest,
    OrderResult,
    Position,
)
from arbcore.core.quantize import floor_to_step, fmt, price_to_tick
from arbcore.exchanges.bybit import constants as C
from arbcore.exchanges.bybit import schemas as S
from arbcore.exchanges.bybit.wallet import parse_wallet as parse_wallet

VENUE = Venue.BYBIT
ZERO = Decimal(0)
_CLIENT_ID_RE = re.compile(r"^[0-9A-Za-z_-]{1,36}$")

ERROR_TABLE: dict[int, type[ExchangeError]] = {
    10001: InvalidOrder,
    10002: AuthError,
    10003: AuthError,
    10004: AuthError,
    10005: PermissionDenied,
    10006: RateLimited,
    10007: AuthError,  # "User authentication failed."
    10010: PermissionDenied,
    10016: TransientError,
    10017: NotSupported,
    10018: RateLimited,
    33004: AuthError,  # "(Derivatives) Your api key has expired"
    110001: OrderNotFound,
    110003: InvalidOrder,
    110004: InsufficientMargin,
    110007: InsufficientMargin,
    110012: InsufficientMargin,
    110017: ReduceOnlyRejected,
    110020: OrderRejected,
    110043: LeverageNotModified,
    110044: InsufficientMargin,
    110045: InsufficientMargin,
    110072: DuplicateClientOrderId,
    110094: InvalidOrder,
    12137: InvalidOrder,
    170136: InvalidOrder,
    170137: InvalidOrder,
    170140: InvalidOrder,
}

_STATUS: dict[str, OrderStatus] = {
    "Created": OrderStatus.NEW,
    "New": OrderStatus.NEW,
    "Untriggered": OrderStatus.NEW,
    "Triggered": OrderStatus.NEW,
    "PartiallyFilled": OrderStatus.PARTIALLY_FILLED,
    "Filled": OrderStatus.FILLED,
    "Cancelled": OrderStatus.CANCELLED,
    "PartiallyFilledCanceled": OrderStatus.CANCELLED,
    "Deactivated": OrderStatus.CANCELLED,
    "Rejected": OrderStatus.REJECTED,
}

_TIF = {
    TimeInForce.GTC: "GTC",
    TimeInForce.IOC: "IOC",
    TimeInForce.FOK: "FOK",
    TimeInForce.POST_ONLY: "PostOnly",
}


def dec(text: str | int) -> Decimal:
    """A wire number (string, possibly empty) as Decimal; empty means zero."""
    if isinstance(text, int):
        return Decimal(text)
    return Decimal(text) if text else ZERO


def to_int(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(value) if value else 0


def ret_code(envelope: S.Envelope) -> int:
    return to_int(envelope.retCode)


def error_for(
    code: int, message: str, *, placing_order: bool = False, client_id: str | None = None
) -> ExchangeError:
    """The core error for a non-zero retCode. Unknown codes on order placement are rejects."""
    cls = ERROR_TABLE.get(code)
    if cls is None:
        cls = OrderRejected if placing_order else ExchangeError
    if cls is RateLimited:
        return RateLimited(VENUE, message, code=code, retry_after_s=1.0)
    return cls(VENUE, message, code)


def side_from_wire(text: str) -> Side:
    if text == "Buy":
        return Side.BUY
    if text == "Sell":
        return Side.SELL
    raise ValueError(f"bybit side {text!r}")


def side_to_wire(side: Side) -> str:
    return "Buy" if side is Side.BUY else "Sell"


# ---- instruments and market data --------------------------------------------------------


def parse_instrument(info: S.InstrumentInfo) -> Instrument | None:
    """A USDT linear perpetual as a core Instrument (quantities in base coin); None otherwise."""
    if info.contractType != "LinearPerpetual":
        return None
    if info.settleCoin not in ("", C.SETTLE_COIN):
        return None
    lot = info.lotSizeFilter
    return Instrument(
        venue=VENUE,
        symbol=info.symbol,
        venue_symbol=info.symbol,
        base=info.baseCoin,
        quote=info.quoteCoin,
        tick_size=dec(info.priceFilter.tickSize),
        qty_step=dec(lot.qtyStep),
        min_qty=dec(lot.minOrderQty),
        contract_size=Decimal(1),
        qty_in_contracts=False,
        min_notional_usdt=dec(lot.minNotionalValue),
        max_qty=dec(lot.maxOrderQty) if lot.maxOrderQty else None,
        max_leverage=dec(info.leverageFilter.maxLeverage),
        trading=info.status == "Trading",
    )


def funding_interval_h(info: S.InstrumentInfo) -> int:
    """`fundingInterval` is in minutes (480 = 8 h)."""
    return max(1, to_int(info.fundingInterval) // 60)


def rest_book_levels(
    result: S.OrderbookResult,
) -> tuple[list[list[str]], list[list[str]], int, int]:
    """(bids, asks, update id, ts_ms) of a REST order book."""
    return result.b, result.a, to_int(result.u), to_int(result.ts)


def parse_funding_rate(ticker: S.Ticker, interval_h: int) -> FundingRate:
    return FundingRate(
        venue=VENUE,
        symbol=ticker.symbol,
        rate=dec(ticker.fundingRate),
        next_funding_ms=to_int(ticker.nextFundingTime),
        interval_h=interval_h,
    )


# ---- orders, fills, positions, balance --------------------------------------------------


def parse_order(order: S.OrderInfo, fills: tuple[Fill, ...] = ()) -> OrderResult:
    """An order record as OrderResult. A `Cancelled` IOC may carry `cumExecQty > 0`."""
    status = _STATUS.get(order.orderStatus, OrderStatus.UNKNOWN)
    filled = dec(order.cumExecQty)
    avg = dec(order.avgPrice) if filled > 0 and order.avgPrice else None
    error = None
    if order.rejectReason and order.rejectReason != "EC_NoError":
        error = order.rejectReason
    return OrderResult(
        venue=VENUE,
        symbol=order.symbol,
        client_id=order.orderLinkId,
        exchange_order_id=order.orderId or None,
        status=status,
        side=side_from_wire(order.side),
        requested_base=dec(order.qty),
        filled_base=filled,
        avg_price=avg,
        fee_usdt=dec(order.cumExecFee),
        reduce_only=order.reduceOnly,
        error=error,
        ts_ms=to_int(order.updatedTime or order.createdTime),
        fills=fills,
    )


def parse_execution(execution: S.Execution) -> Fill:
    """A trade fill; Bybit's `execFee` is positive when paid, as in the core."""
    return Fill(
        venue=VENUE,
        symbol=execution.symbol,
        client_id=execution.orderLinkId,
        exchange_order_id=execution.orderId,
        trade_id=execution.execId,
        side=side_from_wire(execution.side),
        qty_base=dec(execution.execQty),
        price=dec(execution.execPrice),
        fee_usdt=dec(execution.execFee),
        ts_ms=to_int(execution.execTime),
        is_maker=execution.isMaker,
    )


def is_trade(execution: S.Execution) -> bool:
    return execution.execType in ("Trade", "AdlTrade", "BustTrade")


def parse_funding_payment(execution: S.Execution) -> FundingPayment:
    """A `Funding` execution: `execFee` > 0 was paid, so the amount received is its negative."""
    return FundingPayment(
        venue=VENUE,
        symbol=execution.symbol,
        amount_usdt=-dec(execution.execFee),
        ts_ms=to_int(execution.execTime),
    )


def parse_position(
    position: S.PositionInfo, ts_ms: int = 0, *, keep_flat: bool = False
) -> Position | None:
    """A position, signed (+ long, - short); flat ones are None unless `keep_flat`."""
    size = dec(position.size)
    if size == 0 or position.side not in ("Buy", "Sell"):
        if not keep_flat:
            return None
        size = ZERO
    signed = -size if position.side == "Sell" else size
    idx = to_int(position.positionIdx)
    hedge_side = {
        C.POSITION_IDX_HEDGE_LONG: PositionSide.LONG,
        C.POSITION_IDX_HEDGE_SHORT: PositionSide.SHORT,
    }.get(idx)
    trade_mode = to_int(position.tradeMode)
    return Position(
        venue=VENUE,
        symbol=position.symbol,
        qty_base=signed,
        entry_price=dec(position.avgPrice or position.entryPrice),
        leverage=dec(position.leverage) if position.leverage else None,
        margin_mode=MarginMode.ISOLATED if trade_mode == 1 else MarginMode.CROSS,
        unrealized_pnl_usdt=dec(position.unrealisedPnl),
        side=hedge_side,
        ts_ms=to_int(position.updatedTime) or ts_ms,
    )


# ---- requests ---------------------------------------------------------------------------


def position_idx(req: OrderRequest, mode: PositionMode) -> int:
    """0 in one-way mode; in hedge mode 1 for the long leg, 2 for the short leg."""
    if mode is PositionMode.ONE_WAY:
        return C.POSITION_IDX_ONE_WAY
    if req.position_side is not None:
        is_long = req.position_side is PositionSide.LONG
    else:
        # Opening: the side is the leg. Reducing: a sell closes the long, a buy the short.
        is_long = (req.side is Side.BUY) != req.reduce_only
    return C.POSITION_IDX_HEDGE_LONG if is_long else C.POSITION_IDX_HEDGE_SHORT


def validate_client_id(client_id: str) -> None:
    if not _CLIENT_ID_RE.match(client_id):
        raise InvalidOrder(VENUE, f"orderLinkId {client_id!r}: 1-36 chars of [0-9A-Za-z_-]")


def order_body(req: OrderRequest, instrument: Instrument, mode: PositionMode) -> dict[str, object]:
    """The `/v5/order/create` body: qty floored to the step, price rounded to the tick."""
    validate_client_id(req.client_id)
    qty = floor_to_step(req.qty_base, instrument.qty_step)
    if qty <= 0 or qty < instrument.min_qty:
        raise InvalidOrder(
            VENUE, f"{req.symbol}: qty {req.qty_base} below minimum {instrument.min_qty}"
        )
    body: dict[str, object] = {
        "category": C.CATEGORY,
        "symbol": instrument.venue_symbol,
        "side": side_to_wire(req.side),
        "orderType": "Market" if req.order_type is OrderType.MARKET else "Limit",
        "qty": fmt(qty),
    }
    if req.order_type is OrderType.LIMIT:
        if req.price is None:
            raise InvalidOrder(VENUE, f"{req.symbol}: limit order without price")
        body["price"] = fmt(price_to_tick(req.price, instrument.tick_size, req.side))
        body["timeInForce"] = _TIF[req.tif]
    if req.reduce_only:
        body["reduceOnly"] = True
    body["positionIdx"] = position_idx(req, mode)
    body["orderLinkId"] = req.client_id
    return body
