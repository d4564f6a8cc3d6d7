"""Market data: the L2 book, the registry of live books and their staleness."""
