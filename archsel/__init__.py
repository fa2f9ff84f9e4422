"""archsel: which neural-network architecture for this task, on this hardware, within this latency budget."""

from archsel.log import route_to_stderr

__version__ = "0.1.0"
route_to_stderr()
