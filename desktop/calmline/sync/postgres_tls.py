"""Calmline's TLS rule for a PostgreSQL team store (sync/postgres.py): for any
server that is not this computer, sslmode=verify-full unless the URL sets
sslmode itself, with the CA from the URL, PGSSLROOTCERT, libpq's root.crt or
the OS trust store's bundle."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from calmline.platform.libpq_files import libpq_root_cert


def is_this_computer(host: str) -> bool:
    """Whether a libpq host (or hostaddr) is the local machine: a Unix-socket
    folder, localhost, or a loopback address."""
    h = host.strip()
    if not h or h.startswith(("/", "@")) or (len(h) > 2 and h[1] == ":" and h[2] in "\\/"):
        return True  # the default socket, a socket folder, an abstract socket, C:\...
    if h.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(h.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_required(info: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """Whether Calmline must ask for verified TLS (sslmode=verify-full) for the
    connection ``info`` (libpq parameters) describes: yes for any server that is
    not this computer, unless the URL sets sslmode itself. Where libpq would
    take the host from the environment (PGHOST), that host counts."""
    if info.get("sslmode"):
        return False
    if info.get("service") and not info.get("host") and not info.get("hostaddr"):
        return True  # pg_service.conf decides where: assume elsewhere
    hosts = str(info.get("host") or env.get("PGHOST") or "").split(",")
    addrs = str(info.get("hostaddr") or env.get("PGHOSTADDR") or "").split(",")
    return not (
        all(is_this_computer(h) for h in hosts)
        and all(not a.strip() or is_this_computer(a) for a in addrs)
    )


def tls_options(info: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """The connection options that make Calmline's TLS rule hold for ``info``."""
    if not tls_required(info, env):
        return {}
    options = {"sslmode": "verify-full"}
    configured = info.get("sslrootcert") or env.get("PGSSLROOTCERT")
    if not configured and not libpq_root_cert(env).is_file():
        paths = ssl.get_default_verify_paths()
        bundle = env.get("SSL_CERT_FILE") or paths.cafile or paths.openssl_cafile
        options["sslrootcert"] = bundle if bundle and Path(bundle).is_file() else "system"
    return options
