"""Runbook documents as YAML text: read what users write, write what they edit.

YAML as a runbook document needs it: what JSON could say, nothing more.
Timestamps stay text, and anchors/aliases are refused: an alias-laden document
of a few kilobytes can expand to gigabytes when it is stored or rendered.
"""

from __future__ import annotations

from typing import Any

import yaml

from watchkeep.core.errors import InvalidInputError


class _PlainYaml(yaml.SafeLoader):
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("anchors and aliases (*name) are not supported")
        return super().compose_node(parent, index)


def load(text: str) -> Any:
    """The document in `text`; InvalidInputError (field `document`) when it is not YAML."""
    try:
        return yaml.load(text, Loader=_PlainYaml)  # noqa: S506 - a SafeLoader
    except (yaml.YAMLError, RecursionError) as exc:
        raise InvalidInputError("document", f"not valid YAML: {exc}") from None


def dump(document: dict[str, Any]) -> str:
    """A saved (normalised) document as YAML to edit: keys in the order they were saved."""
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
