"""Sign-in brute force and session revocation: failures are counted per email and per
client address in the database (so every web process shares them), and a session
ends on the server, so a copied cookie dies with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from watchkeep.app import create_app
from watchkeep.core import accounts
from watchkeep.core.models import Role, UserStatus
from watchkeep.runtime import Runtime, build_runtime

from browser_fixtures import screenshot
from live_server import LiveServer
from support import Api, FrozenClock
from web_support import PASSWORD, Pages, text_of

REFUSAL = "Too many failed sign-ins for this email or from this address. Try again in 15 minutes."


def client_from(runtime: Runtime, address: str = "203.0.113.7") -> TestClient:
    return TestClient(
        create_app(runtime, run_worker=False),
        base_url="https://testserver",
        client=(address, 50000),
    )


@pytest.fixture
def second_process(runtime: Runtime, clock: FrozenClock) -> Iterator[Runtime]:
    """Another web process on the same database: its own engine, nothing in memory shared."""
    other = build_runtime(runtime.settings, clock=clock)
    yield other
    other.db.dispose()


def fail(pages: Pages, email: str, times: int) -> None:
    for _ in range(times):
        assert pages.submit("/login", {"email": email, "password": "wrong"}).status_code == 400


def test_ten_failures_for_an_email_refuse_even_the_right_password_until_the_window_passes(
    runtime: Runtime, clock: FrozenClock, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime) as client:
        pages = Pages(client)
        fail(pages, email, 10)
        refused = pages.submit("/login", {"email": email, "password": PASSWORD})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "900"
        assert REFUSAL in text_of(refused)
        assert pages.get("/incidents").url.path == "/login", "not signed in"

        clock.advance(minutes=14, seconds=59)
        later = pages.submit("/login", {"email": email, "password": PASSWORD})
        assert later.status_code == 429
        assert later.headers["Retry-After"] == "1"
        clock.advance(seconds=1)
        assert pages.sign_in(email).url.path == "/incidents"


def test_the_window_slides_over_the_failures(
    runtime: Runtime, clock: FrozenClock, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.VIEWER)
    with client_from(runtime) as client:
        pages = Pages(client)
        fail(pages, email, 4)
        clock.advance(minutes=10)
        fail(pages, email, 6)
        refused = pages.submit("/login", {"email": email, "password": PASSWORD})
        assert refused.headers["Retry-After"] == "300", "until the first four are 15 min old"
        clock.advance(minutes=5)
        fail(pages, email, 4)
        assert pages.submit("/login", {"email": email, "password": "x"}).status_code == 429


def test_an_unknown_email_is_refused_exactly_like_an_existing_one(
    runtime: Runtime, make_user: Callable[..., str]
) -> None:
    known = make_user(Role.RESPONDER, "Rita Responder")
    answers = []
    for email in (known, "nobody@example.com"):
        with client_from(runtime) as client:
            pages = Pages(client)
            fail(pages, email, 10)
            answers.append(pages.submit("/login", {"email": email, "password": "guess"}))
    assert [a.status_code for a in answers] == [429, 429]
    assert answers[0].headers["Retry-After"] == answers[1].headers["Retry-After"] == "900"
    pages_text = [
        text_of(a).replace(email, "")
        for a, email in zip(answers, (known, "nobody@example.com"), strict=True)
    ]
    assert pages_text[0] == pages_text[1]


def test_thirty_failures_from_one_address_refuse_any_email_from_it(
    runtime: Runtime, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime, "198.51.100.1") as attacker:
        pages = Pages(attacker)
        for n in range(30):
            fail(pages, f"guess{n}@example.com", 1)
        refused = pages.submit("/login", {"email": email, "password": PASSWORD})
        assert refused.status_code == 429
        assert REFUSAL in text_of(refused)
    with client_from(runtime, "198.51.100.2") as elsewhere:
        assert Pages(elsewhere).sign_in(email).url.path == "/incidents"


def test_failures_through_one_web_process_count_in_another(
    runtime: Runtime, second_process: Runtime, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime) as first, client_from(second_process) as second:
        fail(Pages(first), email, 5)
        fail(Pages(second), email, 5)
        for client in (first, second):
            refused = Pages(client).submit("/login", {"email": email, "password": PASSWORD})
            assert refused.status_code == 429


def test_a_successful_sign_in_is_not_counted_as_a_failure(
    runtime: Runtime, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime) as client:
        pages = Pages(client)
        for _ in range(12):
            pages.sign_in(email)
            pages.submit("/logout")
        fail(pages, email, 9)
        assert pages.sign_in(email).url.path == "/incidents"


def test_a_cookie_copied_before_signing_out_no_longer_works_in_any_process(
    runtime: Runtime, second_process: Runtime, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime) as first, client_from(second_process) as second:
        pages = Pages(first)
        pages.sign_in(email)
        copied = first.cookies["watchkeep_session"]
        second.cookies.set("watchkeep_session", copied, domain="testserver.local")
        assert second.get("/incidents").url.path == "/incidents", "the copy works while signed in"
        pages.submit("/logout")
        first.cookies.set("watchkeep_session", copied, domain="testserver.local")
        assert first.get("/incidents").url.path == "/login"
        second.cookies.set("watchkeep_session", copied, domain="testserver.local")
        assert second.get("/incidents").url.path == "/login"


@pytest.mark.parametrize(
    "change", [{"password": "a brand new password"}, {"status": UserStatus.DISABLED.value}]
)
def test_a_password_change_or_disabling_through_another_process_ends_every_session(
    runtime: Runtime,
    second_process: Runtime,
    make_user: Callable[..., str],
    make_token: Callable[..., str],
    change: dict[str, Any],
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    with client_from(runtime) as laptop, client_from(runtime) as phone:
        for device in (laptop, phone):
            Pages(device).sign_in(email)
        with client_from(second_process) as api_client:
            with runtime.db.read() as db:
                user = accounts.find_user_by_email(db, email)
                assert user is not None
            api = Api(api_client, make_token(Role.ADMIN))
            assert api.patch(f"/api/v1/users/{user.id}", change).status_code == 200
        assert laptop.get("/incidents").url.path == "/login"
        assert phone.get("/incidents").url.path == "/login"


def test_the_login_form_shows_the_refusal_in_a_browser(page: Any, live: LiveServer) -> None:
    page.goto("/login")
    for _ in range(10):
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.locator("#login-error").wait_for()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    from playwright.sync_api import expect

    expect(page.locator("#login-error")).to_have_text(REFUSAL)
    assert page.url.endswith("/login")
    screenshot(page, "login-throttled")
