"""Bitget USDT-FUTURES contract rows (`/api/v2/mix/market/contracts`) from core instruments."""

from __future__ import annotations

from decimal import Decimal

from arbcore.core.models import Instrument
from arbcore.core.quantize import fmt

PRODUCT_TYPE = "USDT-FUTURES"
MARGIN_COIN = "USDT"


def decimals(step: Decimal) -> int:
    """Number of decimal places of a step ('0.001' -> 3, '1' -> 0, '0.5' -> 1)."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def price_place(inst: Instrument) -> int:
    return decimals(inst.tick_size)


def volume_place(inst: Instrument) -> int:
    return decimals(inst.qty_step)


def contract_row(
    inst: Instrument, taker_fee: Decimal, maker_fee: Decimal, fund_interval_h: int
) -> dict[str, object]:
    """One row of `/api/v2/mix/market/contracts`, derived from the instrument the core trades.

    Key set and order as in the fact sheet sample; every value a string except
    `supportMarginCoins` (a list), as on the wire.
    """
    place = price_place(inst)
    end_step = int(inst.tick_size.scaleb(place))
    max_qty = inst.max_qty if inst.max_qty is not None else inst.qty_step * 1_000_000
    return {
        "symbol": inst.venue_symbol,
        "baseCoin": inst.base,
        "quoteCoin": inst.quote,
        "buyLimitPriceRatio": "0.01",
        "sellLimitPriceRatio": "0.01",
        "feeRateUpRatio": "0.005",
        "makerFeeRate": fmt(maker_fee),
        "takerFeeRate": fmt(taker_fee),
        "openCostUpRatio": "0.01",
        "supportMarginCoins": [MARGIN_COIN],
        "minTradeNum": fmt(inst.min_qty),
        "priceEndStep": str(end_step),
        "volumePlace": str(volume_place(inst)),
        "pricePlace": str(place),
        "sizeMultiplier": fmt(inst.qty_step),
        "symbolType": "perpetual",
        "minTradeUSDT": fmt(inst.min_notional_usdt),
        "maxSymbolOrderNum": "200",
        "maxProductOrderNum": "400",
        "maxPositionNum": "150",
        "symbolStatus": "normal" if inst.trading else "maintain",
        "offTime": "-1",
        "limitOpenTime": "-1",
        "deliveryTime": "",
        "deliveryStartTime": "",
        "launchTime": "",
        "fundInterval": str(fund_interval_h),
        "minLever": "1",
        "maxLever": fmt(inst.max_leverage),
        "posLimit": "0.1",
        "maintainTime": "",
        "maxMarketOrderQty": fmt(max_qty / 5),
        "maxOrderQty": fmt(max_qty),
    }
