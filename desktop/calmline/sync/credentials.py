"""Secrets for sync targets live in the OS keyring (Windows Credential Manager,
macOS Keychain, Secret Service), under the service "Calmline" and the target's
name without secrets (e.g. postgresql://agent-7@db.example.com/calmline)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)
KEYRING_SERVICE = "Calmline"


def secret_for(target_name: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, target_name)
    except KeyringError as exc:  # no keyring on this machine: the server will say if one is needed
        log.warning("no OS keyring available (%s); connecting without a stored secret", exc)
        return None


def store_secret(target_name: str, secret: str) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, target_name, secret)
