"""Each agent's calm voice level, remembered between shifts (a small JSON file
in the data folder: one number per agent, never audio)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


class BaselineFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("%s: unreadable, calm levels will be learnt again (%s)", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}

    def get(self, agent: str) -> float | None:
        return self._read().get(agent)

    def set(self, agent: str, dbfs: float) -> None:
        data = self._read()
        data[agent] = round(dbfs, 2)
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("%s: cannot remember the calm level (%s)", self.path, exc)
