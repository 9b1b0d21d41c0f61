"""Assertion helpers shared by the fake Slack's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError


def failure(call: Callable[..., Any], *args: Any, **kwargs: Any) -> SlackApiError:
    """The SlackApiError a slack_sdk call raises (fails the test if it succeeds)."""
    with pytest.raises(SlackApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def error_code(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Just the Slack error name, after checking Slack sent it as HTTP 200."""
    err = failure(call, *args, **kwargs)
    assert err.response.status_code == 200
    return err.response["error"]
