from __future__ import annotations

import math

from calmline.core.timeline import SecondLevels


def test_one_point_per_second_power_mean_of_speech_only() -> None:
    t = SecondLevels()
    for n in range(100):  # 1 s of 10 ms blocks: half at -20 dB, half silence
        t.feed(-20.0 if n % 2 else -90.0, speech=bool(n % 2), dt=0.01)
    for n in range(100):  # 1 s: -30 and -20 dB speech alternating
        t.feed(-30.0 if n % 2 else -20.0, speech=True, dt=0.01)
    for _ in range(100):  # 1 s without speech
        t.feed(-60.0, speech=False, dt=0.01)
    expected = round(10 * math.log10((0.01 + 0.001) / 2), 1)  # -22.6, not the dB mean -25
    assert t.result() == (-20.0, expected, None)


def test_block_sizes_do_not_matter_and_the_last_part_second_counts() -> None:
    a, b = SecondLevels(), SecondLevels()
    for _ in range(250):
        a.feed(-25.0, True, 0.01)
    for _ in range(75):
        b.feed(-25.0, True, 1 / 30)
    assert a.result() == b.result() == (-25.0, -25.0, -25.0)
    assert SecondLevels().result() == ()
