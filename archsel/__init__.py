"""archsel: which neural-network architecture for this task, on this hardware, within this latency budget."""

__version__ = "0.1.0"
