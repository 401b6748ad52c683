"""Managed policy read from a file, so IT can preview a policy on any machine before
deploying it (`calmline doctor --policy FILE`):
- a .reg export of the policy key (`reg export HKLM\\Software\\Policies\\Calmline x.reg`);
- a configuration profile (.mobileconfig) with a payload of type com.calmline.Calmline;
- the .plist macOS writes under /Library/Managed Preferences."""

from __future__ import annotations

import plistlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from calmline import BUNDLE_ID
from calmline.core.problems import Problem, at_most, shown
from calmline.core.settings import Layer, LayerName, validate_layer
from calmline.platform.bounded import FileRefused
from calmline.platform.policy import (
    MAX_POLICY_VALUES,
    PLIST_ERRORS,
    WINDOWS_POLICY_KEY,
    MacPlistPolicy,
    PolicySource,
    read_policy_file,
    refused,
    registry_layer,
    unusable,
)

REG_HEADERS = ("Windows Registry Editor Version 5.00", "REGEDIT4")
_ROOT = "HKEY_LOCAL_MACHINE\\" + WINDOWS_POLICY_KEY
_VALUE = re.compile(r'^"((?:[^"\\]|\\.)*)"=(.*)$')
_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"$')
_DWORD = re.compile(r"^dword:([0-9a-fA-F]{1,8})$")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class RegFilePolicy:
    """The policy key as `reg export` (or regedit) writes it: UTF-16 or UTF-8."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"{self.path} (as {_ROOT})"

    def read(self) -> Layer | None:
        try:
            data = read_policy_file(self.path)
        except FileRefused as exc:
            return refused(exc)
        except OSError as exc:
            return unusable(self.path, f"cannot read ({exc})", "check the path")
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        text = data.decode("utf-16" if utf16 else "utf-8-sig", errors="replace")
        lines = text.replace("\\\r\n", "").replace("\\\n", "").splitlines()
        if not lines or lines[0].strip() not in REG_HEADERS:
            return unusable(
                self.path,
                f"not a registry export (its first line should be '{REG_HEADERS[0]}')",
                f'export the key with: reg export "HKLM\\{WINDOWS_POLICY_KEY}" policy.reg',
            )
        raw: dict[str, Any] = {}
        problems: list[Problem] = []
        table: dict[str, Any] | None = None
        full: dict[str, Any] | None = None  # the key whose overflow was reported
        for number, line in enumerate(lines[1:], start=2):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith("[") and line.endswith("]"):
                table = self._table(raw, line[1:-1], number, problems)
                continue
            match = _VALUE.match(line)
            if table is None or match is None:
                if line.startswith("@="):  # a key's default value: not a setting
                    continue
                problems.append(
                    Problem(
                        str(self.path), f"line not understood, ignored: {shown(line)}", line=number
                    )
                )
                continue
            name, value_text = _unescape(match.group(1)), match.group(2).strip()
            if value_text == "-":  # a deletion in a .reg file: nothing to apply
                continue
            if len(table) >= MAX_POLICY_VALUES:
                if table is not full:
                    full = table
                    problems.append(
                        Problem(
                            str(self.path),
                            f"more than {MAX_POLICY_VALUES} values in one key, the rest ignored",
                            line=number,
                            fix="export only Calmline's policy key",
                        )
                    )
                continue
            if m := _STRING.match(value_text):
                table[name] = _unescape(m.group(1))
            elif m := _DWORD.match(value_text):
                table[name] = int(m.group(1), 16)
            else:
                problems.append(
                    Problem(
                        str(self.path),
                        f"value type not supported, ignored: {shown(value_text[:40])}",
                        line=number,
                        key=name[:60],
                        fix="use text (REG_SZ) or a number (REG_DWORD)",
                    )
                )
        layer = registry_layer(raw, self.describe())
        return replace(layer, problems=tuple(at_most([*problems, *layer.problems], str(self.path))))

    def _table(
        self, raw: dict[str, Any], key: str, number: int, problems: list[Problem]
    ) -> dict[str, Any] | None:
        """Where the values under ``[key]`` go; None (reported) outside the policy key."""
        key = key.replace("HKLM\\", "HKEY_LOCAL_MACHINE\\", 1)
        if key.lower() == _ROOT.lower():
            return raw
        head, _, sub = key.rpartition("\\")
        if head.lower() == _ROOT.lower():
            if sub not in raw and len(raw) >= MAX_POLICY_VALUES:
                problems.append(
                    Problem(
                        str(self.path),
                        f"more than {MAX_POLICY_VALUES} subkeys and values, {shown(key)} ignored",
                        line=number,
                        fix="export only Calmline's policy key",
                    )
                )
                return None
            table = raw.setdefault(sub, {})
            return table if isinstance(table, dict) else None
        problems.append(
            Problem(
                str(self.path),
                f"key {shown(key)} is not Calmline's policy key, ignored",
                line=number,
                fix=f"Calmline reads [{_ROOT}] and its subkeys",
            )
        )
        return None


class ProfilePolicy:
    """A configuration profile: macOS writes the keys of its com.calmline.Calmline
    payload (less the Payload* keys) to /Library/Managed Preferences."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"{self.path} (payload {BUNDLE_ID})"

    def read(self) -> Layer | None:
        try:
            profile = plistlib.loads(read_policy_file(self.path))
        except FileRefused as exc:
            return refused(exc)
        except PLIST_ERRORS as exc:
            return unusable(
                self.path,
                f"not a readable profile ({exc})",
                "give the unsigned .mobileconfig (a signed one is not a plain plist)",
            )
        payloads = profile.get("PayloadContent", []) if isinstance(profile, dict) else []
        ours = [p for p in payloads if isinstance(p, dict) and p.get("PayloadType") == BUNDLE_ID]
        if not ours:
            return unusable(
                self.path,
                f"no payload of type {BUNDLE_ID}",
                f"add a payload with PayloadType {BUNDLE_ID} holding the settings",
            )
        raw: dict[str, Any] = {}
        for payload in ours:
            raw.update({k: v for k, v in payload.items() if not k.startswith("Payload")})
        return validate_layer(LayerName.POLICY, self.describe(), raw, strict=False)


def policy_from_file(path: Path) -> PolicySource:
    """The policy source for a file, by its kind; ValueError names the kinds known."""
    kind = path.suffix.lower()
    if kind == ".reg":
        return RegFilePolicy(path)
    if kind == ".mobileconfig":
        return ProfilePolicy(path)
    if kind == ".plist":
        return MacPlistPolicy(path)
    raise ValueError(
        f"{path}: policy files are .reg (Windows registry export), .mobileconfig "
        "(macOS configuration profile) or .plist (macOS managed preferences)"
    )
