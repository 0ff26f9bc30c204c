"""Which version of each calendar event a client may already hold.

RFC 5546 lets a calendar ignore an update unless its ``SEQUENCE`` is
higher than that of the copy it has, so mend must know, for every event it
ever wrote (the series in ``checkins.ics``, an occurrence invited to in a
recap, a notice), what it wrote last. A :class:`Ledger` remembers, per
event, a hash of what the event says (when, how long, where, its status:
everything but ``SEQUENCE`` and ``DTSTAMP`` themselves) with the sequence
and stamp it was written with. It lives in the build's manifest, with the
case's entry, and travels with the outputs it describes.

The rules, in :meth:`Ledger.version`:

- an event that says what it said last time keeps its sequence and stamp,
  so an unchanged event is written byte for byte as before, whatever
  ``--today`` is;
- an event that changed gets a sequence one higher than its last one, and
  never lower than the number of days from the series' first check-in to
  ``--today``; its stamp is ``--today``;
- an event never seen before gets sequence 0 and the series' stamp when it
  is the plain series (nothing was changed), and the day floor otherwise.

The day floor is what keeps the sequence growing when the manifest is gone
(a fresh output folder, another machine): the client's copy was written on
an earlier day, so its sequence is at most the floor of that day plus the
changes made since. Only two changes of one event on one ``--today``, then
the manifest lost, could give a client a copy with the same sequence; the
README says so. Nothing here reads the clock: the same inputs, manifest
and ``--today`` give the same sequences.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any


@dataclass(frozen=True)
class Version:
    """What one event is written with: its ``SEQUENCE`` and ``DTSTAMP``."""

    sequence: int
    stamp: datetime


def content_hash(parts: list[tuple[str, str]]) -> str:
    """A hash of an event's properties, as (name, value) pairs in a fixed order."""
    h = hashlib.sha256()
    for name, value in parts:
        h.update(f"{name}:{value}\0".encode())
    return h.hexdigest()[:24]


def midnight(day: date) -> datetime:
    """A day as a ``DTSTAMP``: its start, in UTC."""
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass
class Ledger:
    """Every event's last written version, by event key (UID, and RECURRENCE-ID if any).

    Its JSON form is ``{key: [hash, sequence, "YYYY-MM-DD"]}``: a stamp is
    always a day's midnight in UTC.
    """

    entries: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Ledger:
        """A ledger from a manifest; anything unreadable in it is forgotten, not fatal."""
        entries: dict[str, list[Any]] = {}
        if isinstance(data, dict):
            for key, value in data.items():
                if (
                    isinstance(key, str)
                    and isinstance(value, list)
                    and len(value) == 3
                    and isinstance(value[0], str)
                    and isinstance(value[1], int)
                    and isinstance(value[2], str)
                ):
                    try:
                        date.fromisoformat(value[2])
                    except ValueError:
                        continue
                    entries[key] = list(value)
        return cls(entries)

    def to_json(self) -> dict[str, list[Any]]:
        return {key: self.entries[key] for key in sorted(self.entries)}

    def version(self, key: str, digest: str, *, plain: bool, first: date, today: date) -> Version:
        """The version to write an event with, recorded so that the next build agrees.

        ``plain``: the event is what the series alone would say (no move,
        cancellation or other change), so a first sighting is version 0.
        ``first`` is the series' first check-in (the base stamp, and the day
        the floor counts from).
        """
        floor = max(1, (today - first).days + 1)
        entry = self.entries.get(key)
        if entry is not None and entry[0] == digest:
            return Version(entry[1], midnight(date.fromisoformat(entry[2])))
        if entry is None:
            sequence, stamp = (0, first) if plain else (floor, today)
        else:
            sequence = max(entry[1] + 1, floor)
            stamp = max(today, date.fromisoformat(entry[2]))
        self.entries[key] = [digest, sequence, stamp.isoformat()]
        return Version(sequence, midnight(stamp))

    def changed(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` that were ever written as a change (sequence above 0)."""
        return [k for k in sorted(self.entries) if k.startswith(prefix) and self.entries[k][1] > 0]
