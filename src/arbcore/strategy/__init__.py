"""Strategy: spread math, the Pair state machine, entry/exit decisions and executors."""
