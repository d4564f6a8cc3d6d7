"""Benchmarks; results are written under bench/results/ and summarised in docs/benchmarks.md."""
