"""Risk: instrument limits, slots, balances and leverage caches, pre-flight checks."""
