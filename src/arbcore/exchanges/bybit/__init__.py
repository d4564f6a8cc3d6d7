"""Bybit v5 USDT linear perpetuals connector."""
