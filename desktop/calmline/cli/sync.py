"""`calmline sync [--target URL] [--retry-set-aside]`: send everything queued
now, with progress and a summary; exit 1 when anything is left pending or set
aside. Every line it prints names the target through redact_target."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from calmline.cli.common import fail
from calmline.cli.parser import Subparsers


def target_text(value: str) -> str:
    """An argparse type: a target as sync.target allows it (URL_CHARS at most), and
    text (undecodable bytes cannot be stored with the records it queues)."""
    from calmline.core.commands import as_text
    from calmline.core.settings import URL_CHARS

    if len(value) > URL_CHARS:
        raise argparse.ArgumentTypeError(
            f"{len(value)} characters is too long for a target, at most {URL_CHARS}"
        )
    if as_text(value) != value:
        raise argparse.ArgumentTypeError(
            "holds bytes that are not text (UTF-8) — give the folder or URL as text"
        )
    return value


def add_sync(sub: Subparsers) -> None:
    p = sub.add_parser(
        "sync",
        help="send queued records to the team store now, then read the team's history",
        description="Send every record not yet confirmed by the team store (sync.target in "
        "settings, or --target): shows progress, then what was sent, what the target "
        "refused for good (set aside, with its reason) and what is still pending. Records "
        "stay safe locally until the target confirms them. Then, with the configured "
        "store, reads what the rest of the team sent (as `calmline team refresh`). Exit 1 "
        "if anything is left pending or set aside.",
    )
    p.add_argument(
        "--target",
        metavar="URL",
        type=target_text,
        help="a folder path, file://, postgresql:// or https:// URL instead of sync.target",
    )
    p.add_argument(
        "--set-secret",
        action="store_true",
        help="store the target's password in the OS keyring (asked for, never shown), then "
        "exit without syncing",
    )
    p.add_argument(
        "--retry-set-aside",
        action="store_true",
        help="send again the records the target refused before (once their cause is fixed)",
    )


def run_sync(args: argparse.Namespace, out: TextIO) -> int:
    from calmline.context import Context
    from calmline.core.redact import redact_target
    from calmline.sync.base import TargetError
    from calmline.sync.job import sync_job
    from calmline.sync.targets import target_for

    ctx = Context.load()
    url = args.target if args.target is not None else ctx.settings.settings.sync.target
    try:  # a target that cannot be made is said in one line, before anything is opened
        target = target_for(url, ctx.paths.sync_folder)
    except TargetError as exc:
        return fail(redact_target(exc))
    name = target.name
    target.close()
    if args.set_secret:
        return _set_secret(name)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if total:
            end = "\r" if tty and done < total else "\n"
            print(f"sent {done} of {total}", end=end, file=sys.stderr, flush=True)

    settings = ctx.settings.settings
    summary = sync_job(
        ctx.open_store,
        url,
        ctx.paths.sync_folder,
        settings.retention_days,
        progress,
        args.retry_set_aside,
        share_voice=settings.sync.share_voice_figures,
    )
    print(redact_target(summary.text()), file=out)
    if not summary.failure and args.target is None:  # the team store: read what others sent
        from calmline.cli.team import refresh_now

        print(redact_target(refresh_now(ctx).text()), file=out)
    return 1 if summary.unsynced else 0


def _set_secret(name: str) -> int:
    """``name``: the target's (secret-free) name, which is also its keyring entry."""
    import getpass

    from calmline.sync.credentials import store_secret

    prompt = f"Password for {name}: "
    secret = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if not secret:
        return fail("no password given; nothing stored")
    store_secret(name, secret)
    print(f"Stored in the OS keyring for {name}.")
    return 0
