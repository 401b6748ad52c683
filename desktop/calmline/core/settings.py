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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from calmline.core.hotkeys import EXAMPLE, parse_chord
from calmline.core.problems import Problem, at_most, shown, toml_error_line

SETTINGS_MAX_BYTES = 1024 * 1024  # a settings or policy file; real ones are a few KB
# Text settings: an id, a device name, a key combination, a path, a URL.
ID_CHARS = 128
NAME_CHARS = 256
CHORD_CHARS = 64
PATH_CHARS = 4096
URL_CHARS = 2048
SECRET_KEYS = frozenset({"sync.target"})  # may hold a password: never quoted back


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AfterCallSettings(_Section):
    suggest_break: bool = Field(
        True, description="after a hard call, suggest a few minutes before the next one"
    )
    break_after_raised_voice: int = Field(
        2, ge=1, le=50, description="raised-voice cues on one call that count as a hard call"
    )


class AudioSettings(_Section):
    input_device: str = Field(
        "", max_length=NAME_CHARS, description="input device name; empty = system default"
    )
    # What the agent hears (the softphone's output, as loopback), so the caller's
    # bleed is told from the agent and talking over them is seen. Only levels are
    # kept, as for the microphone.
    caller_channel: bool = True
    caller_device: str = Field(
        "",
        max_length=NAME_CHARS,
        description="part of the softphone's output device name (macOS: of a loopback "
        "input device such as BlackHole); empty = the default output",
    )


class CueSettings(_Section):
    # The cue detectors' thresholds: core/cues.py reads this model itself (as
    # CueParams), so these nine fields and their defaults are written only here.
    raised_voice_db: float = Field(6.0, ge=1.0, le=20.0, description="dB over calm baseline")
    raised_voice_clear_db: float = Field(3.0, ge=0.0, le=20.0)
    # Seconds of raised *speech*: the gaps between words neither count nor reset it
    # (until 0.1.0 it was 1.5 s of wall time, which word gaps reset; 1.3 s of speech
    # fires sooner, within 2 s of a raised passage, and still not on a 1 s shout).
    raised_voice_hold_s: float = Field(1.3, ge=0.5, le=10.0)
    continuous_speaking_s: float = Field(30.0, ge=5.0, le=600.0)
    pause_s: float = Field(1.0, ge=0.2, le=5.0)
    talking_over_s: float = Field(
        1.0, ge=0.3, le=10.0, description="of agent speech over the caller (caller channel)"
    )
    mic_silent_s: float = Field(10.0, ge=3.0, le=120.0)
    clipping_dbfs: float = Field(-0.5, ge=-6.0, le=0.0)
    min_interval_s: float = Field(60.0, ge=0.0, le=3600.0, description="between cues of a kind")


class HotkeySettings(_Section):
    """Qt key-sequence text per action; "" (or "off", for stores that cannot hold an
    empty value, such as the MSI's policy properties) turns that hotkey off."""

    # Ctrl+Shift+F-keys: same keys on US, UK, German and French layouts, and no
    # Ctrl+Alt (which is AltGr on Windows).
    quick_note: str = Field("Ctrl+Shift+F8", max_length=CHORD_CHARS)
    call_toggle: str = Field("Ctrl+Shift+F7", max_length=CHORD_CHARS)
    next_step: str = Field("Ctrl+Shift+F9", max_length=CHORD_CHARS)
    show_hide: str = Field("Ctrl+Shift+F6", max_length=CHORD_CHARS)
    abusive_mode: str = Field("Ctrl+Shift+F11", max_length=CHORD_CHARS)

    @field_validator("*")
    @classmethod
    def _chord(cls, value: str) -> str:
        text = value.strip()
        return "" if text.lower() in ("", "off", "none") else parse_chord(text).text


class ListeningSettings(_Section):
    """Heard steps: a step ticks when the agent says one of its listen_for phrases.
    Recognised on this computer from the agent's own microphone, while they speak;
    nothing said is kept."""

    enabled: bool = Field(
        True, description="tick a step when the agent says one of its listen_for phrases"
    )
    sensitivity: float = Field(
        0.5, ge=0.0, le=1.0, description="higher catches more, and ticks wrongly more often"
    )
    model_folder: str = Field(
        "",
        max_length=PATH_CHARS,
        description="a pocketsphinx model folder for another language; empty = the "
        "bundled US-English model",
    )


class PlaybookSettings(_Section):
    path: str = Field(
        "",
        max_length=PATH_CHARS,
        description="playbook TOML replacing the default; empty = built-in",
    )
    abusive_path: str = Field(
        "", max_length=PATH_CHARS, description="abusive-caller playbook; empty = built-in"
    )


class ShiftSettings(_Section):
    auto_start: bool = Field(
        False, description="a call started outside a shift starts one for agent_id"
    )


class SyncSettings(_Section):
    target: str = Field(
        "", max_length=URL_CHARS, description="folder path, postgresql:// or https:// URL"
    )
    interval_minutes: int = Field(15, ge=0, le=480, description="0 = only at shift end")


class WindowSettings(_Section):
    always_on_top: bool = True
    opacity: float = Field(1.0, ge=0.3, le=1.0)


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
