from __future__ import annotations

from pathlib import Path

import pytest

from calmline.context import Context, read_playbook
from calmline.core.playbook import Phase, StepKind, parse_playbook
from calmline.core.problems import ProblemsError
from calmline.platform.paths import resource_path

IRATE = resource_path("playbooks", "irate-caller.toml")
ABUSIVE = resource_path("playbooks", "abusive-caller.toml")

GOOD_STEP = """
[[steps]]
id = "{id}"
phase = "{phase}"
kind = "{kind}"
title = "{title}"
why = "Because."
phrases = ["Say this."]
"""


def playbook_text(*steps: dict[str, str]) -> str:
    text = '[playbook]\nid = "t"\ntitle = "Test"\n'
    for s in steps:
        text += GOOD_STEP.format(**{"id": "a", "phase": "open", "kind": "once", "title": "T", **s})
    return text


def test_default_playbooks_load() -> None:
    irate, abusive = read_playbook(IRATE), read_playbook(ABUSIVE)
    assert irate.id == "irate-caller" and abusive.id == "abusive-caller"
    for pb in (irate, abusive):
        assert {s.phase for s in pb.steps} == set(Phase), f"{pb.id} misses a phase"
        assert all(1 <= len(s.phrases) <= 3 for s in pb.steps)
        assert any(s.kind is StepKind.WATCH for s in pb.steps)


# Each point of playbook-digest.md, and the step that carries it.
DIGEST_POINTS = {
    "stay calm, not personal": ("irate", "stay-calm", "not at you"),
    "collect yourself": ("irate", "collect-yourself", "composure"),
    "let them vent, audible listening, no interrupting": ("irate", "let-them-vent", "cutting in"),
    "paraphrase": ("irate", "play-it-back", "own words"),
    "do not answer at the same volume": ("irate", "keep-voice-down", "volume"),
    "do not argue, no judgement": ("irate", "dont-argue", "opinions"),
    "abusive: attacks won't help": ("abusive", "set-the-line", "integrity"),
    "acknowledge, no excuses or blame": ("irate", "acknowledge", "excuses"),
    "genuine empathy, not 'I understand'": ("irate", "empathise", "you have no idea"),
    "facts, open vs yes/no questions": ("irate", "get-facts", "yes/no"),
    "involve the customer, best practice": ("irate", "involve-them", "best practice"),
    "proactive solution or timeline, promise to try": ("irate", "offer-solution", "timeline"),
    "decline calmly with reasons": ("irate", "decline-calmly", "explain calmly"),
    "what happens next, escalate, honour it": ("irate", "what-next", "escalate"),
    "three kinds of apology, logged": ("irate", "apologise", "blameless"),
    "make it up to them; 39%": ("irate", "make-amends", "39%"),
    "confirm agreement, total or pending": ("irate", "confirm-agreement", "pending"),
    "anything else, thank them": ("irate", "anything-else", "telling us"),
    "point-form log with date, time, actions": ("irate", "log-incident", "point"),
    "record what worked": ("irate", "best-practice", "same problem"),
    "follow up, keep the promise": ("irate", "follow-up", "within a week"),
    "most customers are reasonable": ("irate", "decline-calmly", "reasonable"),
}


@pytest.mark.parametrize("point", sorted(DIGEST_POINTS))
def test_every_digest_point_lands_in_a_step(point: str) -> None:
    which, step_id, words = DIGEST_POINTS[point]
    step = read_playbook(IRATE if which == "irate" else ABUSIVE).step(step_id)
    text = " ".join([step.title, step.why, *step.phrases]).lower()
    assert words.lower() in text, f"{point!r}: step {step_id} lacks {words!r}"


def test_parses_a_minimal_playbook() -> None:
    pb = parse_playbook(
        playbook_text({"id": "one"}, {"id": "two", "kind": "watch", "phase": "close"}), "t.toml"
    )
    assert [s.id for s in pb.steps] == ["one", "two"]
    assert pb.steps[1].kind is StepKind.WATCH and pb.steps[1].phase is Phase.CLOSE


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProblemsError) as err:
        parse_playbook(text, "custom.toml")
    return [str(p) for p in err.value.problems]


def test_duplicate_id_names_file_line_step_and_field() -> None:
    probs = problems_of(playbook_text({"id": "same"}, {"id": "same"}))
    assert probs == [
        "custom.toml:14: step 'same' field 'id': duplicate id 'same' (first used "
        "on line 6) — give every step its own id"
    ]


