"""Amazon SNS, played locally: a signing certificate made here, messages signed as SNS
signs them, and the certificate "fetched" from its SNS URL without leaving the machine."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from watchkeep.ingest.sns import SnsVerifier, string_to_sign

CERT_URL = (
    "https://sns.eu-west-1.amazonaws.com/"
    "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:checkout-alarms"


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


class FakeSns:
    """Signs messages; serves its certificate at CERT_URL; records visited URLs."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = _certificate(self.key)
        self.fetched: list[str] = []
        self.visited: list[str] = []

    def verifier(self) -> SnsVerifier:
        return SnsVerifier(fetch=self._fetch, visit=self.visited.append)

    def _fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        if url != CERT_URL:
            raise OSError(f"nothing at {url}")
        return self.pem

    def sign(self, message: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        # SignatureVersion 1 is SNS's SHA1withRSA.
        digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = self.key.sign(string_to_sign(signed).encode(), padding.PKCS1v15(), digest)
        return {**signed, "Signature": base64.b64encode(signature).decode()}

    def confirmation(self, token: str = "2336412f37fb687f5d51e6e2425dacbba") -> dict[str, Any]:  # noqa: S107
        return self.sign(
            {
                "Type": "SubscriptionConfirmation",
                "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
                "Token": token,
                "TopicArn": TOPIC,
                "Message": f"You have chosen to subscribe to the topic {TOPIC}.\n"
                "To confirm the subscription, visit the SubscribeURL included in this message.",
                "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
                f"&TopicArn={TOPIC}&Token={token}",
                "Timestamp": "2026-03-02T08:40:04.751Z",
            }
        )

    def notification(self, alarm: dict[str, Any], *, message_id: str, version: str = "1") -> dict:
        return self.sign(
            {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": TOPIC,
                "Subject": f'{alarm["NewStateValue"]}: "{alarm["AlarmName"]}" in EU (Ireland)',
                "Message": json.dumps(alarm),
                "Timestamp": "2026-03-02T08:56:00.123Z",
                "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe"
                f"&SubscriptionArn={TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
            },
            version=version,
        )
