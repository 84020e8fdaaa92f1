"""Public ids: a prefix plus the database key zero-padded to three digits (agg-snap-001)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Largest key a BigAutoField can hold; anything longer is not ours.
MAX_KEY = 2**63 - 1


@dataclass(frozen=True)
class PublicId:
    prefix: str

    def format(self, pk: int) -> str:
        return f"{self.prefix}-{pk:03d}"

    def parse(self, value: str) -> int | None:
        """Return the key of a well-formed id of this kind, else None (callers answer 404).

        Only the canonical spelling is accepted: ``agg-snap-001``, not ``agg-snap-1``
        nor ``agg-snap-0001``, so one snapshot has exactly one id.
        """
        match = re.fullmatch(re.escape(self.prefix) + r"-([0-9]{3,19})", value)
        if not match:
            return None
        pk = int(match.group(1))
        if pk < 1 or pk > MAX_KEY or self.format(pk) != value:
            return None
        return pk


AGG_SNAPSHOT_ID = PublicId("agg-snap")
SUBMITTED_PERIOD_ID = PublicId("sub-period")
COUNT_SNAPSHOT_ID = PublicId("count-snapshot")
