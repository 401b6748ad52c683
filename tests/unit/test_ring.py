"""The capture ring: any write sizes become whole 10 ms blocks, in order; a slow
reader loses the oldest blocks and the count says how many."""

from __future__ import annotations

import numpy as np

from calmline.audio.capture import Ring


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_odd_write_sizes_become_whole_blocks_in_order() -> None:
    ring = Ring(blocks=8, block_size=480)
    pos = 0
    for size in (3, 240, 5, 480, 1000, 2):  # 1730 frames: three whole blocks
        ring.write(ramp(pos, size))
        pos += size
    blocks = ring.drain()
    assert blocks.shape == (3, 480)
    assert np.array_equal(blocks.ravel(), ramp(0, 1440))
    assert ring.drain().shape == (0, 480)  # nothing new
    ring.write(ramp(pos, 480 - (pos - 1440)))  # completes the fourth block
    assert np.array_equal(ring.drain().ravel(), ramp(1440, 480))


def test_drain_wraps_around_the_end_of_the_ring() -> None:
    ring = Ring(blocks=4, block_size=10)
    ring.write(ramp(0, 30))
    ring.drain()
    ring.write(ramp(30, 30))  # blocks 3, 4, 5 -> rows 3, 0, 1
    assert np.array_equal(ring.drain().ravel(), ramp(30, 30))
    assert ring.lost == 0


def test_a_slow_reader_keeps_the_newest_blocks_and_counts_the_rest() -> None:
    ring = Ring(blocks=4, block_size=10)
    ring.write(ramp(0, 70))  # seven blocks into a ring of four
    blocks = ring.drain()
    assert ring.lost == 3
    assert np.array_equal(blocks.ravel(), ramp(30, 40))


def test_drained_blocks_are_copies_the_writer_cannot_change() -> None:
    ring = Ring(blocks=2, block_size=4)
    ring.write(np.ones(4, dtype=np.float32))
    blocks = ring.drain()
    ring.write(np.zeros(8, dtype=np.float32))  # overwrites both rows
    assert np.all(blocks == 1.0)


def test_raw_buffers_and_mixed_writes_land_like_arrays() -> None:
    """PortAudio's raw buffer is copied as bytes, and the loopback mixes into the
    ring itself: both give the same blocks as ``write``, across the ring's end."""
    ring = Ring(blocks=4, block_size=10)
    ring.write_bytes(ramp(0, 25).tobytes(), 25)
    ring.write_bytes(memoryview(ramp(25, 10).tobytes()), 10)  # 35 frames: 3 blocks
    assert np.array_equal(ring.drain().ravel(), ramp(0, 30))
    runs = ring.mix_into(12)  # 35 -> 47: past the end of the 40 frames
    assert [len(r) for r in runs] == [5, 7]
    for run, start in zip(runs, (35, 40), strict=True):
        run[:] = ramp(start, len(run))
    ring.publish(12)
    ring.write_bytes(ramp(47, 13).tobytes(), 13)
    assert np.array_equal(ring.drain().ravel(), ramp(30, 30))
    assert ring.lost == 0


def test_a_loud_block_calls_once_until_the_reader_asks_again() -> None:
    ring = Ring(blocks=8, block_size=10)
    calls: list[int] = []
    ring.on_loud = lambda: calls.append(ring.written)
    quiet, loud = np.full(10, 0.01, np.float32), np.full(10, 0.5, np.float32)
    ring.write(loud)
    assert calls == []  # not asked yet
    ring.wake_above = 0.1**2  # louder than -20 dBFS
    ring.write(quiet)
    ring.write(loud[:5])
    assert calls == []  # a half block is not a block
    ring.write(loud[5:])
    assert calls == [3]
    ring.write(loud)
    assert calls == [3]  # once
    ring.wake_above = 0.1**2
    ring.write(np.concatenate([quiet, loud, loud]))  # three blocks in one write
    assert calls == [3, 7]  # among them; every other block is tested, 20 ms of sound is seen
