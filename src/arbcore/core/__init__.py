"""Pure domain: enums, models, exact quantities, errors and clocks; no I/O."""
