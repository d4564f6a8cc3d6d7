"""Bitget USDT-FUTURES contract table and the `/api/v2/mix/market/contracts` rows built from it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from arbcore.core.enums import Venue
from arbcore.core.models import Instrument
from arbcore.core.quantize import fmt

D = Decimal

PRODUCT_TYPE = "USDT-FUTURES"
MARGIN_COIN = "USDT"
MAKER_FEE_RATE = D("0.0002")
TAKER_FEE_RATE = D("0.0006")
FUND_INTERVAL_H = 8


@dataclass(frozen=True, slots=True)
class BitgetContractSpec:
    """The fields of one Bitget contract row that shape trading (all in base coin / USDT)."""

    base: str
    price_place: int
    price_end_step: int
    volume_place: int
    size_multiplier: Decimal
    min_trade_num: Decimal
    max_lever: int
    min_trade_usdt: Decimal = Decimal(5)

    @property
    def tick_size(self) -> Decimal:
        return D(self.price_end_step).scaleb(-self.price_place)


# BTC row from the fact sheet's contracts sample (pricePlace 1, sizeMultiplier 0.001,
# minTradeUSDT 5, maxLever 125); LTC 0.1 from recorded orders (ccxt static responses);
# the others are typical v2 values (price decimals by price level, coin steps) [approximate].
SPECS: dict[str, BitgetContractSpec] = {
    "BTC": BitgetContractSpec("BTC", 1, 1, 3, D("0.001"), D("0.001"), 125),
    "ETH": BitgetContractSpec("ETH", 2, 1, 2, D("0.01"), D("0.01"), 100),
    "SOL": BitgetContractSpec("SOL", 2, 1, 1, D("0.1"), D("0.1"), 75),
    "XRP": BitgetContractSpec("XRP", 4, 1, 0, D("1"), D("1"), 75),
    "DOGE": BitgetContractSpec("DOGE", 5, 1, 0, D("1"), D("1"), 75),
    "LTC": BitgetContractSpec("LTC", 2, 1, 1, D("0.1"), D("0.1"), 75),
    "ADA": BitgetContractSpec("ADA", 4, 1, 0, D("1"), D("1"), 75),
    "LINK": BitgetContractSpec("LINK", 3, 1, 1, D("0.1"), D("0.1"), 75),
}


def spec_instrument(spec: BitgetContractSpec) -> Instrument:
    """The core Instrument of one Bitget contract (quantities in base coin)."""
    return Instrument(
        venue=Venue.BITGET,
        symbol=f"{spec.base}USDT",
        venue_symbol=f"{spec.base}USDT",
        base=spec.base,
        quote="USDT",
        tick_size=spec.tick_size,
        qty_step=spec.size_multiplier,
        min_qty=spec.min_trade_num,
        min_notional_usdt=spec.min_trade_usdt,
        max_qty=spec.size_multiplier * 1_000_000,
        max_leverage=D(spec.max_lever),
    )


def bitget_instruments(bases: list[str] | None = None) -> list[Instrument]:
    names = bases if bases is not None else list(SPECS)
    return [spec_instrument(SPECS[b]) for b in names]


def decimals(step: Decimal) -> int:
    """Number of decimal places of a step ('0.001' -> 3, '1' -> 0, '0.5' -> 1)."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def price_place(inst: Instrument) -> int:
    return decimals(inst.tick_size)


def volume_place(inst: Instrument) -> int:
    return decimals(inst.qty_step)


def contract_row(inst: Instrument) -> dict[str, object]:
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
        "makerFeeRate": fmt(MAKER_FEE_RATE),
        "takerFeeRate": fmt(TAKER_FEE_RATE),
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
        "fundInterval": str(FUND_INTERVAL_H),
        "minLever": "1",
        "maxLever": fmt(inst.max_leverage),
        "posLimit": "0.1",
        "maintainTime": "",
        "maxMarketOrderQty": fmt(max_qty / 5),
        "maxOrderQty": fmt(max_qty),
    }
