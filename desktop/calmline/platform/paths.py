"""Where Calmline keeps things, per OS, or all in $CALMLINE_HOME when set."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

from calmline import APP_NAME

# No vendor folder level: %LOCALAPPDATA%\Calmline, C:\ProgramData\Calmline.
APP_AUTHOR: Literal[False] = False


@dataclass(frozen=True)
class AppPaths:
    user_config: Path  # the agent's own settings (config.toml)
    machine_config: Path  # IT's machine-wide settings
    data_dir: Path
    log_dir: Path
    sync_folder: Path  # the folder target used when sync.target is empty

    @property
    def database(self) -> Path:
        return self.data_dir / "calmline.db"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "calmline.log"


def app_paths(env: dict[str, str] | None = None) -> AppPaths:
    env = dict(os.environ) if env is None else env
    site = Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / "config.toml"
    home = env.get("CALMLINE_HOME")
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "config.toml", site, root, root / "logs", root / "sync")
    return AppPaths(
        user_config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "config.toml",
        machine_config=site,
        # Local, never roaming: a database must not live on a network profile share.
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        sync_folder=Path(platformdirs.user_documents_dir()) / f"{APP_NAME} sync",
    )


def resource_path(*parts: str) -> Path:
    """A file under resources/, from a source checkout or a PyInstaller bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    root = Path(frozen) if frozen else Path(__file__).resolve().parents[3]
    return root.joinpath("resources", *parts)
