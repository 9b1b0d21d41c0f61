"""Amazon SNS's HTTPS deliveries, and the CloudWatch alarms they carry.

    POST /ingest/cloudwatch/{key}   (an SNS topic's HTTPS subscription endpoint)

Every message SNS posts is signed: the signature (SHA1withRSA for
`SignatureVersion` 1, SHA256withRSA for 2) covers the message's fields in SNS's
order, with the certificate at `SigningCertURL`. That URL must be https on an
SNS host (`sns.<region>.amazonaws.com`); the certificate is fetched once and
kept. A message whose signature does not verify is refused (400) before the
database is touched, and so is a certificate URL anywhere else: a forged
message must never make Watchkeep fetch a URL of its choosing.

A `SubscriptionConfirmation` is answered by visiting its `SubscribeURL` (again
an SNS host only) once the integration key is known to be good; an
`UnsubscribeConfirmation` is only acknowledged. A `Notification` carries a
CloudWatch alarm: `ALARM` triggers, `OK` resolves, `INSUFFICIENT_DATA` changes
nothing, keyed by the alarm's ARN.

The fetching is injectable (`SnsVerifier(fetch=…, visit=…)`) so tests sign
with a locally made certificate and nothing leaves the machine.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx
import pydantic_core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError

log = logging.getLogger(__name__)

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
MAX_CERTIFICATE = 64 * 1024
KEPT_CERTIFICATES = 32
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_SIGNED["UnsubscribeConfirmation"] = _SIGNED["SubscriptionConfirmation"]
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = Field(
        alias="Type"
    )
    message_id: str = Field(alias="MessageId", min_length=1, max_length=200)
    topic_arn: str = Field(alias="TopicArn", min_length=1, max_length=1024)
    message: str = Field(alias="Message", max_length=262_144)
    timestamp: str = Field(alias="Timestamp", max_length=100)
    subject: str | None = Field(default=None, alias="Subject", max_length=100)
    token: str | None = Field(default=None, alias="Token", max_length=2048)
    subscribe_url: str | None = Field(default=None, alias="SubscribeURL", max_length=2048)
    signature_version: Literal["1", "2"] = Field(alias="SignatureVersion")
    signature: str = Field(alias="Signature", min_length=1, max_length=2048)
    signing_cert_url: str = Field(alias="SigningCertURL", min_length=1, max_length=2048)


def _https_get(url: str) -> bytes:
    response = httpx.get(url, timeout=10, follow_redirects=False)
    response.raise_for_status()
    return response.content


class SnsVerifier:
    """Checks SNS signatures with certificates from SNS hosts only, kept once fetched."""

    def __init__(
        self,
        *,
        fetch: Callable[[str], bytes] = _https_get,
        visit: Callable[[str], Any] = _https_get,
    ) -> None:
        self.fetch = fetch
        self.visit = visit
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def verify(self, envelope: Envelope, raw: dict[str, Any]) -> None:
        """Raise BadEventError unless SNS signed this message. Blocks to fetch a new
        certificate: call from a thread."""
        key = self._public_key(envelope.signing_cert_url)
        try:
            signature = base64.b64decode(envelope.signature, validate=True)
        except (binascii.Error, ValueError):
            raise BadEventError([("Signature", "not base64")]) from None
        try:
            key.verify(
                signature,
                string_to_sign(raw).encode(),
                padding.PKCS1v15(),
                _HASHES[envelope.signature_version](),
            )
        except InvalidSignature:
            raise BadEventError([("Signature", "does not verify")]) from None

    def confirm(self, envelope: Envelope) -> None:
        """Visit the SubscribeURL of a verified SubscriptionConfirmation."""
        url = envelope.subscribe_url or ""
        if not is_sns_url(url):
            raise BadEventError([("SubscribeURL", "must be https on an SNS host")])
        self.visit(url)

    def _public_key(self, url: str) -> rsa.RSAPublicKey:
        if not is_sns_url(url) or not urlsplit(url).path.endswith(".pem"):
            raise BadEventError([("SigningCertURL", "must be an https .pem on an SNS host")])
        with self._lock:
            if url in self._keys:
                return self._keys[url]
        try:
            pem = self.fetch(url)
        except Exception as exc:
            log.warning("SNS signing certificate %s not fetched: %s", url, exc)
            raise BadEventError([("SigningCertURL", "the certificate could not be read")]) from None
        key = _rsa_key(pem)
        with self._lock:
            if len(self._keys) >= KEPT_CERTIFICATES:
                self._keys.pop(next(iter(self._keys)))
            self._keys[url] = key
        return key


def is_sns_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.port is None
        and SNS_HOST.match(parts.hostname or "") is not None
        and not parts.username
    )


def _rsa_key(pem: bytes) -> rsa.RSAPublicKey:
    if len(pem) > MAX_CERTIFICATE:
        raise BadEventError([("SigningCertURL", "the certificate is too large")])
    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise BadEventError([("SigningCertURL", "not a PEM certificate")]) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadEventError([("SigningCertURL", "not an RSA certificate")])
    return key


def string_to_sign(raw: dict[str, Any]) -> str:
    """The text SNS signs: each signed field present, as `name\\nvalue\\n`, in order."""
    names = _SIGNED[raw["Type"]]
    return "".join(f"{name}\n{raw[name]}\n" for name in names if raw.get(name) is not None)


def load(body: bytes) -> tuple[Envelope, dict[str, Any]]:
    try:
        raw = pydantic_core.from_json(body)
        envelope = Envelope.model_validate(raw)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise BadEventError.from_validation(exc) from None
        raise BadEventError([("body", f"not valid JSON: {exc}")]) from None
    return envelope, raw


# CloudWatch alarms, as SNS carries them in `Message`.


class _Dimension(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=255)
    value: str = Field(max_length=1024)


class _Trigger(BaseModel):
    model_config = ConfigDict(extra="ignore")
    metric_name: str = Field(default="", alias="MetricName", max_length=255)
    namespace: str = Field(default="", alias="Namespace", max_length=255)
    dimensions: list[_Dimension] = Field(default_factory=list, alias="Dimensions", max_length=30)


class Alarm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    alarm_name: str = Field(alias="AlarmName", min_length=1, max_length=255)
    alarm_description: str | None = Field(default=None, alias="AlarmDescription")
    account: str = Field(default="", alias="AWSAccountId", max_length=20)
    new_state: Literal["ALARM", "OK", "INSUFFICIENT_DATA"] = Field(alias="NewStateValue")
    reason: str = Field(default="", alias="NewStateReason", max_length=65_536)
    changed_at: str = Field(default="", alias="StateChangeTime", max_length=100)
    region: str = Field(default="", alias="Region", max_length=100)
    alarm_arn: str = Field(default="", alias="AlarmArn", max_length=255)
    trigger: _Trigger | None = Field(default=None, alias="Trigger")


def alarm_events(envelope: Envelope) -> list[AlertEvent]:
    """The alert a Notification's CloudWatch alarm reports (none for no data)."""
    try:
        alarm = Alarm.model_validate_json(envelope.message)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc, prefix="Message") from None
    key = alarm.alarm_arn or f"{alarm.account}:{alarm.region}:{alarm.alarm_name}"
    if alarm.new_state == "INSUFFICIENT_DATA":
        return []
    if alarm.new_state == "OK":
        return [AlertEvent(action=AlertAction.RESOLVE, dedup_key=key)]
    labels = {"region": alarm.region, "account": alarm.account}
    if alarm.trigger is not None:
        labels |= {"metric": alarm.trigger.metric_name, "namespace": alarm.trigger.namespace}
        labels |= {d.name: d.value for d in alarm.trigger.dimensions}
    details = {
        "labels": {name: value for name, value in labels.items() if value},
        "alarm_arn": alarm.alarm_arn,
        "state_change_time": alarm.changed_at,
        "subject": envelope.subject,
        "topic_arn": envelope.topic_arn,
        "message_id": envelope.message_id,
        "sent_at": envelope.timestamp,
        "links": _console(alarm),
    }
    summary = alarm.alarm_name
    if alarm.alarm_description:
        summary = f"{alarm.alarm_name}: {alarm.alarm_description}"
    return [
        AlertEvent(
            action=AlertAction.TRIGGER,
            dedup_key=key,
            summary=summary,
            severity=Severity.CRITICAL,
            description=alarm.reason,
            details={name: value for name, value in details.items() if value not in (None, "", [])},
        )
    ]


def _console(alarm: Alarm) -> list[dict[str, str]]:
    # arn:aws:cloudwatch:<region>:<account>:alarm:<name>
    parts = alarm.alarm_arn.split(":")
    if len(parts) < 7 or not re.fullmatch(r"[a-z0-9-]+", parts[3]):
        return []
    href = (
        f"https://console.aws.amazon.com/cloudwatch/home?region={parts[3]}"
        f"#alarmsV2:alarm/{quote(alarm.alarm_name, safe='')}"
    )
    return [{"href": href, "text": "View in CloudWatch"}]
