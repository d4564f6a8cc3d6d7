"""Venues taking part in the contract suite: one small adapter per venue.

A venue joins by adding one entry to ADAPTERS (its sim symbol and, if the default does not
fit, how to build its ConnectorConfig from the simulator's endpoints). Every contract test
then runs for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from arbcore.core.enums import Env, Venue
from arbcore.exchanges.base import ConnectorConfig, Credentials, ExchangeClient
from arbcore.sim.testing import VenueEndpoints


def sim_connector_config(endpoints: VenueEndpoints, **extra: str) -> ConnectorConfig:
    """A ConnectorConfig pointing a venue client at its simulated front end."""
    return ConnectorConfig(
        venue=endpoints.venue,
        env=Env.SIM,
        credentials=Credentials(endpoints.api_key, endpoints.secret, endpoints.passphrase),
        rest_url=endpoints.rest_url,
        ws_public_url=endpoints.ws_public_url,
        ws_private_url=endpoints.ws_private_url,
        request_timeout_s=5.0,
        order_timeout_s=3.0,
        extra=dict(extra),
    )


@dataclass(frozen=True)
class VenueAdapter:
    venue: Venue
    symbol: str = "BTCUSDT"  # arbcore symbol traded in the tests
    qty_base: Decimal = Decimal("0.01")  # an order size every venue accepts for `symbol`
    build_config: Callable[[VenueEndpoints], ConnectorConfig] = sim_connector_config
    extra: dict[str, str] = field(default_factory=dict)
    # test function name -> why it cannot pass yet; run as strict xfail (flags when fixed)
    known_gaps: dict[str, str] = field(default_factory=dict)


ADAPTERS: dict[Venue, VenueAdapter] = {
    Venue.BYBIT: VenueAdapter(Venue.BYBIT),
    Venue.BITGET: VenueAdapter(Venue.BITGET),
}


async def venue_symbol(client: ExchangeClient, adapter: VenueAdapter) -> str:
    """The exchange's id of the adapter's symbol (what the simulator's core is keyed by)."""
    for inst in await client.load_instruments():
        if inst.symbol == adapter.symbol:
            return inst.venue_symbol
    raise AssertionError(f"{adapter.venue} lists no {adapter.symbol}")
