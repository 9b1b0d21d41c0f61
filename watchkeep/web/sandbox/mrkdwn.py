"""Slack's mrkdwn as the Slack client shows it, turned into safe HTML.

Handles what a judge of a message needs to see: `*bold*`, `_italic_`,
`~strike~`, `` `code` ``, ``` ```blocks``` ```, `>` quotes, line breaks, the
`<…>` controls (`<@U…>` users, `<#C…>` channels, `<!here>`, `<url|label>`) and
date tokens (`<!date^UNIX^{date_short_pretty} {time}|fallback>`, `{ago}` too),
shown in the reader's time zone at the fake Slack's clock. Slack escapes `&`,
`<` and `>` in text as entities; they are shown as the characters, and every
piece of text is HTML-escaped on the way out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

_CONTROL = re.compile(r"<([^<>]+)>")
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "del"),
)
_CODE = re.compile(r"`([^`\n]+)`")
_PRE = re.compile(r"```(.+?)```", re.S)
_DATE_WORD = re.compile(r"\{(\w+)\}")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_UNITS = (
    (86400 * 365, "year"),
    (86400 * 30, "month"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)

# Names for the `<@U…>` and `<#C…>` controls: id → name.
Names = Callable[[str], str | None]


class Reader:
    """Who reads the text: their zone and the fake Slack's `now`, and how ids are named."""

    def __init__(
        self,
        now: float,
        tz: str = "UTC",
        users: Names | None = None,
        channels: Names | None = None,
    ) -> None:
        self.now = now
        self.zone = _zone(tz)
        self.users = users or (lambda _: None)
        self.channels = channels or (lambda _: None)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def plain(text: str) -> Markup:
    """`plain_text`: no formatting, but Slack's entities read as characters."""
    return Markup("<br>").join(escape(line) for line in html.unescape(text).split("\n"))


def mrkdwn(text: str, reader: Reader) -> Markup:
    """`mrkdwn` text as HTML."""
    parts: list[Markup] = []
    for index, chunk in enumerate(_PRE.split(text)):
        if index % 2:
            parts.append(Markup("<pre>{}</pre>").format(html.unescape(chunk.strip("\n"))))
        else:
            parts.append(_lines(chunk, reader))
    return Markup("").join(parts)


def _lines(text: str, reader: Reader) -> Markup:
    out: list[Markup] = []
    quote: list[Markup] = []
    for line in text.split("\n"):
        # Slack sends the quote marker escaped as "&gt;".
        if line.startswith(("&gt;", ">")):
            quote.append(_inline(line.removeprefix("&gt;").removeprefix(">").lstrip(), reader))
            continue
        if quote:
            out.append(Markup("<blockquote>{}</blockquote>").format(Markup("<br>").join(quote)))
            quote = []
        out.append(_inline(line, reader))
    if quote:
        out.append(Markup("<blockquote>{}</blockquote>").format(Markup("<br>").join(quote)))
    joined: list[Markup] = []
    for i, piece in enumerate(out):
        if (
            i
            and not str(out[i - 1]).startswith("<blockquote>")
            and not str(piece).startswith("<blockquote>")
        ):
            joined.append(Markup("<br>"))
        joined.append(piece)
    return Markup("").join(joined)


def _inline(line: str, reader: Reader) -> Markup:
    """One line: controls become HTML, the text between them is styled."""
    out: list[Markup] = []
    last = 0
    for match in _CONTROL.finditer(line):
        out.append(_styled(line[last : match.start()]))
        out.append(_control(match.group(1), reader))
        last = match.end()
    out.append(_styled(line[last:]))
    return Markup("").join(out)


def _styled(text: str) -> Markup:
    escaped = str(escape(html.unescape(text)))
    codes: list[str] = []

    def keep(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\x00{len(codes) - 1}\x00"

    escaped = _CODE.sub(keep, escaped)
    for pattern, tag in _STYLES:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    for i, code in enumerate(codes):
        escaped = escaped.replace(f"\x00{i}\x00", f"<code>{code}</code>")
    return Markup(escaped)  # noqa: S704 - built from escaped text and our own tags only


def _control(inner: str, reader: Reader) -> Markup:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = reader.users(target[1:]) or target[1:]
        return Markup('<span class="mention">@{}</span>').format(label or name)
    if target.startswith("#"):
        name = reader.channels(target[1:]) or target[1:]
        return Markup('<span class="mention">#{}</span>').format(label or name)
    if target.startswith("!date^"):
        return Markup('<time class="date">{}</time>').format(date_token(target, label, reader))
    if target.startswith("!subteam^"):
        return Markup('<span class="mention">@{}</span>').format(label or target[9:])
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        return Markup('<span class="mention">@{}</span>').format(label or word)
    url = html.unescape(target)
    if url.startswith(_SAFE_SCHEMES):
        return Markup('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>').format(
            url, html.unescape(label) if label else url
        )
    return escape(html.unescape(f"<{inner}>"))


def date_token(target: str, fallback: str, reader: Reader) -> str:
    """`!date^UNIX^format[^link]` in the reader's zone; the fallback if it cannot be read."""
    pieces = target.split("^")
    try:
        when = datetime.fromtimestamp(int(pieces[1]), UTC).astimezone(reader.zone)
        template = pieces[2]
    except (IndexError, ValueError, OverflowError, OSError):
        return html.unescape(fallback)
    today = datetime.fromtimestamp(reader.now, UTC).astimezone(reader.zone).date()

    def word(match: re.Match[str]) -> str:
        shown = _date_word(match.group(1), when, today, reader.now)
        return match.group(0) if shown is None else shown

    return _DATE_WORD.sub(word, html.unescape(template))


def _ordinal(day: int) -> str:
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _date_word(name: str, when: datetime, today: date, now: float) -> str | None:
    long = f"{when:%B} {_ordinal(when.day)}, {when.year}"
    short = f"{when:%b} {when.day}, {when.year}"
    pretty = _pretty(when, today)
    words = {
        "date_num": f"{when:%Y-%m-%d}",
        "date": long,
        "date_short": short,
        "date_long": f"{when:%A}, {long}",
        "date_pretty": pretty or long,
        "date_short_pretty": pretty or short,
        "date_long_pretty": pretty or f"{when:%A}, {long}",
        "time": f"{when:%-I:%M %p}",
        "time_secs": f"{when:%-I:%M:%S %p}",
        "ago": ago(now - when.timestamp()),
    }
    return words.get(name)


def _pretty(when: datetime, today: date) -> str | None:
    offsets = {0: "Today", -1: "Yesterday", 1: "Tomorrow"}
    return offsets.get((when.date() - today) // timedelta(days=1))


def ago(seconds: float) -> str:
    """Slack's relative time: "just now", "3 minutes ago", "in 2 hours"."""
    future, seconds = seconds < 0, abs(int(seconds))
    if seconds < 60:
        return "just now" if not future else "in a few seconds"
    for size, unit in _UNITS:
        if seconds >= size:
            count = seconds // size
            amount = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {amount}" if future else f"{amount} ago"
    return "just now"
