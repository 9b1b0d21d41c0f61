"""Reading an alert's links and images from what each receiver keeps."""

from __future__ import annotations

from watchkeep.ingest.context import Image, Link, images, links


def test_events_api_v2_links_client_url_and_images() -> None:
    details = {
        "links": [
            {"href": "https://grafana.example.com/d/abc", "text": "Latency dashboard"},
            {"href": "javascript:alert(1)", "text": "Click me"},
            {"href": "https://wiki.example.com/runbooks/latency"},
        ],
        "client": "Grafana",
        "client_url": "https://grafana.example.com/alerting/list",
        "images": [
            {"src": "https://grafana.example.com/render/1.png", "href": "https://x.example"},
            {"src": "data:image/png;base64,AAAA", "alt": "inline"},
        ],
    }
    assert links(details) == [
        Link("Latency dashboard", "https://grafana.example.com/d/abc"),
        Link("Link", "https://wiki.example.com/runbooks/latency"),
        Link("View in Grafana", "https://grafana.example.com/alerting/list"),
    ]
    assert images(details) == [
        Image("https://grafana.example.com/render/1.png", "Alert image", "https://x.example")
    ]


def test_annotations_come_first_and_a_url_is_one_button() -> None:
    details = {
        "annotations": {
            "runbook_url": "https://wiki.example.com/r",
            "dashboard": "https://grafana.example.com/d/x",
            "summary": "not a link",
        },
        "generator_url": "https://wiki.example.com/r",
        "client_url": "ftp://files.example.com/x",
    }
    assert links(details) == [
        Link("Runbook", "https://wiki.example.com/r"),
        Link("Dashboard", "https://grafana.example.com/d/x"),
    ]
    assert links({"links": "not a list", "annotations": ["nor", "a", "map"]}) == []
