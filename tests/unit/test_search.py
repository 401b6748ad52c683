"""Search over a seeded database: what is found, and in which order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calmline.core.records import Incident, Note, Shift
from calmline.store.database import open_database
from calmline.store.repository import Store
from calmline.store.search import SearchQuery, categories

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Store, dict[str, Incident]]:
    store = Store(open_database(tmp_path / "s.db"))
    shift = store.save(Shift("agent-7", T0))
    rows = {
        "intl": dict(
            caller_number="+44 20 7946 0958",
            category="Delivery",
            summary="- parcel lost in the depot\n- caller upset",
            best_practice=True,
            best_practice_text="reshipped at once with a tracked courier",
        ),
        "national": dict(caller_number="020 7946 0958", category="delivery", summary="- late"),
        "facts": dict(
            category="billing",
            facts="was told about a delivery delay last week",
            summary="- double charge refunded",
        ),
        "ref": dict(customer_ref="ORD-4471", category="Billing", summary="- wrong invoice"),
        "other": dict(
            caller_number="+1 555 0100",
            category="delivery",
            best_practice=True,
            best_practice_text="offered a pickup slot the same day",
        ),
    }
    out = {}
    for n, (name, fields) in enumerate(rows.items()):
        inc = Incident(shift.meta.id, T0 + timedelta(hours=n), **fields)  # type: ignore[arg-type]
        out[name] = store.save(inc)
    store.save(Note(shift.meta.id, "gave the caller ticket 55512", T0, out["ref"].meta.id, 9.0))
    return store, out


def of_caller(who: str, text: str = "") -> SearchQuery:
    """Like `calmline incidents search --caller WHO`: a number or a reference."""
    return SearchQuery(text, caller_number=who, customer_ref=who)


def ids(found: list[Incident], names: dict[str, Incident]) -> list[str]:
    by_id = {i.meta.id: n for n, i in names.items()}
    return [by_id[i.meta.id] for i in found]


def test_a_number_fragment_finds_the_caller_in_any_format(seeded) -> None:  # type: ignore[no-untyped-def]
    store, inc = seeded
    assert set(ids(store.search(SearchQuery("7946 0958")), inc)) == {"intl", "national"}
    assert set(ids(store.search(SearchQuery("79460958")), inc)) == {"intl", "national"}
    assert ids(store.search(SearchQuery("+44 20 7946")), inc) == ["intl"]
    # newest first when only numbers are given
    assert ids(store.search(SearchQuery("0958")), inc) == ["national", "intl"]
    assert ids(store.search(SearchQuery("55512")), inc) == ["ref"]  # written in a note
    assert ids(store.search(SearchQuery("ORD-4471")), inc) == ["ref"]


def test_words_rank_by_field_and_the_last_word_is_a_prefix(seeded) -> None:  # type: ignore[no-untyped-def]
    store, inc = seeded
    # "delivery" as the category outranks the same word in the facts
    found = ids(store.search(SearchQuery("delivery")), inc)
    assert set(found) == {"intl", "national", "facts", "other"}
    assert found[-1] == "facts"
    assert ids(store.search(SearchQuery("refu")), inc) == ["facts"]  # still typing
    assert ids(store.search(SearchQuery("refu ")), inc) == []  # a whole word
    assert ids(store.search(SearchQuery("parcel 7946")), inc) == ["intl"]
    assert ids(store.search(SearchQuery("ticket")), inc) == ["ref"]


def test_filters_caller_category_and_what_worked(seeded) -> None:  # type: ignore[no-untyped-def]
    store, inc = seeded
    worked = store.search(SearchQuery(category="DELIVERY", best_practice=True))
    assert ids(worked, inc) == ["other", "intl"]
    assert worked[1].best_practice_text.startswith("reshipped")
    assert ids(store.search(SearchQuery("courier", best_practice=True)), inc) == ["intl"]
    assert ids(store.search(of_caller("020 7946 0958")), inc) == ["national"]
    assert ids(store.search(of_caller("ORD-4471")), inc) == ["ref"]
    assert (
        ids(
            store.search(
                SearchQuery(
                    "late", caller_number="+44 20 7946 0958", customer_ref="+44 20 7946 0958"
                )
            ),
            inc,
        )
        == []
    )
    assert categories(store.db) == [("Delivery", 3), ("Billing", 2)]


@pytest.mark.parametrize("text", ['"', "AND OR NOT", "(x", "*", "col:val", "NEAR(a b)", "é"])
def test_the_agents_text_is_never_query_syntax(seeded, text: str) -> None:  # type: ignore[no-untyped-def]
    store, _ = seeded
    store.search(SearchQuery(text))  # no sqlite3.OperationalError


def test_an_edit_is_found_by_its_new_words_only(seeded) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    store, inc = seeded
    store.save(replace(inc["ref"], customer_ref="ORD-9999", summary="- invoice fixed"))
    assert ids(store.search(SearchQuery("4471")), inc) == []
    assert ids(store.search(SearchQuery("9999 fixed")), inc) == ["ref"]


def test_words_found_nearly_everywhere_come_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BROAD matches, ranking says little and costs much: newest first."""
    import calmline.store.search as search_module

    store = Store(open_database(tmp_path / "b.db"))
    shift = store.save(Shift("agent-7", T0))
    made = [
        store.save(Incident(shift.meta.id, T0 + timedelta(minutes=n), summary=text))
        for n, text in enumerate(["refund refund refund", "refund", "refund and more words"])
    ]
    ranked = store.search(SearchQuery("refund "))
    assert ranked[0] == made[0]  # ranked: the densest match first
    monkeypatch.setattr(search_module, "BROAD", 2)
    assert store.search(SearchQuery("refund ")) == made[::-1]  # newest first
    assert store.search(SearchQuery("refund ", limit=2)) == made[:0:-1]
