"""Integration keys: made at random, stored as a digest, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

KEY_ID_LENGTH = 12
_KEY = re.compile(r"^[0-9a-f]{32}$")


def new_key() -> str:
    """128 random bits as 32 hex characters: the shape of a PagerDuty routing key."""
    return secrets.token_hex(16)


def key_id(key: str) -> str:
    """The part of a key that finds its row (48 bits; the other 80 stay secret)."""
    return key[:KEY_ID_LENGTH]


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def well_formed(key: str) -> bool:
    """Refuses what cannot be a key before any database work."""
    return bool(_KEY.match(key))


def matches(key: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(key), stored_digest)
