"""arbcore: cross-exchange arbitrage core for USDT-margined perpetual futures."""

__version__ = "0.1.0"
