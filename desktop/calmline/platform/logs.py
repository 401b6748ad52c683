"""A rotating log file in the platform log dir (or $CALMLINE_HOME/logs)."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import IO, Any

from calmline.core.redact import redact_target
from calmline.platform.private import open_private, private_dir

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _RedactingFormatter(logging.Formatter):
    """The second line of defence: whatever a log line (or its traceback) holds,
    no password or token of a target reaches the file."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_target(super().format(record))


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Every log file (and each rotated one) is created 0600: logs hold caller
    numbers and what the agent typed."""

    def _open(self) -> IO[Any]:
        return open_private(
            Path(self.baseFilename), "a", encoding=self.encoding, errors=self.errors
        )


def configure_logging(log_file: Path, level: int = logging.INFO) -> logging.Handler:
    """Send the root logger to ``log_file`` (1 MB x 5 files); returns the handler."""
    private_dir(log_file.parent)
    handler = _PrivateRotatingHandler(log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(_RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_calmline", False)]:
        root.removeHandler(old)
        old.close()
    handler._calmline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
