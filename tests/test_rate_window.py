"""The frame limits (a session's percepts, a display's requests) hold over any minute,
not per wall-clock minute: a burst across a minute's end gets the limit once, and the
rate comes back as the minute slides on (dreamsite.control.within_rate)."""

from dreamsite.control import within_rate

LIMIT = 4
# A minute's end: the windows are counted from the epoch.
MINUTE_END = 1_800_000_000 - 1_800_000_000 % 60


async def sent(count: int, *, at: float, caller: str = "perceptor@127.0.0.1") -> list[bool]:
    return [
        await within_rate(scope="test-frames", caller=caller, limit=LIMIT, now=at)
        for _ in range(count)
    ]


async def test_a_burst_across_a_minutes_end_gets_the_limit_once():
    assert await sent(LIMIT, at=MINUTE_END - 1) == [True] * LIMIT
    # Fixed windows would let as many through again two seconds later.
    assert await sent(LIMIT, at=MINUTE_END + 1) == [False] * LIMIT


async def test_the_rate_comes_back_as_the_minute_slides_on():
    assert await sent(LIMIT, at=MINUTE_END - 1) == [True] * LIMIT
    # The last minute's frames are weighed by the share of their window still in it:
    # half a minute on, about half of them.
    assert await sent(3, at=MINUTE_END + 30.5) == [True, True, False]
    # Once a whole window has passed without frames, the whole rate again.
    assert await sent(LIMIT + 1, at=MINUTE_END + 120) == [True] * LIMIT + [False]


async def test_refused_frames_use_none_of_the_rate():
    assert await sent(LIMIT + 10, at=MINUTE_END + 5) == [True] * LIMIT + [False] * 10
    # Twenty seconds into the next window the four frames let through weigh 2.7 and the
    # ten refused ones nothing (with them it would be 9.3).
    assert await sent(1, at=MINUTE_END + 80) == [True]


async def test_each_caller_has_a_rate_of_its_own():
    assert await sent(LIMIT, at=MINUTE_END, caller="one@127.0.0.1") == [True] * LIMIT
    assert await sent(LIMIT, at=MINUTE_END, caller="two@127.0.0.1") == [True] * LIMIT
    assert await sent(1, at=MINUTE_END, caller="one@127.0.0.1") == [False]
