"""The HTTPS team store's contract (installers/server/team-api.openapi.yaml) is
a valid OpenAPI 3.1 document, says what the code does (the same fields, enums,
key and join rules), and gives the schemas that every answer of the test server
is checked against (``conforms``, used by tests/integration/test_team_https.py)."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from calmline.core import team, team_report
from calmline.core.records import ApologyKind, Resolution
from calmline.core.serialize import plain
from calmline.core.sync_docs import RECORD_TYPES, SyncDoc
from calmline.sync.https import idempotency_key
from calmline.sync.https_read import LISTS, team_url

REPO = Path(__file__).resolve().parents[2]
SPEC_FILE = REPO / "installers" / "server" / "team-api.openapi.yaml"
ANSWER_FILE = REPO / "installers" / "server" / "sync-answer.schema.json"
DOC_FILE = REPO / "resources" / "schemas" / "sync-document.schema.json"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@functools.cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_FILE.read_text())  # type: ignore[no-any-return]


@functools.cache
def _registry() -> Registry:  # type: ignore[type-arg]
    resources = [(SPEC_FILE, spec())] + [
        (f, json.loads(f.read_text())) for f in (ANSWER_FILE, DOC_FILE)
    ]
    return Registry().with_resources(
        (f.as_uri(), Resource.from_contents(c, default_specification=DRAFT202012))
        for f, c in resources
    )


def component(name: str) -> jsonschema.Draft202012Validator:
    ref = {"$ref": f"{SPEC_FILE.as_uri()}#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(
        ref, registry=_registry(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _response(path: str, method: str, status: int) -> dict[str, Any]:
    answers = spec()["paths"][path][method.lower()]["responses"]
    found = answers.get(str(status)) or answers.get(f"{str(status)[0]}XX")
    assert found is not None, f"{method} {path}: the contract has no answer {status}"
    while "$ref" in found:
        found = spec()["components"]["responses"][found["$ref"].rsplit("/", 1)[1]]
    return found  # type: ignore[no-any-return]


def conforms(answers: list[tuple[str, str, int, Any, bool]]) -> int:
    """Every answer (method, route, status, JSON body, planted) that was not
    planted off the contract on purpose is one the contract allows, and its
    body matches the contract's schema. Returns how many were checked."""
    checked = 0
    for method, route, status, body, planted in answers:
        if planted:
            continue
        path = "/" if route == "/" else "/" + route
        content = _response(path, method, status).get("content")
        assert content is not None, f"{method} {path} {status}: the contract gives no body"
        schema = content["application/json"]["schema"]
        ref = {"$ref": f"{SPEC_FILE.as_uri()}{schema['$ref']}"}
        errors = list(
            jsonschema.Draft202012Validator(
                ref, registry=_registry(),
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            ).iter_errors(body)
        )  # fmt: skip
        assert not errors, f"{method} {path} {status}: {errors[0].message} at {errors[0].json_path}"
        checked += 1
    return checked


def test_the_file_is_a_valid_openapi_3_1_document_and_its_file_refs_resolve() -> None:
    assert spec()["openapi"].startswith("3.1")
    validate(spec(), base_uri=SPEC_FILE.as_uri())
    broken = copy.deepcopy(spec())
    broken["paths"]["/team/changes"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] = {"$ref": "#/components/schemas/NoSuchThing"}
    with pytest.raises(Unresolvable):  # a ref to nothing is found out
        validate(broken, base_uri=SPEC_FILE.as_uri())
    del broken["paths"]["/team/changes"]["get"]["responses"]["200"]["description"]
    broken["paths"]["/team/changes"]["get"]["responses"]["200"]["content"] = 5
    with pytest.raises(OpenAPIValidationError):  # the validator is not a rubber stamp
        validate(broken, base_uri=SPEC_FILE.as_uri())
    assert component("SyncBatch").is_valid({"records": [_doc().document()]})
    assert not component("SyncBatch").is_valid({"records": [{"type": "incident"}]})


def test_every_operation_names_the_statuses_the_client_tells_apart() -> None:
    paths = spec()["paths"]
    assert set(paths) == {"/", "/team/changes", "/team/lookup", "/team/report"}
    post = paths["/"]["post"]["responses"]
    for status in ("200", "3XX", "401", "403", "407", "408", "409", "412", "429", "4XX", "5XX"):
        assert status in post, status
    for path in ("/team/changes", "/team/lookup", "/team/report"):
        answers = paths[path]["get"]["responses"]
        for status in ("200", "3XX", "401", "403", "404", "4XX", "5XX"):
            assert status in answers, (path, status)
    assert "410" in paths["/team/changes"]["get"]["responses"]
    assert spec()["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("name", "cls"),
    [(n, c) for n, c in [("TeamIncident", team.TeamIncident), ("TeamPromise", team.TeamPromise),
     ("PromiseKept", team.PromiseKept), ("CautionMarker", team.CautionMarker),
     ("MarkerDecision", team.MarkerDecision), ("TeamReport", team_report.TeamReport),
     ("AgentRow", team_report.AgentRow), ("RepeatCaller", team_report.RepeatCaller)]],
)  # fmt: skip
def test_each_schema_has_exactly_the_fields_of_its_value(name: str, cls: type) -> None:
    schema = spec()["components"]["schemas"][name]
    assert schema["additionalProperties"] is False  # nothing but the caller-facing fields
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(cls)}
    missing = dataclasses.MISSING
    needed = {f.name for f in dataclasses.fields(cls)
              if f.default is missing and f.default_factory is missing}  # fmt: skip
    assert set(schema["required"]) == needed - {"store"}  # the client names the store itself


