"""Sync to an HTTPS endpoint served by the test on 127.0.0.1 over real TLS:
idempotency keys, the bearer token from the keyring, retries on 5xx, the
server's own message on 4xx, 409 as synced only for the records it names, an
untrusted certificate, kills."""

from __future__ import annotations

from pathlib import Path

from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.sync_queue import pending_count
from tests.integration.sync_kills import kill_mid_sync
from tests.integration.test_sync_folder import local_versions, seed
from tests.integration.test_sync_postgres import calmline, keyring_env
from tests.servers import https_endpoint

TOKEN = "t0ken-for-agent-7"


def env_for(home: Path, tmp_path: Path, url: str, cert: Path, token: str = TOKEN) -> dict:  # type: ignore[type-arg]
    env = dict(keyring_env(tmp_path), CALMLINE_HOME=str(home), SSL_CERT_FILE=str(cert))
    stored = calmline(env, "sync", "--set-secret", "--target", url, stdin=token + "\n")
    assert stored.returncode == 0, stored.stderr
    return env


def pending(home: Path) -> int:
    return pending_count(Store(open_database(home / "calmline.db")))


def test_batches_with_token_and_idempotency_keys_land_once(home: Path, tmp_path: Path) -> None:
    seed(home, calls=30)  # 121 records: two batches
    with https_endpoint(TOKEN) as (url, state, cert):
        env = env_for(home, tmp_path, url, cert)
        first = calmline(env, "sync", "--target", url)
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"Sent 121 of 121 records to {url}" in first.stdout
        assert state["records"] == local_versions(home)
        assert len(state["keys"]) == 2 and len(set(state["keys"])) == 2 and all(state["keys"])
        assert "Nothing to send" in calmline(env, "sync", "--target", url).stdout


def test_5xx_is_retried_then_left_pending_with_the_reason(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=1)
    with https_endpoint(TOKEN) as (url, state, cert):
        env = env_for(home, tmp_path, url, cert)
        state["fail"] = 2  # two 503s, then fine: retried with backoff, same key each time
        assert calmline(env, "sync", "--target", url).returncode == 0
        assert len(state["keys"]) == 3 and len(set(state["keys"])) == 1
        assert state["records"] == local_versions(home)
        flow.note("more to send while the server stays down")
        state["fail"] = 100
        down = calmline(env, "sync", "--target", url)
        assert down.returncode == 1
        assert "server error 503: maintenance (tried 4 times)" in down.stdout
        assert "safe in the local database" in down.stdout
        assert pending(home) == 1


def test_4xx_shows_the_server_message_and_409_counts_only_for_the_records_it_names(
    home: Path, tmp_path: Path
) -> None:
    flow = seed(home, calls=1)
    with https_endpoint(TOKEN) as (url, state, cert):
        env = env_for(home, tmp_path, url, cert)
        state["reject"] = (422, {"message": "field 'shift_day' is not a date"})
        bad = calmline(env, "sync", "--target", url)
        assert bad.returncode == 1
        assert f"{url}: refused (422): field 'shift_day' is not a date" in bad.stdout
        assert pending(home) == 5
        # A bare 409 used to count the whole batch as synced: that was the defect
        # (issue 17). It says nothing of any record, so all five stay pending.
        state["reject"] = (409, {"message": "newer version held"})
        bare = calmline(env, "sync", "--target", url)
        assert bare.returncode == 1 and "refused (409): newer version held" in bare.stdout
        assert pending(home) == 5
        held = [{"type": t, "id": i, "version": v + 3, "status": "held"}
                for (t, i), v in local_versions(home).items()]  # fmt: skip
        state["reject"] = (409, {"message": "newer version held", "records": held})
        assert calmline(env, "sync", "--target", url).returncode == 0
        assert pending(home) == 0
        wrong = env_for(home, tmp_path, url, cert, token="stale")
        flow.note("one more")
        refused = calmline(wrong, "sync", "--target", url)
        assert "refused (401): invalid or expired token" in refused.stdout


def test_an_untrusted_certificate_is_named(home: Path, tmp_path: Path) -> None:
    seed(home, calls=1)
    with https_endpoint(TOKEN) as (url, _state, cert):
        env = env_for(home, tmp_path, url, cert)
        env.pop("SSL_CERT_FILE")
        result = calmline(env, "sync", "--target", url)
        assert result.returncode == 1
        assert "TLS certificate is not trusted here" in result.stdout


def test_killed_at_random_points_lands_exactly_once(home: Path, tmp_path: Path) -> None:
    flow = seed(home, calls=150)
    with https_endpoint(TOKEN) as (url, state, cert):
        env = env_for(home, tmp_path, url, cert)
        assert kill_mid_sync(flow.store, env, url, seed=5) >= 10
        final = calmline(env, "sync", "--target", url)
        assert final.returncode == 0, final.stdout + final.stderr
        assert state["records"] == local_versions(home)
        assert pending_count(flow.store) == 0
