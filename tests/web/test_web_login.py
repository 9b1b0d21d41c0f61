"""Signing in and out: argon2 passwords, a signed Secure session cookie, CSRF on
every form, and sessions that end when they should."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from watchkeep.core import accounts
from watchkeep.core.models import Role, UserStatus
from watchkeep.runtime import Runtime

from web_support import PASSWORD, Pages, text_of


def test_a_visitor_is_sent_to_sign_in_and_then_on_to_where_they_were_going(
    browser: TestClient, make_user: Callable[..., str]
) -> None:
    email = make_user(Role.RESPONDER, "Rita Responder")
    pages = Pages(browser)
    first = pages.get("/incidents?status=all")
    assert first.url.path == "/login"
    assert "Sign in" in text_of(first)

    wrong = pages.submit(
        "/login", {"email": email, "password": "nope", "next": "/incidents?status=all"}
    )
    assert wrong.status_code == 400
    assert "Wrong email or password" in text_of(wrong)
    assert 'value="rita@example.com"' in wrong.text, "the email is kept"

    landed = pages.submit(
        "/login", {"email": email, "password": PASSWORD, "next": "/incidents?status=all"}
    )
    assert landed.url.path == "/incidents"
    assert landed.url.query == b"status=all"
    assert "Rita Responder" in text_of(landed)


def test_the_session_cookie_is_signed_http_only_lax_and_secure(
    browser: TestClient, make_user: Callable[..., str]
) -> None:
    pages = Pages(browser)
    pages.get("/login")
    response = browser.post(
        "/login",
        data={"csrf_token": pages.csrf(), "email": make_user(Role.VIEWER), "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("watchkeep_session=")
    for flag in ("HttpOnly", "SameSite=lax", "Secure", "Path=/"):
        assert flag.lower() in cookie.lower()

    value = cookie.split(";")[0].split("=", 1)[1]
    browser.cookies.clear()
    browser.cookies.set("watchkeep_session", value, domain="testserver.local")
    assert browser.get("/incidents").url.path == "/incidents"
    browser.cookies.clear()
    browser.cookies.set("watchkeep_session", value[:-4] + "AAAA", domain="testserver.local")
    assert browser.get("/incidents").url.path == "/login", "a tampered cookie is no session"


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(
    pages: Pages, browser: TestClient
) -> None:
    refused = browser.post("/logout", data={})
    assert refused.status_code == 403
    assert "Form expired" in text_of(refused)
    assert browser.get("/incidents").status_code == 200, "still signed in"
    forged = browser.post("/logout", data={"csrf_token": "guess"})
    assert forged.status_code == 403
    by_header = browser.post("/logout", headers={"X-CSRF-Token": pages.csrf()})
    assert by_header.url.path == "/login", "htmx sends the token as a header"


def test_signing_out_ends_the_session(pages: Pages) -> None:
    pages.get("/incidents")
    out = pages.submit("/logout")
    assert out.url.path == "/login"
    assert "You are signed out." in text_of(out)
    assert pages.get("/incidents").url.path == "/login"


def test_login_never_redirects_off_site(browser: TestClient, make_user: Callable[..., str]) -> None:
    pages = Pages(browser)
    pages.get("/login")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        pages.get("/login")
        landed = pages.submit(
            "/login",
            {
                "email": make_user(Role.VIEWER, email=f"v{len(target)}@example.com"),
                "password": PASSWORD,
                "next": target,
            },
        )
        assert landed.url.host == "testserver"
        assert landed.url.path == "/incidents"
        pages.submit("/logout")


def test_a_password_change_or_a_disabled_account_ends_existing_sessions(
    pages_as: Callable[..., Pages], runtime: Runtime
) -> None:
    rita = pages_as(Role.RESPONDER, "Rita Responder")
    vic = pages_as(Role.VIEWER, "Vic Viewer")
    with runtime.db.write() as db:
        user = accounts.find_user_by_email(db, "rita@example.com")
        assert user is not None
        accounts.update_user(db, user, password="a brand new password")
        viewer = accounts.find_user_by_email(db, "vic@example.com")
        assert viewer is not None
        accounts.update_user(db, viewer, status=UserStatus.DISABLED)
    assert rita.get("/incidents").url.path == "/login"
    assert vic.get("/incidents").url.path == "/login"
    refused = vic.submit("/login", {"email": "vic@example.com", "password": PASSWORD})
    assert refused.status_code == 400, "a disabled account cannot sign in"


def test_the_front_door_leads_to_the_incidents(pages: Pages, browser: TestClient) -> None:
    assert pages.get("/").url.path == "/incidents"
    assert browser.get("/healthz").json() == {"status": "ok"}
