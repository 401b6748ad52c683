"""Reading the settings layers from disk and policy."""

from __future__ import annotations

from pathlib import Path

from calmline.core.problems import Problem
from calmline.core.settings import EffectiveSettings, Layer, LayerName, parse_toml_layer, resolve
from calmline.platform.paths import AppPaths
from calmline.platform.policy import PolicySource


def read_toml_layer(name: LayerName, path: Path) -> Layer | None:
    """A settings file as a layer; None when the file does not exist."""
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
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
