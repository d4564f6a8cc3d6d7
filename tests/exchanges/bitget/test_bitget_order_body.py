"""place-order bodies: exact bytes of the worked example, ccxt's recorded requests, hedge mode."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from arbcore.core import errors
from arbcore.core.enums import Env, OrderType, PositionSide, Side, TimeInForce, Venue
from arbcore.core.models import Instrument, OrderRequest
from arbcore.exchanges.bitget import auth
from arbcore.exchanges.bitget import constants as c
from arbcore.exchanges.bitget.rest import order_body

FIXTURES = Path(__file__).parents[2] / "fixtures" / "bitget" / "rest"
LIVE = c.profile_for(Env.LIVE)


def _inst(symbol: str = "BTCUSDT", tick: str = "0.1", step: str = "0.001") -> Instrument:
    return Instrument(
        venue=Venue.BITGET, symbol=symbol, venue_symbol=symbol, base=symbol[:-4], quote="USDT",
        tick_size=Decimal(tick), qty_step=Decimal(step), min_qty=Decimal(step),
    )  # fmt: skip


def _req(**kw: object) -> OrderRequest:
    base: dict[str, object] = {
        "venue": Venue.BITGET, "symbol": "BTCUSDT", "side": Side.BUY,
        "qty_base": Decimal("0.001"), "client_id": "ac1",
    }  # fmt: skip
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


def _fixture(name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def test_worked_example_body_bytes_and_signature() -> None:
    req = _req(
        side=Side.SELL, qty_base=Decimal("0.01"), client_id="arb1S10",
        order_type=OrderType.MARKET, reduce_only=True,
    )  # fmt: skip
    body = order_body(req, _inst(), LIVE, "crossed", hedge_mode=False)
    assert body == _fixture("place_order_request__one_way_market_reduce_only")
    text = msgspec.json.encode(body).decode()
    prehash = auth.rest_prehash("1700000000000", "POST", c.PATH_PLACE_ORDER, "", text)
    assert (
        auth.sign("bitget-demo-secret", prehash) == "OLrxMI4CGLpfkDEdB1eckXxdclqDRwIF0aC8TaI8KX0="
    )


def _same_request(ours: dict[str, str], ccxt: dict[str, str]) -> None:
    """ccxt sends force upper case and even on market orders; Bitget accepts both cases."""
    theirs = {k: v for k, v in ccxt.items() if not (k == "force" and "price" not in ccxt)}
    assert {k: v.lower() for k, v in ours.items() if k != "clientOid"} == {
        k: v.lower() for k, v in theirs.items()
    }


def test_matches_ccxt_cross_limit_buy() -> None:
    req = _req(price=Decimal(25000), tif=TimeInForce.GTC)
    ours = order_body(req, _inst(), LIVE, "crossed", hedge_mode=False)
    _same_request(ours, _fixture("place_order_request__ccxt_swap_cross_limit_buy"))


def test_matches_ccxt_post_only_reduce_only_sell() -> None:
    req = _req(side=Side.SELL, price=Decimal(38000), tif=TimeInForce.POST_ONLY, reduce_only=True)
    ours = order_body(req, _inst(), LIVE, "crossed", hedge_mode=False)
    _same_request(ours, _fixture("place_order_request__ccxt_swap_post_only_reduce_only_sell"))


def test_matches_ccxt_hedge_open_short() -> None:
    req = _req(
        symbol="LTCUSDT", side=Side.SELL, qty_base=Decimal("0.1"), order_type=OrderType.MARKET
    )
    ours = order_body(req, _inst("LTCUSDT", "0.01", "0.1"), LIVE, "crossed", hedge_mode=True)
    _same_request(ours, _fixture("place_order_request__ccxt_hedge_open_short_market"))


@pytest.mark.parametrize(
    ("side", "reduce_only", "position_side", "wire_side", "trade_side"),
    [
        (Side.BUY, False, None, "buy", "open"),  # open long
        (Side.SELL, False, None, "sell", "open"),  # open short
        (Side.SELL, True, None, "buy", "close"),  # close long
        (Side.BUY, True, None, "sell", "close"),  # close short
        (Side.SELL, True, PositionSide.LONG, "buy", "close"),
    ],
)
def test_hedge_mode_side_names_the_position(
    side: Side, reduce_only: bool, position_side: PositionSide | None, wire_side: str,
    trade_side: str,
) -> None:  # fmt: skip
    req = _req(side=side, reduce_only=reduce_only, position_side=position_side, price=Decimal(1))
    body = order_body(req, _inst(), LIVE, "isolated", hedge_mode=True)
    assert (body["side"], body["tradeSide"]) == (wire_side, trade_side)
    assert "reduceOnly" not in body


def test_ioc_limit_price_rounds_to_tick_toward_crossing() -> None:
    buy = order_body(_req(price=Decimal("27000.04")), _inst(), LIVE, "isolated", False)
    sell = order_body(
        _req(side=Side.SELL, price=Decimal("27000.06")), _inst(), LIVE, "isolated", False
    )
    assert (buy["price"], buy["force"], buy["orderType"]) == ("27000.1", "ioc", "limit")
    assert sell["price"] == "27000"
    assert "tradeSide" not in buy and "reduceOnly" not in buy


def test_demo_profile_uses_susdt_product_and_margin_coin() -> None:
    demo = c.profile_for(Env.DEMO)
    body = order_body(_req(price=Decimal(1)), _inst(), demo, "isolated", False)
    assert (body["productType"], body["marginCoin"]) == ("SUSDT-FUTURES", "SUSDT")
    plain = c.profile_for(Env.DEMO, {"product_type": "USDT-FUTURES", "margin_coin": "USDT"})
    assert plain.product_type == "USDT-FUTURES" and plain.core_coin("SBTC") == "BTC"


def test_limit_without_price_is_invalid() -> None:
    with pytest.raises(errors.InvalidOrder):
        order_body(_req(), _inst(), LIVE, "isolated", False)
