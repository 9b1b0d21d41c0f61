"""How the sandbox draws Slack's text and Block Kit: mrkdwn, date tokens as a
reader in their zone sees them, escaping, colour bars and the elements a person
can press."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchkeep.web.sandbox.blockkit import Where, blocks, colour
from watchkeep.web.sandbox.mrkdwn import Reader, ago, mrkdwn

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC).timestamp()
USERS = {"U1": "alice"}
CHANNELS = {"C1": "incidents"}


def reader(tz: str = "UTC") -> Reader:
    return Reader(NOW, tz, USERS.get, CHANNELS.get)


def test_mrkdwn_styles_mentions_links_and_quotes() -> None:
    text = "*Service*\ncheckout _now_ ~old~ `x<y`\n&gt;quoted &amp; kept\n<@U1> in <#C1> <!here>"
    assert str(mrkdwn(text, reader())) == (
        "<strong>Service</strong><br>checkout <em>now</em> <del>old</del> <code>x&lt;y</code>"
        "<blockquote>quoted &amp; kept</blockquote>"
        '<span class="mention">@alice</span> in <span class="mention">#incidents</span> '
        '<span class="mention">@here</span>'
    )
    assert str(mrkdwn("<https://example.com/a?b=1&amp;c=2|the runbook>", reader())) == (
        '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" '
        'target="_blank">the runbook</a>'
    )


def test_untrusted_text_stays_text() -> None:
    shown = str(
        mrkdwn("&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click>", reader())
    )
    assert shown == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;javascript:alert(1)|click&gt;"


@pytest.mark.parametrize(
    ("token", "tz", "shown"),
    [
        ("{date_short_pretty} {time}", "UTC", "Today 2:05 PM"),
        ("{date_short_pretty} at {time}", "Asia/Tokyo", "Yesterday at 11:05 PM"),
        ("{date_num}", "UTC", "2026-03-10"),
        ("{date_long}", "UTC", "Tuesday, March 10th, 2026"),
        ("{ago}", "UTC", "55 minutes ago"),
        ("{nonsense}", "UTC", "{nonsense}"),
    ],
)
def test_date_tokens_read_in_the_readers_zone(token: str, tz: str, shown: str) -> None:
    when = int(datetime(2026, 3, 10, 14, 5, tzinfo=UTC).timestamp())
    drawn = str(mrkdwn(f"<!date^{when}^{token}|2026-03-10 14:05 UTC>", reader(tz)))
    assert drawn == f'<time class="date">{shown}</time>'


def test_a_date_token_slack_cannot_read_shows_its_fallback() -> None:
    assert str(mrkdwn("<!date^soon^{date}|some day>", reader())) == (
        '<time class="date">some day</time>'
    )


def test_ago_reads_like_slack() -> None:
    assert [ago(s) for s in (5, 61, 7200, -7200, 86400 * 3)] == [
        "just now",
        "1 minute ago",
        "2 hours ago",
        "in 2 hours",
        "3 days ago",
    ]


def test_colour_bars_take_slacks_names_and_hex_only() -> None:
    assert [colour(c) for c in ("danger", "#E01E5A", "2eb67d", "red;x", None)] == [
        "#E01E5A",
        "#E01E5A",
        "#2eb67d",
        None,
        None,
    ]


def test_blocks_draw_header_fields_context_and_pressable_elements() -> None:
    where = Where({"kind": "message", "channel": "C1", "ts": "1.000001"}, "csrf")
    drawn = str(
        blocks(
            [
                {"type": "header", "text": {"type": "plain_text", "text": "#1 <b>Down</b>"}},
                {
                    "type": "section",
                    "fields": [{"type": "mrkdwn", "text": "*Urgency*\nHigh"}],
                },
                {"type": "divider"},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "ack",
                            "text": {"type": "plain_text", "text": "Acknowledge"},
                            "style": "primary",
                        },
                        {
                            "type": "overflow",
                            "action_id": "more",
                            "options": [
                                {"text": {"type": "plain_text", "text": "Mute"}, "value": "m"}
                            ],
                        },
                    ],
                },
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "Incident #1"}]},
            ],
            reader(),
            where,
        )
    )
    assert '<div class="bk-header">#1 &lt;b&gt;Down&lt;/b&gt;</div>' in drawn
    assert '<div class="bk-fields"><div><strong>Urgency</strong><br>High</div></div>' in drawn
    assert '<hr class="bk-divider">' in drawn
    assert '<input type="hidden" name="target" value="ack">' in drawn
    assert '<button class="bk-btn primary" type="submit">Acknowledge</button>' in drawn
    assert 'name="option" value="m">Mute</button>' in drawn
    assert '<div class="bk-context"><span>Incident #1</span></div>' in drawn


def test_elements_in_a_modal_are_shown_but_not_pressable() -> None:
    button = {"type": "button", "action_id": "x", "text": {"type": "plain_text", "text": "Go"}}
    drawn = str(blocks([{"type": "actions", "elements": [button]}], reader(), None))
    assert "disabled" in drawn
    assert 'name="target"' in drawn
    assert "csrf_token" not in drawn
