"""Settings model and layering: defaults < user < machine < managed policy.

Each layer is validated key by key, so one bad value costs only that value: the
rest of the file still applies and the problem is reported with its file, key,
value and what is allowed. Everything here is pure; files are read in platform/.

Every text setting has a length cap and a file at most SETTINGS_MAX_BYTES, so a
settings file, a policy or a registry value cannot make Calmline hold or show
more than that; values quoted in problems are cut short (problems.shown), and at
most MAX_PROBLEMS problems are listed per layer.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError

from calmline.core.hotkeys import EXAMPLE
from calmline.core.problems import Problem, at_most, shown, toml_error_line
from calmline.core.settings_sections import (  # re-exported: the models live there
    ID_CHARS,
    URL_CHARS,
    AfterCallSettings,
    AudioSettings,
    CueSettings,
    HotkeySettings,
    ListeningSettings,
    PlaybookSettings,
    ShiftSettings,
    SyncSettings,
    WindowSettings,
    _Section,
)

__all__ = [
    "URL_CHARS",
    "AfterCallSettings",
    "AudioSettings",
    "CueSettings",
    "EffectiveSettings",
    "HotkeySettings",
    "ListeningSettings",
    "PlaybookSettings",
    "Settings",
    "ShiftSettings",
    "SyncSettings",
    "WindowSettings",
]
SETTINGS_MAX_BYTES = 1024 * 1024  # a settings or policy file; real ones are a few KB
SECRET_KEYS = frozenset({"sync.target"})  # may hold a password: never quoted back


class Settings(_Section):
    agent_id: str = Field("", max_length=ID_CHARS)
    start_at_login: bool = Field(
        False, description="open Calmline when the agent logs in (installed copies)"
    )
    retention_days: int = Field(90, ge=1, le=3650)
    after_call: AfterCallSettings = AfterCallSettings()
    audio: AudioSettings = AudioSettings()
    cues: CueSettings = CueSettings()
    hotkeys: HotkeySettings = HotkeySettings()
    listening: ListeningSettings = ListeningSettings()
    playbook: PlaybookSettings = PlaybookSettings()
    shift: ShiftSettings = ShiftSettings()
    sync: SyncSettings = SyncSettings()
    window: WindowSettings = WindowSettings()

    def get(self, key: str) -> Any:
        """Value of a dotted key such as ``cues.raised_voice_db``."""
        obj: Any = self
        for part in key.split("."):
            obj = getattr(obj, part)
        return obj


class LayerName(StrEnum):
    DEFAULT = "default"
    USER = "user"
    MACHINE = "machine"
    POLICY = "policy"

    @property
    def label(self) -> str:
        """How `calmline doctor` names the layer a value comes from."""
        return _LABELS[self]


_LABELS = {
    LayerName.DEFAULT: "default",
    LayerName.USER: "user settings",
    LayerName.MACHINE: "machine settings",
    LayerName.POLICY: "machine policy",
}
LOCKING_LAYERS = (LayerName.MACHINE, LayerName.POLICY)
_ORDER = [LayerName.DEFAULT, LayerName.USER, LayerName.MACHINE, LayerName.POLICY]


def _sections() -> dict[str, type[_Section]]:
    out: dict[str, type[_Section]] = {}
    for name, info in Settings.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, _Section):
            out[name] = ann
    return out


SECTIONS = _sections()
TOP_LEVEL = [n for n in Settings.model_fields if n not in SECTIONS]


def all_keys() -> list[str]:
    """Every dotted settings key, in declaration order."""
    keys = list(TOP_LEVEL)
    for sec, model in SECTIONS.items():
        keys += [f"{sec}.{f}" for f in model.model_fields]
    return keys


def _owner(key: str) -> tuple[type[_Section], str] | None:
    if "." not in key:
        return (Settings, key) if key in TOP_LEVEL else None
    sec, _, name = key.partition(".")
    model = SECTIONS.get(sec)
    if model is None or name not in model.model_fields:
        return None
    return model, name


def describe_allowed(key: str) -> str:
    """What a key accepts, in words a person can act on."""
    owner = _owner(key)
    if owner is None:
        return ""
    model, name = owner
    info = model.model_fields[name]
    ann = info.annotation
    kind = {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a text in quotes",
    }.get(ann if isinstance(ann, type) else str, str(ann))
    lo = hi = longest = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
        longest = getattr(meta, "max_length", longest)
    if lo is not None and hi is not None:
        kind += f" from {lo:g} to {hi:g}"
    if longest is not None:
        kind += f" of at most {longest} characters"
    if model is HotkeySettings:
        kind = f'a key combination such as "{EXAMPLE}", or "" for none'

    return f"{kind} (default {json.dumps(info.default)})"


def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """``{"cues": {"x": 1}}`` -> ``{"cues.x": 1}`` (one level of tables, as in our TOML)."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Mapping) and k in SECTIONS:
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in flat.items():
        if "." in key:
            sec, _, name = key.partition(".")
            out.setdefault(sec, {})[name] = v
        else:
            out[key] = v
    return out


