"""Profiling: exact MAC/parameter counting (counting.py) and, from the measurement side, latency and memory.

Importing this package does not import torch; the counters import it when called.
"""
