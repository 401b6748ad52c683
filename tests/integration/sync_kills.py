"""The kill test every sync target gets: change records, start `calmline sync`,
SIGKILL it inside a batch (found by its progress lines), 20 times over."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count


def change_everything(store: Store) -> int:
    """Save every incident and note again (three batches' worth for 150 calls);
    returns how many records are queued."""
    for incident in store.incidents(limit=None):
        store.save(type(incident)(**{**incident.__dict__, "facts": incident.facts + "."}))
        for note in store.notes_for(incident.meta.id):
            store.save(type(note)(**{**note.__dict__, "text": note.text + "."}))
    return pending_count(store)


def kill_mid_sync(
    store: Store, env: dict[str, str], target: str, seed: int, rounds: int = 20,
    max_sleep_s: float = 0.01,
) -> int:  # fmt: skip
    """Run and kill ``rounds`` syncs; returns how many kills left part of the
    queue sent and part pending (landed mid-sync)."""
    rng = random.Random(seed)
    mid_sync = 0
    for _ in range(rounds):
        queued = change_everything(store)
        proc = subprocess.Popen(
            [sys.executable, "-m", "calmline", "sync", "--target", target],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stderr is not None
        for _ in range(rng.randint(1, 3)):  # "sent 0 of N", then one line per batch
            proc.stderr.readline()
        time.sleep(rng.uniform(0.0, max_sleep_s))  # somewhere in the next batch
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        mid_sync += 0 < pending_count(store) < queued
    return mid_sync
