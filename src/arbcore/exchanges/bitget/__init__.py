"""Bitget v2 USDT-M perpetual futures connector (productType USDT-FUTURES)."""
