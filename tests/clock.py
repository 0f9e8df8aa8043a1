"""A clock the test moves by hand, for the conductor's timer: no wall-clock sleeps."""

import asyncio


async def settle(rounds: int = 50) -> None:
    """Let every task that can run without time passing run."""
    for _ in range(rounds):
        await asyncio.sleep(0)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self._sleepers: list[tuple[float, asyncio.Future]] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float, *, wake: asyncio.Event) -> None:
        future = asyncio.get_running_loop().create_future()
        entry = (self.t + seconds, future)
        self._sleepers.append(entry)
        waking = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait({future, waking}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waking.cancel()
            self._sleepers.remove(entry)

    async def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, stopping at each wake-up on the way so every
        tick due meanwhile runs at its own time."""
        target = self.t + seconds
        while True:
            await settle()
            due = [deadline for deadline, future in self._sleepers if deadline <= target]
            if not due:
                break
            self.t = max(self.t, min(due))
            for deadline, future in list(self._sleepers):
                if deadline <= self.t and not future.done():
                    future.set_result(None)
        self.t = target
        await settle()
