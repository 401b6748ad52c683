"""Reading the settings layers from disk and policy."""

from __future__ import annotations

from pathlib import Path

from calmline.core.problems import Problem
from calmline.core.settings import (
    SETTINGS_MAX_BYTES,
    EffectiveSettings,
    Layer,
    LayerName,
    parse_toml_layer,
    resolve,
)
from calmline.platform.bounded import FileRefused, read_limited_text
from calmline.platform.paths import AppPaths
from calmline.platform.policy import PolicySource


def read_settings_text(path: Path) -> str:
    """A settings file's text: a regular file of at most SETTINGS_MAX_BYTES, in
    UTF-8. OSError (FileRefused: not a file, too large) or UnicodeDecodeError."""
    return read_limited_text(path, SETTINGS_MAX_BYTES, "settings file")


def read_toml_layer(name: LayerName, path: Path) -> Layer | None:
    """A settings file as a layer; None when the file does not exist."""
    if not path.exists():
        return None
    try:
        text = read_settings_text(path)
    except FileRefused as exc:
        problem = Problem(str(path), f"{exc.reason}, file ignored", fix=exc.fix)
        return Layer(name, str(path), {}, (problem,))
    except (OSError, UnicodeDecodeError) as exc:
        return Layer(
            name,
            str(path),
            {},
            (
                Problem(
                    str(path),
                    f"cannot read settings, file ignored ({exc})",
                    fix="check the file's permissions and that it is saved as UTF-8",
                ),
            ),
        )
    return parse_toml_layer(name, str(path), text)


def load_settings(paths: AppPaths, policy: PolicySource) -> EffectiveSettings:
    layers = [
        read_toml_layer(LayerName.USER, paths.user_config),
        read_toml_layer(LayerName.MACHINE, paths.machine_config),
        policy.read(),
    ]
    return resolve([layer for layer in layers if layer is not None])