@dataclass(frozen=True)
class Layer:
    name: LayerName
    source: str  # file path, registry key, or "built-in"
    values: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def validate_layer(
    name: LayerName, source: str, raw: Mapping[str, Any], *, strict: bool = True
) -> Layer:
    """Keep every valid key of ``raw``; report the others.

    ``strict`` is for TOML (types are native); policy stores such as the Windows
    registry hold only text and numbers, so they are read with ``strict=False``.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in flatten(raw).items():
        owner = _owner(key)
        if owner is None:
            sec = key.partition(".")[0]
            if "." in key and sec in SECTIONS:
                allowed = ", ".join(SECTIONS[sec].model_fields)
                fix = f"known keys in [{sec}]: {allowed}"
            elif isinstance(value, Mapping):
                fix = f"known tables: {', '.join(f'[{s}]' for s in SECTIONS)}"
            else:
                fix = f"known keys: {', '.join(TOP_LEVEL)} and the tables " + ", ".join(
                    f"[{s}]" for s in SECTIONS
                )
            problems.append(
                Problem(source, f"unknown key, value {shown(value)} ignored", key=key, fix=fix)
            )
            continue
        model, fname = owner
        try:
            checked = model.model_validate({fname: value}, strict=strict)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            quoted = "(not shown: it may hold a password)" if key in SECRET_KEYS else shown(value)
            problems.append(
                Problem(
                    source,
                    f"bad value {quoted}: {reason}",
                    key=key,
                    fix=f"expected {describe_allowed(key)}",
                )
            )
            continue
        values[key] = getattr(checked, fname)
    return Layer(name, source, values, tuple(at_most(problems, source)))


def parse_toml_layer(name: LayerName, source: str, text: str) -> Layer:
    """A layer from TOML text; a syntax error drops the whole file, reported."""
    try:
        raw = tomllib.loads(text)
    except RecursionError:  # arrays or inline tables nested hundreds deep
        return Layer(
            name,
            source,
            {},
            (
                Problem(
                    source,
                    "not a settings file, ignored (values nested too deeply)",
                    fix="settings are keys and [tables] of plain values",
                ),
            ),
        )
    except tomllib.TOMLDecodeError as exc:
        return Layer(
            name,
            source,
            {},
            (
                Problem(
                    source,
                    f"not valid TOML, file ignored ({exc})",
                    line=toml_error_line(exc),
                    fix="fix the syntax at that line",
                ),
            ),
        )
    return validate_layer(name, source, raw)


@dataclass(frozen=True)
class ValueSource:
    layer: LayerName
    source: str


@dataclass(frozen=True)
class EffectiveSettings:
    settings: Settings
    sources: dict[str, ValueSource]
    locked: frozenset[str]
    problems: tuple[Problem, ...]

    def source_of(self, key: str) -> ValueSource:
        return self.sources[key]

    def is_locked(self, key: str) -> bool:
        return key in self.locked


def resolve(layers: Iterable[Layer]) -> EffectiveSettings:
    """Merge layers by precedence; machine and policy layers lock the keys they set."""
    defaults = Settings()
    flat: dict[str, Any] = {k: defaults.get(k) for k in all_keys()}
    sources = {k: ValueSource(LayerName.DEFAULT, "built-in") for k in flat}
    locked: set[str] = set()
    problems: list[Problem] = []
    for layer in sorted(layers, key=lambda lay: _ORDER.index(lay.name)):
        problems.extend(layer.problems)
        for key, value in layer.values.items():
            flat[key] = value
            sources[key] = ValueSource(layer.name, layer.source)
            if layer.name in LOCKING_LAYERS:
                locked.add(key)
    settings = Settings.model_validate(_unflatten(flat))
    return EffectiveSettings(settings, sources, frozenset(locked), tuple(problems))
