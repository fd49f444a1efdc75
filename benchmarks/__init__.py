"""Benchmarks for the queries the project bets on; run them with ``python benchmarks/run.py``."""
