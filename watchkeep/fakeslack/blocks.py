"""Block Kit validation, mimicking the limits Slack enforces server-side.

Each problem is reported the way Slack words it, with a JSON pointer to the
offending field, e.g. ``"must be less than 3001 characters
[json-pointer:/blocks/0/text/text]"``. Messages answer ``invalid_blocks``;
views answer ``invalid_arguments`` with the same messages.
"""

from __future__ import annotations

from typing import Any

from .errors import SlackError

MESSAGE_MAX_BLOCKS = 50
MODAL_MAX_BLOCKS = 100

_SELECTS = {
    f"{multi}{kind}_select"
    for multi in ("", "multi_")
    for kind in ("static", "external", "users", "conversations", "channels")
}
_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
}
_INTERACTIVE = _SELECTS | {
    "button",
    "overflow",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
    "workflow_button",
}
_ACCESSORIES = _INTERACTIVE | {"image"}
_BLOCK_TYPES = {
    "section",
    "header",
    "divider",
    "actions",
    "context",
    "image",
    "input",
    "rich_text",
    "markdown",
    "file",
    "video",
    "call",
    "table",
}


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, ptr: str, message: str) -> None:
        self.errors.append(f"{message} [json-pointer:{ptr}]")

    def max_len(self, value: Any, limit: int, ptr: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.err(ptr, f"must be less than {limit + 1} characters")

    def max_items(self, value: Any, limit: int, ptr: str, *, minimum: int = 0) -> list[Any]:
        if not isinstance(value, list):
            self.err(ptr, "must be an array")
            return []
        if len(value) > limit:
            self.err(ptr, f"no more than {limit} items allowed")
        elif len(value) < minimum:
            self.err(ptr, f"must provide at least {minimum} items")
        return value

    def text(self, obj: Any, ptr: str, limit: int, *, plain: bool = False) -> None:
        """A text composition object: plain_text or mrkdwn, 1..limit characters."""
        if not isinstance(obj, dict):
            self.err(ptr, "must be a text object")
            return
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.err(f"{ptr}/type", f"must be one of: {', '.join(allowed)}")
        text = obj.get("text")
        if not isinstance(text, str):
            self.err(ptr, "missing required field: text")
        elif not text:
            self.err(f"{ptr}/text", "must be more than 0 characters")
        else:
            self.max_len(text, limit, f"{ptr}/text")

    def options(self, options: Any, ptr: str, limit: int) -> None:
        for i, opt in enumerate(self.max_items(options, limit, ptr, minimum=1)):
            if not isinstance(opt, dict):
                self.err(f"{ptr}/{i}", "must be an object")
                continue
            self.text(opt.get("text"), f"{ptr}/{i}/text", 75)
            if not isinstance(opt.get("value"), str):
                self.err(f"{ptr}/{i}", "missing required field: value")
            self.max_len(opt.get("value"), 150, f"{ptr}/{i}/value")

    def element(self, el: Any, ptr: str, allowed: set[str]) -> None:
        if not isinstance(el, dict):
            self.err(ptr, "must be an object")
            return
        kind = el.get("type")
        if kind not in allowed:
            self.err(f"{ptr}/type", f"unsupported type: {kind}")
            return
        self.max_len(el.get("action_id"), 255, f"{ptr}/action_id")
        if kind == "button":
            self.text(el.get("text"), f"{ptr}/text", 75, plain=True)
            self.max_len(el.get("value"), 2000, f"{ptr}/value")
            self.max_len(el.get("url"), 3000, f"{ptr}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.err(f"{ptr}/style", "must be one of: primary, danger")
        elif kind == "image":
            if not el.get("image_url") and not el.get("slack_file"):
                self.err(ptr, "missing required field: image_url")
            if not isinstance(el.get("alt_text"), str):
                self.err(ptr, "missing required field: alt_text")
        elif kind == "overflow":
            self.options(el.get("options"), f"{ptr}/options", 5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), f"{ptr}/options", 10)
        elif kind in ("static_select", "multi_static_select") and "option_groups" not in el:
            self.options(el.get("options"), f"{ptr}/options", 100)
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", 150, plain=True)

    def block(self, block: Any, ptr: str) -> None:
        if not isinstance(block, dict):
            self.err(ptr, "must be an object")
            return
        kind = block.get("type")
        if not isinstance(kind, str):
            self.err(ptr, "missing required field: type")
            return
        if kind not in _BLOCK_TYPES:
            self.err(f"{ptr}/type", f"unsupported type: {kind}")
            return
        self.max_len(block.get("block_id"), 255, f"{ptr}/block_id")
        getattr(self, f"_{kind}", lambda _b, _p: None)(block, ptr)

    def _section(self, b: dict[str, Any], ptr: str) -> None:
        if "text" not in b and "fields" not in b:
            self.err(ptr, "must provide either text or fields")
        if "text" in b:
            self.text(b["text"], f"{ptr}/text", 3000)
        if "fields" in b:
            for i, f in enumerate(self.max_items(b["fields"], 10, f"{ptr}/fields", minimum=1)):
                self.text(f, f"{ptr}/fields/{i}", 2000)
        if "accessory" in b:
            self.element(b["accessory"], f"{ptr}/accessory", _ACCESSORIES)

    def _header(self, b: dict[str, Any], ptr: str) -> None:
        self.text(b.get("text"), f"{ptr}/text", 150, plain=True)

    def _actions(self, b: dict[str, Any], ptr: str) -> None:
        for i, el in enumerate(self.max_items(b.get("elements"), 25, f"{ptr}/elements", minimum=1)):
            self.element(el, f"{ptr}/elements/{i}", _INTERACTIVE)

    def _context(self, b: dict[str, Any], ptr: str) -> None:
        for i, el in enumerate(self.max_items(b.get("elements"), 10, f"{ptr}/elements", minimum=1)):
            if isinstance(el, dict) and el.get("type") == "image":
                self.element(el, f"{ptr}/elements/{i}", {"image"})
            else:
                self.text(el, f"{ptr}/elements/{i}", 3000)

    def _image(self, b: dict[str, Any], ptr: str) -> None:
        self.element({**b, "type": "image"}, ptr, {"image"})
        self.max_len(b.get("alt_text"), 2000, f"{ptr}/alt_text")
        if "title" in b:
            self.text(b["title"], f"{ptr}/title", 2000, plain=True)

    def _input(self, b: dict[str, Any], ptr: str) -> None:
        self.text(b.get("label"), f"{ptr}/label", 2000, plain=True)
        if "hint" in b:
            self.text(b["hint"], f"{ptr}/hint", 2000, plain=True)
        if "element" not in b:
            self.err(ptr, "missing required field: element")
        else:
            self.element(b["element"], f"{ptr}/element", _INTERACTIVE | _INPUTS)

    def _markdown(self, b: dict[str, Any], ptr: str) -> None:
        self.max_len(b.get("text"), 12000, f"{ptr}/text")


def block_errors(
    blocks: Any, *, pointer: str = "/blocks", max_blocks: int = MESSAGE_MAX_BLOCKS
) -> list[str]:
    """Every Block Kit problem in ``blocks`` (a decoded JSON array), Slack-worded."""
    check = _Checker()
    for i, block in enumerate(check.max_items(blocks, max_blocks, pointer)):
        check.block(block, f"{pointer}/{i}")
    return check.errors


def view_errors(view: Any) -> list[str]:
    """Problems with a modal view payload (title, buttons, metadata, blocks)."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    check = _Checker()
    if view.get("type") != "modal":
        check.err("/view/type", "must be one of: modal")
    check.text(view.get("title"), "/view/title", 24, plain=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            check.text(view[key], f"/view/{key}", 24, plain=True)
    check.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    check.max_len(view.get("callback_id"), 255, "/view/callback_id")
    check.max_len(view.get("external_id"), 255, "/view/external_id")
    check.errors += block_errors(
        view.get("blocks", []), pointer="/view/blocks", max_blocks=MODAL_MAX_BLOCKS
    )
    return check.errors


def home_view_errors(view: Any) -> list[str]:
    """Problems with a Home tab view payload: no title or buttons, up to 100 blocks."""
    if not isinstance(view, dict):
        return ["must be an object [json-pointer:/view]"]
    check = _Checker()
    if view.get("type") != "home":
        check.err("/view/type", "must be one of: home")
    check.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    check.max_len(view.get("callback_id"), 255, "/view/callback_id")
    check.max_len(view.get("external_id"), 255, "/view/external_id")
    check.errors += block_errors(
        view.get("blocks", []), pointer="/view/blocks", max_blocks=MODAL_MAX_BLOCKS
    )
    return check.errors


def invalid(error: str, problems: list[str], *, listed: bool = True) -> SlackError:
    """The error Slack answers for ``problems``.

    Messages carry both ``errors`` and ``response_metadata.messages``; views
    only the latter (``listed=False``).
    """
    extra: dict[str, Any] = {"errors": problems} if listed else {}
    extra["response_metadata"] = {"messages": [f"[ERROR] {p}" for p in problems]}
    return SlackError(error, **extra)