def test_empty_title_unknown_kind_and_phase_each_reported() -> None:
    probs = problems_of(
        playbook_text({"id": "x", "title": " ", "kind": "sometimes", "phase": "later"})
    )
    joined = "\n".join(probs)
    assert "custom.toml:9: step 'x' field 'title': title is missing or empty" in joined
    assert (
        "custom.toml:8: step 'x' field 'kind': unknown kind 'sometimes' — use one of: "
        "once, watch" in joined
    )
    assert (
        "custom.toml:7: step 'x' field 'phase': unknown phase 'later' — use one of: open, "
        "listen, acknowledge, solve, close, after" in joined
    )


def test_phrases_count_and_unknown_field() -> None:
    text = playbook_text({"id": "x"}).replace(
        'phrases = ["Say this."]', 'phrases = []\ncolour = "red"'
    )
    joined = "\n".join(problems_of(text))
    assert "field 'phrases': needs 1 to 3 non-empty phrases" in joined
    assert "field 'colour': unknown field" in joined


def test_toml_syntax_error_has_line() -> None:
    probs = problems_of('[playbook]\nid = "t"\n[[steps]]\nid = "oops\n')
    assert probs[0].startswith("custom.toml:4: not valid TOML")


def test_settings_playbook_path_replaces_default(home: Path) -> None:
    custom = home / "ours.toml"
    custom.write_text(playbook_text({"id": "our-step"}))
    (home / "config.toml").write_text(f'[playbook]\npath = "{custom}"\n')
    ctx = Context.load()
    assert [s.id for s in ctx.playbook().steps] == ["our-step"]
    assert ctx.problems == []


def test_broken_custom_playbook_falls_back_loudly(home: Path) -> None:
    custom = home / "ours.toml"
    custom.write_text(playbook_text({"id": "x", "kind": "maybe"}))
    (home / "config.toml").write_text(f'[playbook]\npath = "{custom}"\n')
    ctx = Context.load()
    assert ctx.playbook().id == "irate-caller"
    text = "\n".join(map(str, ctx.problems))
    assert "unknown kind 'maybe'" in text and "using the built-in playbook instead" in text


def with_listen(step_id: str, listen: str, kind: str = "once") -> str:
    return playbook_text({"id": step_id, "kind": kind}).replace(
        'phrases = ["Say this."]', f'phrases = ["Say this."]\nlisten_for = {listen}'
    )


def test_listen_for_is_read_and_normalised() -> None:
    pb = parse_playbook(with_listen("sorry", '["I’m  SORRY", "my apologies"]'), "t.toml")
    assert pb.steps[0].listen_for == ("i'm sorry", "my apologies")
    assert parse_playbook(playbook_text({"id": "x"}), "t.toml").steps[0].listen_for == ()


@pytest.mark.parametrize(
    ("listen", "says"),
    [
        ("[]", ""),  # an empty list is the same as none
        ('"sorry"', "needs 1 to 5 phrases, got 'sorry'"),
        ('["a", "b", "c", "d", "e", "f"]', "needs 1 to 5 phrases"),
        ('["call back in 2 days"]', "has characters other than letters, apostrophes and spaces"),
        ('["i am really truly very sorry about all of it"]', "has 10 words, at most 8"),
        ('["' + "a" * 61 + '"]', "phrase 1 is 61 characters long, at most 60"),
        ('["sorry", "Sorry"]', "phrase 2 'Sorry' is listed twice"),
        ('["sorry", 3]', "phrase 2 is 3, not a phrase"),
    ],
)
def test_listen_for_problems_name_line_step_field_and_fix(listen: str, says: str) -> None:
    text = with_listen("x", listen)
    if not says:
        parse_playbook(text, "custom.toml")
        return
    (problem,) = problems_of(text)
    assert problem.startswith("custom.toml:12: step 'x' field 'listen_for': ")
    assert says in problem and " — " in problem  # and a fix


def test_listen_for_on_a_reminder_or_on_two_steps_is_refused() -> None:
    (problem,) = problems_of(with_listen("w", '["stay calm"]', kind="watch"))
    assert "a reminder for the whole call is never ticked" in problem
    text = with_listen("a", '["i hear you"]') + with_listen("b", '["I hear you"]').split("\n", 3)[
        3
    ].replace("[playbook]", "")
    probs = problems_of(text)
    assert probs == [
        "custom.toml:21: step 'b' field 'listen_for': 'i hear you' is also a phrase of "
        "step 'a' — give each phrase to one step"
    ]


def test_built_in_playbooks_listen_for_the_spoken_steps() -> None:
    pb = read_playbook(IRATE)
    heard = {s.id for s in pb.steps if s.listen_for}
    assert {"apologise", "empathise", "confirm-agreement", "anything-else"} <= heard
    assert all(s.kind is StepKind.ONCE for s in pb.steps if s.listen_for)
    assert {"set-the-line", "warn"} <= {s.id for s in read_playbook(ABUSIVE).steps if s.listen_for}
