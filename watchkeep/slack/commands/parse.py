"""Reading what the user typed after the command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from watchkeep.core.ids import parse_id

# Bounded digits: a duration beyond 30 days is refused, never a timedelta overflow.
_DURATION = re.compile(r"^(?:(\d{1,5})d)?(?:(\d{1,6})h)?(?:(\d{1,8})m(?:in)?)?$", re.ASCII)
MAX_SNOOZE = timedelta(days=30)


@dataclass(frozen=True)
class Command:
    name: str
    args: list[str]
    rest: str  # everything after the subcommand, as typed


def parse_command(text: str) -> Command:
    words = text.strip().split()
    if not words:
        return Command("help", [], "")
    rest = text.strip()[len(words[0]) :].strip()
    return Command(words[0].lower(), words[1:], rest)


def incident_number(word: str) -> int | None:
    """`12` or `#12`."""
    return parse_id(word.removeprefix("#"))


def duration(word: str) -> timedelta | None:
    """`30` (minutes), `45m`, `2h`, `1h30m`, `1d`; None if unreadable or out of range."""
    word = word.strip().lower()
    if word.isascii() and word.isdigit() and len(word) <= 8:
        value = timedelta(minutes=int(word))
    else:
        match = _DURATION.match(word)
        if not match or not any(match.groups()):
            return None
        days, hours, minutes = (int(g or 0) for g in match.groups())
        value = timedelta(days=days, hours=hours, minutes=minutes)
    return value if timedelta(0) < value <= MAX_SNOOZE else None
