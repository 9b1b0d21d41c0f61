"""Reading what the user typed after the command."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")
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
    word = word.removeprefix("#")
    return int(word) if word.isdigit() and 0 < int(word) < 2**31 else None


def duration(word: str) -> timedelta | None:
    """`30` (minutes), `45m`, `2h`, `1h30m`, `1d`; None if unreadable or out of range."""
    word = word.strip().lower()
    if word.isdigit():
        value = timedelta(minutes=int(word))
    else:
        match = _DURATION.match(word)
        if not match or not any(match.groups()):
            return None
        days, hours, minutes = (int(g or 0) for g in match.groups())
        value = timedelta(days=days, hours=hours, minutes=minutes)
    return value if timedelta(0) < value <= MAX_SNOOZE else None
