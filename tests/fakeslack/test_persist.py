"""A sandbox's fake Slack survives a restart: what Slack keeps is kept (people,
channels, messages and threads, tokens, the signing secret), what Slack forgets
is not (ephemeral messages), and new ids never collide with kept ones."""

from __future__ import annotations

import stat
from pathlib import Path

from watchkeep.fakeslack import Ephemeral, FakeSlackServer, SlackState, persist, seed_demo


def test_a_kept_world_is_the_world_after_a_restart(tmp_path: Path) -> None:
    state = SlackState(signing_secret="kept-secret")
    ws = seed_demo(state)
    with FakeSlackServer(state) as server:
        client = server.client(ws.token)
        posted = client.chat_postMessage(channel="#incidents", text="first")
        client.chat_postMessage(channel="#incidents", text="in the thread", thread_ts=posted["ts"])
        client.chat_update(channel=posted["channel"], ts=posted["ts"], text="first, edited")
    state.ephemerals.append(Ephemeral(posted["channel"], "U1", "1.000001", "only you"))
    path = tmp_path / "fakeslack.json"
    persist.write(state, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    again = persist.read(path)
    assert again is not None
    assert again.signing_secret == "kept-secret"
    [parent] = again.messages_in("#incidents")
    assert (parent.text, parent.reply_count, len(parent.history)) == ("first, edited", 1, 1)
    assert [m.text for m in again.thread("#incidents", parent.ts)] == [
        "first, edited",
        "in the thread",
    ]
    assert again.ephemerals == []
    with FakeSlackServer(again) as server:
        # The old bot token still works, and a new channel gets an id nobody has.
        client = server.client(ws.token)
        assert client.auth_test()["team_id"] == ws.team_id
        made = client.conversations_create(name="inc-7")["channel"]["id"]
        assert made not in state.channels
        later = client.chat_postMessage(channel="#incidents", text="second")
        assert float(later["ts"]) > float(parent.ts)


def test_no_file_or_an_unreadable_one_means_a_fresh_world(tmp_path: Path) -> None:
    path = tmp_path / "fakeslack.json"
    assert persist.read(path) is None
    path.write_text("{not json")
    assert persist.read(path) is None


def test_the_keeper_writes_when_the_world_changed_and_on_stop(tmp_path: Path) -> None:
    state = SlackState()
    ws = seed_demo(state)
    path = tmp_path / "fakeslack.json"
    keeper = persist.Keeper(state, path, interval=3600)
    keeper.start()
    state.post_as_user("#incidents", ws.bot_user_id, "hello")
    keeper.stop()
    kept = persist.read(path)
    assert kept is not None
    assert [m.text for m in kept.messages_in("#incidents")] == ["hello"]
