"""Engine: wiring of connectors, books, Pairs and records into one running process."""
