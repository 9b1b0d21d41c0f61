"""The `watchkeep` command: serve, worker, migrate, and bootstrap helpers."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from watchkeep import logs
from watchkeep.config import Settings
from watchkeep.core import accounts, tokens
from watchkeep.db import migrate
from watchkeep.runtime import Runtime, build_runtime

log = logging.getLogger("watchkeep")


OUT_OF_DATE = (
    "The database schema is not up to date: run `watchkeep migrate` once, "
    "then start the servers and workers."
)


def _runtime(args: argparse.Namespace, **overrides: object) -> Runtime:
    """The runtime with its database ready: the embedded one upgrades itself, and the
    bootstrap commands make the schema of an empty database; any other database must
    be up to date already (`watchkeep migrate`)."""
    runtime = build_runtime(Settings(**overrides))  # type: ignore[arg-type]
    bootstrap = getattr(args, "bootstrap", False)
    if runtime.settings.embedded or (bootstrap and migrate.is_empty(runtime.db)):
        migrate.upgrade(runtime.db)
    elif not migrate.is_up_to_date(runtime.db):
        sys.exit(OUT_OF_DATE)
    runtime.slack.apply_environment(runtime.db, runtime.clock.now())
    return runtime


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from watchkeep import demo
    from watchkeep.app import create_app

    fake_slack = sandbox = None
    configured = Settings()
    port = args.port or configured.port
    host = args.host or configured.host
    overrides: dict[str, object] = {}
    if not os.environ.get("WATCHKEEP_BASE_URL"):
        # Links and the banner name the address this server really listens on.
        overrides["base_url"] = f"http://{demo.browsable(host)}:{port}"
    if args.demo or configured.sandbox:
        folder = demo.data_dir(demo=args.demo)
        fake_slack = demo.start_fake_slack(folder, port=args.slack_port or 0)
        overrides |= demo.settings_overrides(fake_slack.server, folder)
    try:
        runtime = _runtime(args, **overrides)
        settings = runtime.settings
        if fake_slack is not None:
            key = None
            if args.demo:
                seeded = demo.seed(runtime, fake_slack.server, socket_mode=args.socket_mode)
                key = seeded.sample_alert_key
                print(demo.banner(seeded, runtime, fake_slack), flush=True)
            else:
                demo.connect(runtime, fake_slack.server, socket_mode=args.socket_mode)
                print(demo.sandbox_banner(runtime), flush=True)
            sandbox = demo.sandbox(
                fake_slack.server,
                host,
                port,
                socket_mode=args.socket_mode,
                sample_alert_key=key,
            )
        with runtime.db.read() as session:
            _, users = accounts.list_users(session, limit=1, offset=0)
        if not users:
            print(
                "No users yet. Create the first admin with:\n"
                "  watchkeep create-admin --email you@example.com --password '…' --name 'You'\n"
                f"then sign in at {settings.base_url} (or try `watchkeep serve --demo`).",
                flush=True,
            )
        app = create_app(
            runtime, run_worker=settings.run_worker and not args.no_worker, sandbox=sandbox
        )
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=True,
            # Each request is logged once, with its id, by `watchkeep.request_log`; in JSON
            # mode uvicorn's own lines go through the same handler (no config of its own).
            access_log=False,
            log_config=None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        )
    finally:
        if fake_slack is not None:
            fake_slack.stop()


def cmd_worker(args: argparse.Namespace) -> None:
    runtime = _runtime(args)
    worker = runtime.worker()
    settings = runtime.settings
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        # No token here: bind it to a private address (the default is loopback only).
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
        log.info(
            "worker metrics on http://%s:%s/metrics",
            settings.worker_metrics_host,
            settings.worker_metrics_port,
        )

    def stop(*_: object) -> None:
        log.info("stopping worker")
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker.run_forever()


def cmd_migrate(_: argparse.Namespace) -> None:
    runtime = build_runtime(Settings())
    migrate.upgrade(runtime.db)
    print(f"database at revision {', '.join(sorted(migrate.current_revisions(runtime.db)))}")


def cmd_create_admin(args: argparse.Namespace) -> None:
    if len(args.password) < 8:
        sys.exit("--password must be at least 8 characters")
    runtime = _runtime(args)
    with runtime.db.write() as session:
        user, created = accounts.ensure_admin(
            session,
            email=args.email,
            name=args.name,
            password=args.password,
            now=runtime.clock.now(),
        )
        print(f"admin {user.email} {'created' if created else 'updated'}")


def cmd_create_token(args: argparse.Namespace) -> None:
    runtime = _runtime(args)
    with runtime.db.write() as session:
        user = accounts.find_user_by_email(session, args.email)
        if user is None or not user.is_active:
            sys.exit(f"no active user with email {args.email}")
        _, token = tokens.create_token(session, user, name=args.name, now=runtime.clock.now())
    print(f"API token for {user.email} ({user.role.value}); it is shown only once:")
    print(token)


def _log_format() -> logs.LogFormat:
    """WATCHKEEP_LOG_FORMAT, read before anything else so every line uses it."""
    try:
        return Settings().log_format
    except ValueError as exc:
        sys.exit(f"bad setting: {exc}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchkeep", description="Incident response for SRE teams who live in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the web server (and a worker)")
    serve.add_argument("--host", help="address to listen on (WATCHKEEP_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (WATCHKEEP_PORT)")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run the outbox worker in this process"
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed a demo organisation (in ./data-demo) and talk to a built-in fake Slack",
    )
    serve.add_argument(
        "--socket-mode",
        action="store_true",
        help="with --demo: receive the fake Slack's requests over Socket Mode",
    )
    serve.add_argument(
        "--slack-port",
        type=int,
        help="with --demo or WATCHKEEP_SANDBOX: the fake Slack's port (default: any free one)",
    )
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run an outbox worker only")
    worker.set_defaults(handler=cmd_worker)

    migrate_cmd = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_cmd.set_defaults(handler=cmd_migrate)

    admin = commands.add_parser("create-admin", help="create or update an admin (idempotent)")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name", required=True)
    admin.set_defaults(handler=cmd_create_admin, bootstrap=True)

    token = commands.add_parser("create-token", help="mint an API token for a user")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli", help="a label for the token")
    token.set_defaults(handler=cmd_create_token, bootstrap=True)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logs.configure(_log_format())
    args = build_parser().parse_args(argv)
    args.handler(args)
