"""The built-in engine's adapter: always ready. The engine itself is `engines.offline`."""

from collections.abc import Mapping

from engines.adapters.base import READY, Check
from engines.offline.engine import OfflineEngine


class OfflineAdapter:
    def check(self, env: Mapping[str, str]) -> Check:
        return READY

    def engine(self, *, model: str, timeout: float, env: Mapping[str, str]) -> OfflineEngine:
        return OfflineEngine()
