"""Each agent's calm voice level, remembered between shifts (a small JSON file
in the data folder: one number per agent, never audio)."""

from __future__ import annotations

from pathlib import Path

from calmline.platform.json_file import read_json_object, write_json_object


class BaselineFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, float]:
        data = read_json_object(self.path, "calm levels")
        return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)}

    def get(self, agent: str) -> float | None:
        return self._read().get(agent)

    def set(self, agent: str, dbfs: float) -> None:
        data = self._read()
        data[agent] = round(dbfs, 2)
        write_json_object(self.path, dict(data), "the calm level")
