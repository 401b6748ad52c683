"""Each agent's calm voice level, remembered between shifts (a small JSON file
in the data folder: one number per agent and whether they calibrated it, never
audio). Files written before calibration was told apart hold bare numbers: those
count as learnt. It is what core/live_voice.py's CalmLevels remembers with."""

from __future__ import annotations

from pathlib import Path

from calmline.platform.json_file import read_json_object, write_json_object


class BaselineFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, tuple[float, bool]]:
        out: dict[str, tuple[float, bool]] = {}
        for k, v in read_json_object(self.path, "calm levels").items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                out[str(k)] = (float(v), False)
            elif isinstance(v, dict) and isinstance(v.get("dbfs"), int | float):
                out[str(k)] = (float(v["dbfs"]), v.get("calibrated") is True)
        return out

    def get(self, agent: str) -> float | None:
        entry = self._read().get(agent)
        return entry[0] if entry else None

    def calibrated(self, agent: str) -> bool:
        entry = self._read().get(agent)
        return bool(entry and entry[1])

    def set(self, agent: str, dbfs: float, calibrated: bool = False) -> None:
        data = {k: {"dbfs": v, "calibrated": c} for k, (v, c) in self._read().items()}
        data[agent] = {"dbfs": round(dbfs, 2), "calibrated": calibrated}
        write_json_object(self.path, dict(data), "the calm level")
