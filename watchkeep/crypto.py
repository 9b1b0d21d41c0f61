"""Secrets at rest: Fernet (AES-128-CBC + HMAC) under a key derived from WATCHKEEP_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"watchkeep-secrets:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._digest_key = hashlib.sha256(b"watchkeep-digests:" + secret_key.encode()).digest()

    def digest(self, value: str) -> str:
        """A keyed digest: tells whether a secret is the one seen before, and nothing else."""
        return hmac.new(self._digest_key, value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "cannot decrypt a stored secret: was WATCHKEEP_SECRET_KEY changed?"
            ) from exc


def mask(secret: str | None) -> str | None:
    """What the API shows of a secret: that it is set, and its last four characters."""
    if not secret:
        return None
    return "••••" + secret[-4:] if len(secret) > 8 else "••••"
