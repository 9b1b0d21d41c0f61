"""The alert context on an incident's Slack card: a few labels, the changes just
before it, its links as buttons and its first image.

Read by `watchkeep.ingest.context` (the same reading the incident page shows);
here it is only escaped and cut to Block Kit's limits: a button's text at 75
characters and its URL at 3,000, an image's URL at 3,000 and its alt text at
2,000, a context block at 10 elements. A link or image too long for Slack is
left out rather than cut (a cut URL leads nowhere).
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)

from watchkeep.ingest.context import AlertContext

# Link buttons: Slack opens the URL; the click still reaches the app, which only acks it.
ALERT_LINK = "incident_link"
ALERT_LINK_PATTERN = re.compile(rf"^{ALERT_LINK}:\d+$")
BUTTON_TEXT_MAX, URL_MAX, ALT_MAX, SECTION_MAX = 75, 3000, 2000, 3000
SHOWN_LINKS = 5
SHOWN_CHANGES = 3


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_blocks(alert: AlertContext, incident_id: int) -> list[Block]:
    """The blocks the card shows for its alert's context, in reading order."""
    blocks: list[Block] = []
    if alert.shown_labels:
        labels = " · ".join(
            f"*{escape(_cut(name, 100))}*: {escape(_cut(value, 300))}"
            for name, value in alert.shown_labels
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(labels, SECTION_MAX))))
    if alert.changes:
        lines = [
            MarkdownTextObject(
                text=_cut(
                    f"🚀 {_change_text(change.summary, change.url)} · {change.before} before",
                    2000,
                )
            )
            for change in alert.changes[:SHOWN_CHANGES]
        ]
        blocks.append(ContextBlock(elements=lines))
    buttons = [
        ButtonElement(
            text=_cut(link.text, BUTTON_TEXT_MAX),
            action_id=f"{ALERT_LINK}:{n}",
            url=link.url,
        )
        for n, link in enumerate(
            [link for link in alert.links if len(link.url) <= URL_MAX][:SHOWN_LINKS]
        )
    ]
    if buttons:
        blocks.append(ActionsBlock(block_id=f"incident_links:{incident_id}", elements=buttons))
    image = next((image for image in alert.images if len(image.url) <= URL_MAX), None)
    if image is not None:
        blocks.append(ImageBlock(image_url=image.url, alt_text=_cut(image.alt, ALT_MAX)))
    return blocks


def _change_text(summary: str, url: str | None) -> str:
    text = escape(_cut(summary, 300))
    if url is None or len(url) > 1000 or any(c in url for c in "<>|"):
        return text
    return f"<{url}|{text.replace('|', '¦')}>"
