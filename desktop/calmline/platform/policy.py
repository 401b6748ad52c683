"""Managed policy (the top settings layer), as IT deploys it:
Windows: HKLM\\Software\\Policies\\Calmline (values = top-level keys, subkeys = tables);
macOS: /Library/Managed Preferences/<bundle id>.plist (from a configuration profile).
Other systems have no managed policy (null source)."""

from __future__ import annotations

import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from xml.parsers.expat import ExpatError

from calmline import BUNDLE_ID
from calmline.core.problems import Problem
from calmline.core.settings import Layer, LayerName, validate_layer

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


# What plistlib raises for a file that is not a readable plist.
PLIST_ERRORS = (OSError, plistlib.InvalidFileException, ValueError, ExpatError)


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
            data = plistlib.loads(self.path.read_bytes())
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
            i = 0
            while True:
                try:
                    name, value, _kind = winreg.EnumValue(handle, i)
                except OSError:
                    return out
                out[name] = value
                i += 1

        try:
            root = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, self.key)
        except OSError:
            return None
        with root:
            raw: dict[str, Any] = values(root)
            i = 0
            while True:
                try:
                    sub = winreg.EnumKey(root, i)
                except OSError:
                    break
                with winreg.OpenKey(root, sub) as handle:
                    raw[sub] = values(handle)
                i += 1
        return registry_layer(raw, self.describe())


def managed_policy(platform: str = sys.platform) -> PolicySource:
    if platform == "win32":
        return WindowsRegistryPolicy()
    if platform == "darwin":
        return MacPlistPolicy()
    return NullPolicy()
