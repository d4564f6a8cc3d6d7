"""The one place that maps venue names to client classes; venues are imported on demand."""

from __future__ import annotations

import importlib
from typing import cast

from arbcore.core.enums import Venue
from arbcore.core.errors import NotSupported
from arbcore.exchanges.base import ConnectorConfig, ExchangeClient

# venue -> "module:ClassName"; a venue joins by adding one line.
CLIENT_CLASSES: dict[Venue, str] = {
    Venue.BYBIT: "arbcore.exchanges.bybit.client:BybitClient",
    Venue.BITGET: "arbcore.exchanges.bitget.client:BitgetClient",
}


def supported_venues() -> list[Venue]:
    return list(CLIENT_CLASSES)


def client_class(venue: Venue) -> type[ExchangeClient]:
    try:
        target = CLIENT_CLASSES[venue]
    except KeyError:
        raise NotSupported(venue, f"no connector for {venue} yet") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    return cast(type[ExchangeClient], getattr(module, class_name))


def create_client(config: ConnectorConfig) -> ExchangeClient:
    """Build the venue's client from its config (nothing is connected until `start`)."""
    cls = client_class(config.venue)
    return cls(config)  # type: ignore[call-arg]
