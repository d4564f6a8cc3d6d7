"""Bitget v2 REST endpoint logic over the matching core: parameters in, `data` payloads out."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from arbcore.core.enums import (
    MarginMode,
    OrderType,
    PositionMode,
    PositionSide,
    Side,
    TimeInForce,
)
from arbcore.core.quantize import fmt
from arbcore.sim.events import LedgerKind, RejectReason, SimReject
from arbcore.sim.matching import SimExchange
from arbcore.sim.venues import bitget_encode as enc
from arbcore.sim.venues import bitget_instruments as tbl
from arbcore.sim.venues import bitget_lists as lists
from arbcore.sim.venues.bitget_codes import BitgetError, missing_param

Params = Mapping[str, str]
KEEP_MARGIN_RATE = Decimal("0.004")
FUNDING_BILL = "contract_settle_fee"
_FORCES = {
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    "post_only": TimeInForce.POST_ONLY,
}
_MARGIN_MODES = {"crossed": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}
_POS_MODES = {"one_way_mode": PositionMode.ONE_WAY, "hedge_mode": PositionMode.HEDGE}
_DEPTH_LIMITS = {"1": 1, "5": 5, "15": 15, "50": 50, "100": 100, "max": 200}


class ParamError(Exception):
    """A request parameter Bitget would refuse before reaching the matching engine."""

    def __init__(self, error: BitgetError) -> None:
        self.error = error
        super().__init__(error.msg)


def need(params: Params, name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise ParamError(missing_param(name))
    return value


def need_decimal(params: Params, name: str) -> Decimal:
    try:
        return Decimal(need(params, name))
    except InvalidOperation as exc:
        raise SimReject(RejectReason.INVALID_PARAMETER, f"{name} is not a number") from exc


def check_product(params: Params) -> None:
    if need(params, "productType").upper() != tbl.PRODUCT_TYPE:
        raise SimReject(RejectReason.INVALID_PARAMETER, "productType")


@dataclass
class BitgetApi:
    """Endpoint functions; private ones take the account id first."""

    exchange: SimExchange

    def __post_init__(self) -> None:
        self._oid = itertools.count(1_300_000_000_000_000_000)

    # public ----------------------------------------------------------------------------
    def server_time(self, params: Params, now_ms: int) -> object:
        return {"serverTime": str(now_ms)}

    def contracts(self, params: Params, now_ms: int) -> object:
        if need(params, "productType").upper() != tbl.PRODUCT_TYPE:
            return []
        symbol = params.get("symbol")
        ex = self.exchange
        hours = max(1, ex.funding_interval_ms // 3_600_000)
        rows = [
            tbl.contract_row(inst, ex.taker_fee, ex.maker_fee, hours)
            for inst in ex.instruments.values()
            if symbol is None or inst.venue_symbol == symbol
        ]
        if symbol is not None and not rows:
            raise SimReject(RejectReason.UNKNOWN_SYMBOL, symbol)
        return rows

    def coins(self, params: Params, now_ms: int) -> object:
        """Spot coin list (ccxt's load_markets fetches currencies): margin coin only."""
        chain = {
            "chain": "TRC20", "needTag": "false", "withdrawable": "true", "rechargeable": "true",
            "withdrawFee": "1", "extraWithdrawFee": "0", "depositConfirm": "1",
            "withdrawConfirm": "1", "minDepositAmount": "0.01", "minWithdrawAmount": "10",
            "browserUrl": "", "contractAddress": "", "withdrawStep": "0",
            "withdrawMinScale": "8", "congestion": "normal",
        }  # fmt: skip
        return [{"coinId": "2", "coin": "USDT", "transfer": "true", "chains": [chain]}]

    def _ticker(self, symbol: str, now_ms: int) -> dict[str, object]:
        inst = self.exchange.instrument(symbol)
        book = self.exchange.books[inst.symbol]
        bid, ask = book.best_bid(), book.best_ask()
        mark = self.exchange.mark_price(inst.symbol)
        last = fmt(mark)
        return {
            "symbol": inst.venue_symbol,
            "lastPr": last,
            "askPr": book.price_text(ask) if ask is not None else "",
            "bidPr": book.price_text(bid) if bid is not None else "",
            "bidSz": book.qty_text(book.bids[bid]) if bid is not None else "",
            "askSz": book.qty_text(book.asks[ask]) if ask is not None else "",
            "high24h": last,
            "low24h": last,
            "ts": str(now_ms),
            "change24h": "0",
            "baseVolume": "0",
            "quoteVolume": "0",
            "usdtVolume": "0",
            "openUtc": last,
            "changeUtc24h": "0",
            "indexPrice": last,
            "fundingRate": fmt(self.exchange.funding_rates[inst.symbol]),
            "holdingAmount": "0",
            "deliveryStartTime": None,
            "deliveryTime": None,
            "deliveryStatus": "",
            "open24h": last,
            "markPrice": last,
        }

    def ticker(self, params: Params, now_ms: int) -> object:
        check_product(params)
        return [self._ticker(need(params, "symbol"), now_ms)]

    def tickers(self, params: Params, now_ms: int) -> object:
        check_product(params)
        return [self._ticker(s, now_ms) for s in self.exchange.instruments]

    def merge_depth(self, params: Params, now_ms: int) -> object:
        """Book levels as JSON numbers (as the real merge-depth), best first per side."""
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        book = self.exchange.books[inst.symbol]
        depth = _DEPTH_LIMITS.get(params.get("limit", "100"), 100)
        bids, asks = book.top(depth)
        return {
            "asks": [[float(book.price_text(t)), float(book.qty_text(s))] for t, s in asks],
            "bids": [[float(book.price_text(t)), float(book.qty_text(s))] for t, s in bids],
            "ts": str(book.ts_ms or now_ms),
            "scale": fmt(inst.tick_size),
            "precision": params.get("precision", "scale0"),
            "isMaxPrecision": "NO",
        }

    def current_fund_rate(self, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        interval_h = self.exchange.funding_interval_ms // 3_600_000
        return [
            {
                "symbol": inst.venue_symbol,
                "fundingRate": fmt(self.exchange.funding_rates[inst.symbol]),
                "fundingRateInterval": str(max(interval_h, 1)),
                "nextUpdate": str(self.exchange.next_funding_ms[inst.symbol]),
                "minFundingRate": "-0.003",
                "maxFundingRate": "0.003",
            }
        ]

    def funding_time(self, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        interval_h = self.exchange.funding_interval_ms // 3_600_000
        return [
            {
                "symbol": inst.venue_symbol,
                "nextFundingTime": str(self.exchange.next_funding_ms[inst.symbol]),
                "ratePeriod": str(max(interval_h, 1)),
            }
        ]

    # helpers for private endpoints -----------------------------------------------------
    def _modes(self, account_id: str, symbol: str) -> tuple[Decimal, MarginMode, PositionMode]:
        account = self.exchange.account(account_id)
        return (
            account.leverage_of(symbol),
            account.margin_mode_of(symbol),
            account.position_mode,
        )

    def order_json(self, account_id: str, order_id: str, status_key: str) -> dict[str, object]:
        order = self.exchange.find_order(account_id, order_id)
        lev, mm, pm = self._modes(account_id, order.symbol)
        return enc.order_record(order, lev, mm, pm, status_key)

    # orders ----------------------------------------------------------------------------
    def place_order(self, account_id: str, params: Params, now_ms: int) -> dict[str, str]:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        side = Side(need(params, "side").lower())
        order_type = OrderType(need(params, "orderType").lower())
        qty = need_decimal(params, "size")
        price = need_decimal(params, "price") if order_type is OrderType.LIMIT else None
        tif = _FORCES.get(params.get("force", "gtc").lower(), TimeInForce.GTC)
        account = self.exchange.account(account_id)
        trade_side = params.get("tradeSide", "").lower()
        reduce_only = params.get("reduceOnly", "NO").upper() == "YES"
        position_side: PositionSide | None = None
        if account.position_mode is PositionMode.HEDGE:
            if trade_side not in ("open", "close"):
                raise SimReject(RejectReason.POSITION_SIDE_MISMATCH, "tradeSide required")
            position_side = PositionSide.LONG if side is Side.BUY else PositionSide.SHORT
            if trade_side == "close":
                side, reduce_only = side.opposite, True
        elif trade_side:
            raise SimReject(RejectReason.POSITION_SIDE_MISMATCH, "tradeSide in one-way mode")
        client_id = params.get("clientOid") or str(next(self._oid))
        order = self.exchange.place_order(
            account_id, inst.symbol, side, order_type, qty, price, tif, reduce_only,
            position_side, client_id,
        )  # fmt: skip
        return {"orderId": order.order_id, "clientOid": order.client_id}

    def cancel_order(self, account_id: str, params: Params, now_ms: int) -> dict[str, str]:
        check_product(params)
        self.exchange.instrument(need(params, "symbol"))
        order_id, client_id = params.get("orderId"), params.get("clientOid")
        if not order_id and not client_id:
            raise ParamError(missing_param("orderId"))
        order = self.exchange.cancel_order(account_id, order_id or None, client_id or None)
        return {"orderId": order.order_id, "clientOid": order.client_id}

    def cancel_all(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        symbol = params.get("symbol")
        sym = self.exchange.instrument(symbol).symbol if symbol else None
        done = self.exchange.cancel_all(account_id, sym)
        ok = [{"orderId": o.order_id, "clientOid": o.client_id} for o in done]
        return {"successList": ok, "failureList": []}

    def order_detail(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        self.exchange.instrument(need(params, "symbol"))
        order_id, client_id = params.get("orderId"), params.get("clientOid")
        if not order_id and not client_id:
            raise ParamError(missing_param("orderId"))
        order = self.exchange.find_order(account_id, order_id or None, client_id or None)
        return self.order_json(account_id, order.order_id, "state")

    def _order_list(self, account_id: str, params: Params, open_only: bool, now_ms: int) -> object:
        check_product(params)
        symbol = params.get("symbol")
        sym = self.exchange.instrument(symbol).symbol if symbol else None
        orders = self.exchange.account_orders(account_id, sym, open_only=open_only)
        if not open_only:
            orders = [o for o in orders if not o.is_open]
        else:
            orders = lists.pending_status(orders, params)
        if params.get("orderId"):
            orders = [o for o in orders if o.order_id == params["orderId"]]
        if params.get("clientOid"):
            orders = [o for o in orders if o.client_id == params["clientOid"]]
        orders = lists.in_window(
            orders, params, now_ms, lambda o: o.created_ms, keep_90_days=not open_only
        )
        if params.get("idLessThan"):
            orders = lists.after_id(orders, params["idLessThan"], lambda o: o.order_id)
        chosen = orders[: lists.page_limit(params)]
        rows = [self.order_json(account_id, o.order_id, "status") for o in chosen]
        if open_only:
            for row in rows:
                row["fee"] = ""
        end_id = rows[-1]["orderId"] if rows else None
        return {"entrustedList": rows, "endId": end_id}

    def orders_pending(self, account_id: str, params: Params, now_ms: int) -> object:
        return self._order_list(account_id, params, True, now_ms)

    def orders_history(self, account_id: str, params: Params, now_ms: int) -> object:
        return self._order_list(account_id, params, False, now_ms)

    def fills(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        symbol = params.get("symbol")
        sym = self.exchange.instrument(symbol).symbol if symbol else None
        fills = [f for f in self.exchange.account_fills(account_id, sym) if not f.is_funding]
        if params.get("orderId"):
            fills = [f for f in fills if f.order_id == params["orderId"]]
        fills = lists.in_window(fills, params, now_ms, lambda f: f.ts_ms, keep_90_days=False)
        if params.get("idLessThan"):
            fills = lists.after_id(fills, params["idLessThan"], lambda f: f.exec_id)
        mode = self.exchange.account(account_id).position_mode
        rows = [
            enc.fill_record(f, self.exchange.orders[f.order_id].reduce_only, mode)
            for f in fills[: lists.page_limit(params)]
        ]
        return {"fillList": rows, "endId": rows[-1]["tradeId"] if rows else None}

    def account_bill(self, account_id: str, params: Params, now_ms: int) -> object:
        """Account bills; the simulator's ledger yields funding settlements
        (`contract_settle_fee`), the type the connector reads. Newest first, paged by id;
        `limit` 1..100 (default 20); startTime..endTime at most 30 days; 90 days kept."""
        check_product(params)
        limit = lists.bill_limit(params)
        lists.check_bill_span(params, now_ms)
        wanted = params.get("businessType")
        if wanted not in (None, "", FUNDING_BILL):
            return {"bills": [], "endId": None}
        symbol = params.get("symbol")
        sym = self.exchange.instrument(symbol).symbol if symbol else None
        entries = [
            e
            for e in reversed(self.exchange.ledger(account_id))
            if e.kind is LedgerKind.FUNDING and (sym is None or e.symbol == sym)
        ]
        entries = lists.in_window(entries, params, now_ms, lambda e: e.ts_ms, keep_90_days=True)
        if params.get("idLessThan"):
            entries = lists.after_id(entries, params["idLessThan"], lambda e: str(e.entry_id))
        rows = [
            {
                "billId": str(e.entry_id),
                "symbol": self.exchange.instrument(e.symbol).venue_symbol,
                "amount": fmt(e.amount_usdt),
                "fee": "0",
                "feeByCoupon": "",
                "businessType": FUNDING_BILL,
                "coin": "USDT",
                "balance": fmt(e.balance_after_usdt),
                "cTime": str(e.ts_ms),
            }
            for e in entries[:limit]
        ]
        return {"bills": rows, "endId": rows[-1]["billId"] if rows else None}

    # positions and account -------------------------------------------------------------
    def all_position(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        views = self.exchange.positions(account_id)
        return [enc.position_record(v, KEEP_MARGIN_RATE) for v in views if v.qty != 0]

    def single_position(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        views = self.exchange.positions(account_id, inst.symbol)
        return [enc.position_record(v, KEEP_MARGIN_RATE) for v in views if v.qty != 0]

    def _btc_price(self) -> Decimal:
        btc = self.exchange.instruments.get("BTCUSDT")
        return self.exchange.mark_price(btc.symbol) if btc is not None else Decimal(0)

    def accounts(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        wallet = self.exchange.wallet(account_id)
        return [enc.account_record(wallet, self._btc_price())]

    def account(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        wallet = self.exchange.wallet(account_id)
        lev, mm, pm = self._modes(account_id, inst.symbol)
        return enc.single_account_record(wallet, self._btc_price(), lev, mm, pm)

    def _leverage_data(self, account_id: str, symbol: str) -> dict[str, str]:
        lev, mm, _ = self._modes(account_id, symbol)
        return {
            "symbol": symbol,
            "marginCoin": "USDT",
            "longLeverage": fmt(lev),
            "shortLeverage": fmt(lev),
            "crossMarginLeverage": fmt(lev),
            "marginMode": enc.MARGIN_MODE[mm],
        }

    def set_leverage(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        leverage = need_decimal(params, "leverage")
        _ignore_unchanged(
            lambda: self.exchange.set_leverage(account_id, inst.symbol, leverage),
            RejectReason.LEVERAGE_NOT_MODIFIED,
        )
        return self._leverage_data(account_id, inst.venue_symbol)

    def set_margin_mode(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        inst = self.exchange.instrument(need(params, "symbol"))
        mode = _MARGIN_MODES.get(need(params, "marginMode").lower())
        if mode is None:
            raise SimReject(RejectReason.INVALID_PARAMETER, "marginMode")
        _ignore_unchanged(
            lambda: self.exchange.set_margin_mode(account_id, inst.symbol, mode),
            RejectReason.MARGIN_MODE_NOT_MODIFIED,
        )
        data = self._leverage_data(account_id, inst.venue_symbol)
        data.pop("crossMarginLeverage")
        return data

    def set_position_mode(self, account_id: str, params: Params, now_ms: int) -> object:
        check_product(params)
        mode = _POS_MODES.get(need(params, "posMode").lower())
        if mode is None:
            raise SimReject(RejectReason.INVALID_PARAMETER, "posMode")
        _ignore_unchanged(
            lambda: self.exchange.set_position_mode(account_id, mode),
            RejectReason.POSITION_MODE_NOT_MODIFIED,
        )
        return {"posMode": enc.POS_MODE[mode]}


def _ignore_unchanged(action: Callable[[], None], unchanged: RejectReason) -> None:
    """Bitget answers success when the setting is already in place."""
    try:
        action()
    except SimReject as reject:
        if reject.reason is not unchanged:
            raise
