"""Block Kit for runbook messages: the docs' short form, and the post-incident summary."""

from __future__ import annotations

from typing import Any

from watchkeep.slack.render import escape, truncate

SECTION_MAX = 3000
HEADER_MAX = 150
FIELD_MAX = 2000


def blocks(short_or_full: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Short blocks (`{type: section, text: …}`) as Block Kit; full Block Kit as given."""
    return [_block(block) for block in short_or_full]


def _block(block: dict[str, Any]) -> dict[str, Any]:
    kind = block.get("type")
    if not _is_short(block):
        return block
    if kind == "divider":
        return {"type": "divider"}
    if kind == "header":
        text = truncate(block.get("text", ""), HEADER_MAX)
        return {"type": "header", "text": {"type": "plain_text", "text": text}}
    if kind == "context":
        return {"type": "context", "elements": [_mrkdwn(block.get("text", ""), SECTION_MAX)]}
    built: dict[str, Any] = {"type": "section"}
    if block.get("text"):
        built["text"] = _mrkdwn(block["text"], SECTION_MAX)
    if block.get("fields"):
        built["fields"] = [_mrkdwn(field, FIELD_MAX) for field in block["fields"][:10]]
    return built


def _is_short(block: dict[str, Any]) -> bool:
    return not (set(block) - {"type", "text", "fields"}) and not isinstance(block.get("text"), dict)


def _mrkdwn(text: str, limit: int) -> dict[str, str]:
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def summary_message(summary: dict[str, Any]) -> dict[str, Any]:
    """`text` and `blocks` of the post-incident summary (every value escaped)."""
    facts = [f"*{escape(label)}*\n{escape(value)}" for label, value in summary["facts"]]
    built: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(f"Summary: {summary['title']}", HEADER_MAX),
            },
        }
    ]
    for start in range(0, len(facts), 10):
        built.append(
            {
                "type": "section",
                "fields": [_mrkdwn(f, FIELD_MAX) for f in facts[start : start + 10]],
            }
        )
    if summary.get("resolution_note"):
        note = f"*Resolution*\n{escape(summary['resolution_note'])}"
        built.append({"type": "section", "text": _mrkdwn(note, SECTION_MAX)})
    if summary.get("notes"):
        notes = "*Notes*\n" + "\n".join(f"• {escape(note)}" for note in summary["notes"])
        built.append({"type": "section", "text": _mrkdwn(notes, SECTION_MAX)})
    return {"text": truncate(f"Summary: {escape(summary['title'])}", 3000), "blocks": built[:50]}


def preview(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What a message step would send, for the preview (no Slack call)."""
    if operation == "post_summary":
        return summary_message(params["summary"])
    message: dict[str, Any] = {}
    if params.get("message"):
        message["text"] = params["message"]
    if params.get("blocks"):
        message["blocks"] = blocks(params["blocks"])
    return message
