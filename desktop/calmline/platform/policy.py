"""Managed policy (the top settings layer), as IT deploys it:
Windows: HKLM\\Software\\Policies\\Calmline (values = top-level keys, subkeys = tables);
macOS: /Library/Managed Preferences/<bundle id>.plist (from a configuration profile).
Other systems have no managed policy (null source).

A policy is bounded like a settings file: at most SETTINGS_MAX_BYTES read from a
plist, at most MAX_POLICY_VALUES registry values read per key (and as many
subkeys), and every value then checked by the settings model, lengths included."""

from __future__ import annotations

import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from xml.parsers.expat import ExpatError

from calmline import BUNDLE_ID
from calmline.core.problems import Problem
from calmline.core.settings import SETTINGS_MAX_BYTES, Layer, LayerName, validate_layer
from calmline.platform.bounded import FileRefused, read_limited

WINDOWS_POLICY_KEY = r"Software\Policies\Calmline"
MAC_POLICY_DIR = Path("/Library/Managed Preferences")


class PolicySource(Protocol):
    def describe(self) -> str: ...

    def read(self) -> Layer | None:
        """The policy layer, or None when no policy is deployed."""
        ...


class NullPolicy:
    def describe(self) -> str:
        return "none on this system"

    def read(self) -> Layer | None:
        return None


# What plistlib raises for a file that is not a readable plist (RecursionError:
# a binary plist whose objects nest, or refer to each other, without end).
PLIST_ERRORS = (OSError, plistlib.InvalidFileException, ValueError, ExpatError, RecursionError)
MAX_POLICY_VALUES = 200  # values per registry key, and subkeys; Calmline has ~40 settings


def read_policy_file(path: Path) -> bytes:
    """A policy file's bytes: a regular file of at most SETTINGS_MAX_BYTES."""
    return read_limited(path, SETTINGS_MAX_BYTES, "policy file")


def refused(exc: FileRefused) -> Layer:
    return unusable(exc.path, f"{exc.reason}, ignored", exc.fix)


def unusable(path: Path, why: str, fix: str) -> Layer:
    """An empty policy layer carrying the one problem that made ``path`` unusable."""
    return Layer(LayerName.POLICY, str(path), {}, (Problem(str(path), why, fix=fix),))


class MacPlistPolicy:
    def __init__(self, path: Path = MAC_POLICY_DIR / f"{BUNDLE_ID}.plist") -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def read(self) -> Layer | None:
        if not self.path.exists():
            return None
        try:
            data = plistlib.loads(read_policy_file(self.path))
        except FileRefused as exc:
            return refused(exc)
        except PLIST_ERRORS as exc:
            return unusable(
                self.path,
                f"managed policy unreadable, ignored ({exc})",
                "ask IT to redeploy the configuration profile",
            )
        if not isinstance(data, dict):
            data = {}
        return validate_layer(LayerName.POLICY, str(self.path), data, strict=False)


def registry_layer(raw: Mapping[str, Any], source: str) -> Layer:
    """Registry values (tables as subkeys) as the policy layer. An empty string means
    "not managed": an MSI writes every value it declares, empty when IT gave no
    property, and an empty policy must not lock the agent's own setting."""

    def managed(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            k: managed(v) if isinstance(v, Mapping) else v for k, v in values.items() if v != ""
        }

    return validate_layer(LayerName.POLICY, source, managed(raw), strict=False)


class WindowsRegistryPolicy:
    def __init__(self, key: str = WINDOWS_POLICY_KEY) -> None:
        self.key = key

    def describe(self) -> str:
        return "HKLM\\" + self.key

    def read(self) -> Layer | None:
        import winreg

        def values(handle: Any) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for i in range(MAX_POLICY_VALUES):
                try:
                    name, value, _kind = winreg.EnumValue(handle, i)
                except OSError:
                    break
                out[name] = value
            return out

        try:
            root = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, self.key)
        except OSError:
            return None
        with root:
            raw: dict[str, Any] = values(root)
            for i in range(MAX_POLICY_VALUES):
                try:
                    sub = winreg.EnumKey(root, i)
                except OSError:
                    break
                with winreg.OpenKey(root, sub) as handle:
                    raw[sub] = values(handle)
        return registry_layer(raw, self.describe())


def managed_policy(platform: str = sys.platform) -> PolicySource:
    if platform == "win32":
        return WindowsRegistryPolicy()
    if platform == "darwin":
        return MacPlistPolicy()
    return NullPolicy()
