"""Heard steps in the window: a spot from the listen worker ticks its step as
"heard" (stored so), the checklist marks it with the phrase, Undo (the button or
the tick hotkey) takes it back for a few seconds, the listening bar turns
listening off for the call, and a playbook switch changes what is listened for.
The recogniser is a stand-in here: tests/integration/test_heard_steps_audio.py
runs the real one on PulseAudio."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from calmline.audio.listen_worker import ListenWorker
from calmline.core.commands import Command, Name
from calmline.core.listening import Spot, phrase_table
from calmline.core.records import StepAction, StepSource
from calmline.flow import Flow
from calmline.ui.heard_controller import OFF_FOR_CALL
from calmline.ui.listening_bar import ON_TEXT, UNDO_S
from calmline.ui.main_window import CompanionWindow
from tests.ui.conftest import companion, make


class Meter(QObject):
    heard = Signal(object)


class Silent:
    """A recogniser that hears nothing (the spots come from the test)."""

    def begin(self, t_s: float) -> None: ...
    def feed(self, samples: npt.NDArray[np.float32]) -> list[Spot]:
        return []

    def end(self) -> list[Spot]:
        return []


class Seconds:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def listening(qtbot: QtBot, flow: Flow) -> tuple[CompanionWindow, Meter, ListenWorker, Seconds]:
    tables: list[Mapping[str, Sequence[str]]] = []

    def make_silent(phrases: Mapping[str, Sequence[str]], rate: int) -> Silent:
        tables.append(phrases)
        return Silent()

    w = make(qtbot, flow)
    meter = Meter()
    worker = ListenWorker(make_silent, phrase_table(flow.playbook))
    worker.tables = tables  # type: ignore[attr-defined]
    assert worker.wait_ready(10)
    seconds = Seconds()
    c = companion(w)
    c.heard.clock = seconds
    c.listen(worker, meter.heard)
    c.do(Command(Name.SHIFT_START, {"agent": "agent-7"}))
    return w, meter, worker, seconds


def spot(step: str, phrase: str) -> Spot:
    return Spot(step, phrase, 1.0, 1.8, 2.0)


def ticks(flow: Flow) -> list[tuple[str, StepAction, StepSource]]:
    assert flow.call is not None
    return [(e.step_id, e.action, e.source) for e in flow.store.step_events_for(flow.call.meta.id)]


def test_a_heard_phrase_ticks_its_step_marked_heard_and_undo_takes_it_back(
    qtbot: QtBot, flow: Flow
) -> None:
    w, meter, worker, _ = listening(qtbot, flow)
    try:
        assert not w.listening.isVisible()  # no call: nothing listens, nothing shown
        companion(w).do(Command(Name.CALL_START))
        assert worker.active and w.listening.state.text() == ON_TEXT
        assert w.listening.off.isVisible()
        meter.heard.emit(spot("apologise", "i'm sorry"))
        assert ticks(flow) == [("apologise", StepAction.TICK, StepSource.HEARD)]
        row = w.checklist.item("apologise")
        assert row.text(0).endswith("· heard “i'm sorry”")
        assert w.listening.heard.text() == "Heard “i'm sorry” → Apologise the right way"
        assert w.listening.undo.isVisible()
        meter.heard.emit(spot("apologise", "i apologise"))  # already ticked: nothing more
        assert len(ticks(flow)) == 1
        w.listening.undo.click()
        assert ticks(flow)[-1] == ("apologise", StepAction.UNTICK, StepSource.UNKNOWN)
        assert "apologise" not in flow.session.ticked
        assert not row.text(0).endswith("”") and not w.listening.undo.isVisible()
    finally:
        worker.stop()


def test_the_tick_hotkey_undoes_a_heard_tick_only_for_a_few_seconds(
    qtbot: QtBot, flow: Flow
) -> None:
    w, meter, worker, seconds = listening(qtbot, flow)
    hotkey = Command(Name.STEP_NEXT, {"source": "hotkey"})
    try:
        c = companion(w)
        c.do(Command(Name.CALL_START))
        meter.heard.emit(spot("empathise", "i can imagine how"))
        seconds.t += UNDO_S - 0.5
        c.do(hotkey)  # within the undo time: the heard tick is taken back
        assert "empathise" not in flow.session.ticked
        assert ticks(flow)[-1][:2] == ("empathise", StepAction.UNTICK)
        meter.heard.emit(spot("empathise", "i can imagine how"))
        seconds.t += UNDO_S + 0.5
        first = flow.session.next_step()
        c.do(hotkey)  # too late to undo: the hotkey ticks the next step, as always
        assert "empathise" in flow.session.ticked and first in flow.session.ticked
        assert ticks(flow)[-1] == (first, StepAction.TICK, StepSource.HOTKEY)
        c.do(Command(Name.STEP_NEXT))  # the softphone's `step next` never undoes
        assert ticks(flow)[-1][1:] == (StepAction.TICK, StepSource.SOFTPHONE)
    finally:
        worker.stop()


def test_listening_turns_off_for_this_call_only(qtbot: QtBot, flow: Flow) -> None:
    w, meter, worker, _ = listening(qtbot, flow)
    try:
        c = companion(w)
        c.do(Command(Name.CALL_START))
        w.listening.off.click()
        assert not worker.active and w.listening.state.text() == OFF_FOR_CALL
        assert not w.listening.off.isVisible()
        c.do(Command(Name.CALL_END))
        assert not w.listening.isVisible()
        meter.heard.emit(spot("apologise", "i'm sorry"))  # no call: no tick, no error
        c.do(Command(Name.CALL_START))
        assert worker.active and w.listening.state.text() == ON_TEXT
    finally:
        worker.stop()


def test_the_abusive_steps_switch_what_is_listened_for(qtbot: QtBot, flow: Flow) -> None:
    w, meter, worker, _ = listening(qtbot, flow)
    try:
        c = companion(w)
        c.do(Command(Name.CALL_START))
        c.do(Command(Name.ABUSIVE, {"on": "yes"}))
        qtbot.waitUntil(lambda: len(worker.tables) == 2)  # type: ignore[attr-defined]
        assert "warn" in worker.tables[-1]  # type: ignore[attr-defined]
        meter.heard.emit(spot("warn", "i will have to end this call"))
        assert ticks(flow)[-1] == ("warn", StepAction.TICK, StepSource.HEARD)
    finally:
        worker.stop()


def test_a_clicked_tick_is_stored_as_clicked(qtbot: QtBot, flow: Flow) -> None:
    w = make(qtbot, flow)
    companion(w).do(Command(Name.SHIFT_START, {"agent": "agent-7"}))
    companion(w).do(Command(Name.CALL_START))
    w.checklist.item("apologise").setCheckState(
        0, w.checklist.item("apologise").checkState(0).Checked
    )
    assert ticks(flow) == [("apologise", StepAction.TICK, StepSource.CLICKED)]