def test_the_enums_are_the_code_s() -> None:
    props = spec()["components"]["schemas"]
    assert props["TeamIncident"]["properties"]["resolution"]["enum"] == [
        r.value for r in Resolution
    ]
    assert props["TeamIncident"]["properties"]["apology_kind"]["enum"] == [
        a.value for a in ApologyKind
    ]
    assert props["CautionMarker"]["properties"]["reason"]["enum"] == [
        r.value for r in team.MarkerReason
    ]
    assert props["MarkerDecision"]["properties"]["action"]["enum"] == [
        a.value for a in team.MarkerAction
    ]
    answer = json.loads(ANSWER_FILE.read_text())
    assert answer["properties"]["records"]["items"]["properties"]["type"]["enum"] == list(
        RECORD_TYPES
    )
    assert set(LISTS) == set(props["TeamLookup"]["properties"])


def test_values_as_the_code_writes_them_match_and_voice_does_not() -> None:
    incident = team.TeamIncident(
        "i-1", 2, "agent-7", T0, T0, "+44 20 7946 0000", "AC 1", "billing",
        Resolution.PENDING, "refund", ApologyKind.DIRECT, "- late\n- refund",
    )  # fmt: skip
    kept = team.PromiseKept("k-1", 1, "f-1", "i-2", "agent-8", T0)
    promise = team.TeamPromise("f-1", 1, "i-1", "agent-7", "call back", due=date(2026, 11, 21))
    marker = team.CautionMarker("m-1", 1, "agent-7", "i-1", T0, team.MarkerReason.THREATS)
    decision = team.MarkerDecision("d-1", 1, "m-1", "lead", T0, team.MarkerAction.APPROVE,
                                   date(2027, 2, 18))  # fmt: skip
    page = {"incidents": [plain(incident)], "promises": [plain(promise)], "kept": [plain(kept)],
            "markers": [plain(marker)], "decisions": [plain(decision)], "cursor": "7",
            "more": False}  # fmt: skip
    assert component("TeamChanges").is_valid(page)
    leaky = {**plain(incident), "voice": {"talk_share": 0.4}}
    assert not component("TeamIncident").is_valid(leaky)
    row = team_report.AgentRow("agent-7", 3, (("pending", 2), ("total", 1)), 41.5, 1)
    report = team_report.TeamReport(date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 30),
                                    "x", (row,), (team_report.RepeatCaller("+44", 2, 2, T0),),
                                    (marker,), 1)  # fmt: skip
    assert component("TeamReport").is_valid(plain(report))


def _doc(n: int = 0) -> SyncDoc:
    return SyncDoc("note", f"00000000-0000-4000-8000-{n:012d}", 3, "agent-7", "2026-11-20",
                   {"id": f"00000000-0000-4000-8000-{n:012d}", "version": 3,
                    "created_at": "2026-11-20T09:00:00.000000+00:00",
                    "updated_at": "2026-11-20T09:00:00.000000+00:00", "shift_id": "s-1",
                    "text": "wants a refund", "wall_time": "2026-11-20T09:00:00.000000+00:00",
                    "incident_id": None, "call_offset_s": None})  # fmt: skip


def test_the_idempotency_key_is_the_rule_the_file_states() -> None:
    import hashlib
    import re

    docs = [_doc(1), _doc(2)]
    stated = "\n".join(f"{d.record_type}:{d.record_id}:{d.version}" for d in docs)
    assert idempotency_key(docs) == hashlib.sha256(stated.encode()).hexdigest()
    [header] = spec()["paths"]["/"]["post"]["parameters"]
    assert header["name"] == "Idempotency-Key" and header["required"]
    assert re.fullmatch(header["schema"]["pattern"], idempotency_key(docs))


@pytest.mark.parametrize(
    ("target", "read"),
    [
        ("https://sync.example.com/api/records", "https://sync.example.com/api/records/team/changes?since=2026-11-01"),
        ("https://sync.example.com/api/records/", "https://sync.example.com/api/records/team/changes?since=2026-11-01"),
        ("https://sync.example.com", "https://sync.example.com/team/changes?since=2026-11-01"),
        ("https://sync.example.com/api?tenant=a", "https://sync.example.com/api/team/changes?tenant=a&since=2026-11-01"),
    ],
)  # fmt: skip
def test_the_url_join_rule_is_the_one_the_file_states(target: str, read: str) -> None:
    assert team_url(target, "changes", {"since": "2026-11-01"}) == read
    text = spec()["info"]["description"]
    assert "`https://sync.example.com/api/records/team/changes?...`" in text


def test_the_caller_keys_are_the_ones_the_file_states() -> None:
    text = " ".join(spec()["info"]["description"].split())
    for number in ("+44 20 7946 0000", "0044 20 7946 0000", "44-20-7946-0000"):
        assert f'"{number}"' in text and team.number_key(number) == "442079460000"
    assert '"442079460000"' in text
    assert team.ref_key("AC 1234") == team.ref_key(" ac  1234") == "ac 1234"
    assert '"ac 1234"' in text and "str.casefold" in text
