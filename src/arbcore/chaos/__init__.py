"""Chaos campaign: the real engine process against the simulator under seeded faults and kills."""
