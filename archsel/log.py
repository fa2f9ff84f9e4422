"""Where the stages' warnings go: every module logs with logging.getLogger(__name__); the package logger
"archsel" writes WARNING and above to the current stderr as `archsel: warning: ...` (never stdout)."""

from __future__ import annotations

import logging
import sys


class _Stderr(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(f"archsel: {record.levelname.lower()}: {record.getMessage()}\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def route_to_stderr() -> None:
    """Install the handler once per process (idempotent); records still propagate (pytest's caplog,
    an embedding application's handlers)."""
    logger = logging.getLogger("archsel")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        logger.addHandler(_Stderr(logging.WARNING))
