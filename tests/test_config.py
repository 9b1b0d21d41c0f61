"""The embedded data folder: private from the start, since its key decrypts the secrets."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from watchkeep.config import Settings


def test_the_data_folder_is_made_for_its_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "srv" / "data")
    settings.resolved_secret_key  # noqa: B018 - makes the folder and the key
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "secret.key").stat().st_mode) == 0o600


def test_an_open_data_folder_holding_the_key_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="watchkeep.config"):
        Settings(data_dir=folder).resolved_secret_key  # noqa: B018
    assert [r.getMessage() for r in caplog.records] == [
        f"the data folder {folder} is open to other users, and with the key in it a copy "
        "decrypts the stored secrets: chmod 700 it, or set WATCHKEEP_SECRET_KEY"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="watchkeep.config"):
        Settings(data_dir=folder, secret_key="kept elsewhere").resolved_secret_key  # noqa: B018
    assert caplog.records == [], "no key in the folder, nothing to warn about"
