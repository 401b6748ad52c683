"""Non-GUI composition: paths, settings, playbooks and the store, built once and
passed on (the CLI uses this directly; app.py adds the GUI on top)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from calmline.core.playbook import PLAYBOOK_MAX_BYTES, Playbook, parse_playbook
from calmline.core.problems import Problem, ProblemsError
from calmline.core.settings import EffectiveSettings
from calmline.platform.bounded import FileRefused, read_limited_text
from calmline.platform.config_files import load_settings
from calmline.platform.fs import network_share_reason
from calmline.platform.paths import AppPaths, app_paths, resource_path
from calmline.platform.policy import PolicySource, managed_policy
from calmline.store.database import StoreError
from calmline.store.repository import Store

DEFAULT_PLAYBOOK = "irate-caller.toml"
ABUSIVE_PLAYBOOK = "abusive-caller.toml"


def read_playbook(path: Path) -> Playbook:
    """Load and validate a playbook file; ProblemsError names file, line, step, field."""
    try:
        text = read_limited_text(path, PLAYBOOK_MAX_BYTES, "playbook")
    except FileRefused as exc:  # a folder, a FIFO, a device, or too large
        raise ProblemsError([Problem(str(path), exc.reason, fix=exc.fix)]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProblemsError(
            [
                Problem(
                    str(path),
                    f"cannot read playbook ({exc})",
                    fix="check the path in [playbook] path",
                )
            ]
        ) from exc
    return parse_playbook(text, str(path))


@dataclass
class Context:
    paths: AppPaths
    policy: PolicySource
    settings: EffectiveSettings
    problems: list[Problem] = field(default_factory=list)  # shown in window and doctor

    @classmethod
    def load(
        cls,
        env: dict[str, str] | None = None,
        policy: PolicySource | None = None,
        paths: AppPaths | None = None,
    ) -> Context:
        paths = paths or app_paths(env)
        policy = policy or managed_policy()
        settings = load_settings(paths, policy)
        return cls(paths, policy, settings, list(settings.problems))

    def playbook(self, abusive: bool = False) -> Playbook:
        """The configured playbook; a broken custom one falls back to the built-in,
        and the reason is added to ``problems`` (never a silent fallback)."""
        cfg = self.settings.settings.playbook
        custom = cfg.abusive_path if abusive else cfg.path
        builtin = resource_path("playbooks", ABUSIVE_PLAYBOOK if abusive else DEFAULT_PLAYBOOK)
        if custom:
            try:
                return read_playbook(Path(custom).expanduser())
            except ProblemsError as exc:
                self.problems.extend(exc.problems)
                self.problems.append(
                    Problem(
                        custom, "using the built-in playbook instead", fix="fix the errors above"
                    )
                )
        return read_playbook(builtin)

    def open_store(self) -> Store:
        """The local database; refuses a network share (WAL cannot work there)."""
        path = self.paths.database
        reason = network_share_reason(path)
        if reason:
            raise StoreError(
                f"{reason}: the local database must be on this computer's own "
                "disk (SQLite WAL does not work on network shares); unset "
                "CALMLINE_HOME or point it at a local folder"
            )
        return Store.open(path)
