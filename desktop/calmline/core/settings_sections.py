"""The settings file's sections, one pydantic model each (core/settings.py puts
them together into Settings and layers them). Every text has a length cap."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from calmline.core.hotkeys import parse_chord

# Text settings: an id, a device name, a key combination, a path, a URL.
ID_CHARS = 128
NAME_CHARS = 256
CHORD_CHARS = 64
PATH_CHARS = 4096
URL_CHARS = 2048


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
    share_voice_figures: bool = Field(
        False,
        description="send the agent's voice figures to the team store, for their lead "
        "(the agent is told); off = they never leave this computer",
    )
    team_refresh_minutes: int = Field(
        10,
        ge=0,
        le=480,
        description="read the team's history every N minutes; 0 = only at "
        "shift start and after each sync",
    )
    lookup_budget_ms: int = Field(
        800,
        ge=50,
        le=5000,
        description="how long a ringing number waits for the team "
        "store's live answer before the local cache's stands",
    )
    marker_review_days: int = Field(
        90, ge=1, le=730, description="an approved caution marker's review date, in days"
    )


class WindowSettings(_Section):
    always_on_top: bool = True
    opacity: float = Field(1.0, ge=0.3, le=1.0)
