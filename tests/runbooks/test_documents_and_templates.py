"""Runbook documents and templates, without a database: the docs' verbatim form and the
snake_case form normalise alike; templates render in a sandbox and escape outside text."""

from __future__ import annotations

import pytest

from watchkeep.core.models import Incident, IncidentStatus, Service, Team, Urgency
from watchkeep.runbooks import document, templates, triggers
from watchkeep.runbooks.context import channel_name, incident_context, render_step


def incident(**fields: object) -> Incident:
    values = {
        "id": 7,
        "number": 42,
        "title": "Checkout <!channel> & 502s",
        "description": "*bold* <@U123>",
        "urgency": Urgency.HIGH,
        "status": IncidentStatus.TRIGGERED,
        "details": {"labels": {"env": "prod", "alert-name": "Http5xx"}},
        "service": Service(id=3, name="checkout", team=Team(id=5, name="SRE")),
    }
    values.update(fields)
    return Incident(**values)


def test_verbatim_and_snake_case_steps_normalise_alike() -> None:
    verbatim = {
        "name": "r",
        "trigger": {"events": ["triggered"]},
        "steps": [
            {
                "Action Type": "Slack",
                "Operation": "Set Topic",
                "Topic": "t",
                "ContinueOnError": True,
            }
        ],
    }
    snake = {
        "name": "r",
        "trigger": {"events": ["incident.triggered"]},
        "steps": [{"operation": "set_topic", "topic": "t", "continue_on_error": True}],
    }
    assert document.normalise(verbatim) == document.normalise(snake)
    assert document.normalise(snake)["steps"] == [
        {
            "action_type": "slack",
            "operation": "set_topic",
            "topic": "t",
            "channel": "#[incident.channel]",
            "continue_on_error": True,
        }
    ]


def test_once_per_incident_defaults_to_true_only_with_a_channel() -> None:
    def once(*operations: dict) -> bool:
        doc = {"name": "r", "trigger": {"events": ["incident.resolved"]}, "steps": list(operations)}
        return document.normalise(doc)["trigger"]["once_per_incident"]

    assert once({"operation": "create_channel", "name": "x"}) is True
    assert once({"operation": "send_message", "message": "x"}) is False


@pytest.mark.parametrize(
    ("trigger", "field", "message"),
    [
        ({"events": ["incident.exploded"]}, "trigger.events", "unknown event 'incident.exploded'"),
        ({"events": []}, "trigger.events", None),
        (
            {"events": ["manual"], "conditions": {"colour": "red"}},
            "trigger.conditions.colour",
            None,
        ),
        (
            {"events": ["manual"], "conditions": {"title_matches": "("}},
            "trigger.conditions.title_matches",
            None,
        ),
        ({"events": ["manual"], "repeat_every_minutes": 0}, "trigger.repeat_every_minutes", None),
    ],
)
def test_bad_triggers_are_refused(trigger: dict, field: str, message: str | None) -> None:
    doc = {"name": "r", "trigger": trigger, "steps": [{"operation": "archive_channel"}]}
    with pytest.raises(document.DocumentError) as refused:
        document.normalise(doc)
    assert refused.value.field == field
    if message:
        assert refused.value.message == message


def test_templates_check_every_variable() -> None:
    templates.check("[incident.id] {{ incident.title }} [incident.details.alert-name]")
    for bad, said in [
        ("[incident.nope]", "unknown variable 'incident.nope'"),
        ("{{ incident }}", "unknown variable 'incident'"),
        ("{{ config.items() }}", "unknown variable 'config'"),
    ]:
        with pytest.raises(templates.TemplateProblem) as refused:
            templates.check(bad)
        assert str(refused.value) == said
    with pytest.raises(templates.TemplateProblem):
        templates.check("{{ incident.id")


def test_outside_values_are_escaped_and_the_authors_mentions_kept() -> None:
    values = incident_context(None, incident(), "C0CHANNEL1", url="https://wk/incidents/7")
    step = {
        "operation": "send_message",
        "channel": "#[incident.channel]",
        "message": "<!here> [incident.title]: [incident.description] ([incident.details.env])",
        "blocks": [
            {"type": "section", "text": "{{ incident.details['alert-name'] }} [incident.url]"}
        ],
    }
    rendered = render_step(step, values)
    assert rendered["message"] == (
        "<!here> Checkout &lt;!channel&gt; &amp; 502s: *bold* &lt;@U123&gt; (prod)"
    )
    assert rendered["blocks"] == [{"type": "section", "text": "Http5xx https://wk/incidents/7"}]
    assert rendered["channel"] == "#C0CHANNEL1"
    assert render_step({"message": "[incident.details.missing]"}, values)["message"] == ""


def test_channel_names_follow_slacks_rules() -> None:
    named = render_step(
        {"name": "Incident-[incident.id] [incident.title]"},
        incident_context(None, incident(), None),
    )
    assert named["name"] == "incident-42-checkout-channel-502s"
    assert channel_name("x" * 100) == "x" * 80
    assert channel_name("x" * 100, suffix="-2") == "x" * 78 + "-2"
    assert channel_name("!!!") == "incident"


def test_conditions_are_all_required() -> None:
    found = incident()
    assert triggers.matches({}, found)
    assert triggers.matches(
        {
            "urgency": ["HIGH"],
            "service": ["checkout"],
            "team": [5],
            "title_matches": "502",
            "labels": {"env": "prod"},
        },
        found,
    )
    assert not triggers.matches({"urgency": ["LOW"]}, found)
    assert not triggers.matches({"service": [99]}, found)
    assert not triggers.matches({"team": ["payments"]}, found)
    assert not triggers.matches({"title_matches": "^Disk"}, found)
    assert not triggers.matches({"labels": {"env": "staging"}}, found)
