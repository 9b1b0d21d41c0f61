"""CloudWatch alarms through Amazon SNS: the subscription handshake, signed messages
only, ALARM triggers and OK resolves."""

from __future__ import annotations

import pytest
from sns_support import CERT_URL, FakeSns

from ingest_support import add_integration, incidents, receiver, sample
from support import Api


@pytest.fixture
def sns(admin_api: Api) -> FakeSns:
    fake = FakeSns()
    admin_api.client.app.state.sns_verifier = fake.verifier()
    return fake


def post(api: Api, path: str, body: object, status: int = 202) -> dict:
    response = api.client.post(
        path, json=body, headers={"x-amz-sns-message-type": str(body.get("Type"))}
    )
    assert response.status_code == status, response.text
    return response.json()


def alarm(state: str) -> dict:
    return {**sample("cloudwatch_alarm.json"), "NewStateValue": state}


def test_the_subscription_is_confirmed_once_signed_and_keyed(
    admin_api: Api, service_id: int, sns: FakeSns
) -> None:
    integration = add_integration(admin_api, service_id, "cloudwatch", name="AWS")
    path = receiver(integration)
    assert path == f"/ingest/cloudwatch/{integration['key']}"
    confirmation = sns.confirmation()
    assert post(admin_api, path, confirmation, status=200)["message"] == "Subscription confirmed"
    assert sns.visited == [confirmation["SubscribeURL"]]
    assert sns.fetched == [CERT_URL]
    # A wrong key confirms nothing.
    post(admin_api, "/ingest/cloudwatch/" + "0" * 32, confirmation, status=404)
    assert len(sns.visited) == 1


def test_alarm_triggers_repeats_and_ok_resolves(
    admin_api: Api, service_id: int, sns: FakeSns
) -> None:
    path = receiver(add_integration(admin_api, service_id, "cloudwatch", name="AWS"))
    first = sns.notification(alarm("ALARM"), message_id="b9c2d1e0-0001")
    assert post(admin_api, path, first)["results"][0]["outcome"] == "triggered"
    again = sns.notification(alarm("ALARM"), message_id="b9c2d1e0-0002", version="2")
    assert post(admin_api, path, again)["results"][0]["outcome"] == "repeated"
    [incident] = incidents(admin_api)
    assert incident["title"] == "checkout-5xx: Checkout ALB 5xx above 5 a minute"
    assert incident["urgency"] == "HIGH"
    assert incident["dedup_key"] == "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:checkout-5xx"
    assert incident["description"].startswith("Threshold Crossed")
    assert incident["details"]["labels"]["LoadBalancer"] == "app/checkout-alb/50dc6c495c0c9188"
    assert incident["details"]["links"] == [
        {
            "href": "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
            "#alarmsV2:alarm/checkout-5xx",
            "text": "View in CloudWatch",
        }
    ]
    no_data = sns.notification(alarm("INSUFFICIENT_DATA"), message_id="b9c2d1e0-0003")
    assert post(admin_api, path, no_data)["results"] == []
    ok = sns.notification(alarm("OK"), message_id="b9c2d1e0-0004")
    assert post(admin_api, path, ok)["results"][0]["outcome"] == "resolved"
    [incident] = incidents(admin_api)
    assert (incident["status"], incident["alert_count"]) == ("RESOLVED", 2)
    assert sns.fetched == [CERT_URL], "the certificate is fetched once"


def test_unsigned_forged_or_foreign_messages_are_refused_and_fetch_nothing_else(
    admin_api: Api, service_id: int, sns: FakeSns
) -> None:
    path = receiver(add_integration(admin_api, service_id, "cloudwatch"))
    good = sns.notification(alarm("ALARM"), message_id="b9c2d1e0-0001")

    def refused(body: dict) -> list[str]:
        return [e.split(":")[0] for e in post(admin_api, path, body, status=400)["errors"]]

    assert refused({**good, "Message": good["Message"].replace("checkout", "evil")}) == [
        "Signature"
    ]
    assert refused({**good, "Signature": "not base64!"}) == ["Signature"]
    forged_host = "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem"
    assert refused({**good, "SigningCertURL": forged_host}) == ["SigningCertURL"]
    assert refused({**good, "SigningCertURL": "http://127.0.0.1:9/cert.pem"}) == ["SigningCertURL"]
    other = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-other.pem"
    assert refused({**good, "SigningCertURL": other}) == ["SigningCertURL"]
    assert sns.fetched == [CERT_URL, other], "only SNS hosts are ever fetched"
    # Signed by SNS, but its SubscribeURL leads elsewhere: not visited.
    confirmation = sns.confirmation()
    confirmation = sns.sign(
        {
            k: v
            for k, v in {**confirmation, "SubscribeURL": "https://evil.example/"}.items()
            if k not in ("Signature", "SignatureVersion", "SigningCertURL")
        }
    )
    assert refused(confirmation) == ["SubscribeURL"]
    assert sns.visited == []
    assert incidents(admin_api) == []
