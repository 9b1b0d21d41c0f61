"""Templates over an incident: the docs' `[incident.id]` and Jinja's `{{ incident.id }}`.

Rendered in Jinja2's sandbox with strict undefined. Every variable is checked
when a runbook is saved, so a typo is a 422 then, never a failed step later.
Values that came from outside (titles, descriptions, labels) are escaped for
mrkdwn, so an alert can never ping `@channel`; the author's own literal text
keeps its `<!here>` or `<@U…>` on purpose.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

VARIABLES = (
    "id",
    "title",
    "severity",
    "urgency",
    "status",
    "service",
    "description",
    "channel",
    "url",
    "details",
)
_BRACKET = re.compile(r"\[incident\.([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_\-]+)*)\]")
_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


class TemplateProblem(ValueError):
    """A template that cannot be used: bad syntax or an unknown variable."""


def to_jinja(text: str) -> str:
    """The bracket form as Jinja; a label (`[incident.details.alert-name]`) as a subscript."""

    def replace(match: re.Match[str]) -> str:
        name, rest = match.group(1), match.group(2)
        if name == "details" and rest:
            return "{{ incident.details[" + repr(rest[1:]) + "] }}"
        return "{{ incident." + name + rest + " }}"

    return _BRACKET.sub(replace, text)


@lru_cache(maxsize=2048)
def _compiled(text: str) -> Any:
    return _env.from_string(to_jinja(text))


def check(text: str) -> None:
    """Raise TemplateProblem naming the first unknown variable or the syntax error."""
    try:
        tree = _env.parse(to_jinja(text))
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc}") from None
    known_names = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if not (isinstance(node.node, nodes.Name) and node.node.name == "incident"):
            continue
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif isinstance(node.arg, nodes.Const):
            attr = str(node.arg.value)
        else:
            raise TemplateProblem("incident variables must be named, not computed")
        if attr not in VARIABLES:
            raise TemplateProblem(f"unknown variable 'incident.{attr}'")
        known_names.add(id(node.node))
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and id(name) not in known_names:
            shown = "incident" if name.name == "incident" else name.name
            raise TemplateProblem(f"unknown variable {shown!r}")
    try:
        _compiled(text)
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc}") from None


def variables_in(value: Any) -> list[str]:
    """Every string inside `value` (a string, or blocks nested in lists and dicts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in variables_in(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in variables_in(item)]
    return []


def render(text: str, context: dict[str, Any]) -> str:
    try:
        return _compiled(text).render(context)
    except TemplateError as exc:
        raise TemplateProblem(f"template error: {exc}") from None


def render_all(value: Any, context: dict[str, Any]) -> Any:
    """`render` on every string inside `value`, keeping its shape."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, list):
        return [render_all(item, context) for item in value]
    if isinstance(value, dict):
        return {key: render_all(item, context) for key, item in value.items()}
    return value


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Labels(dict[str, str]):
    """An incident's labels: a label this incident lacks renders empty, not an error."""

    def __missing__(self, key: str) -> str:
        return ""
