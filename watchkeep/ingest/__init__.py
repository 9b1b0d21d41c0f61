"""Alert ingestion: how monitoring tools turn into incidents.

This area owns a service's integrations (their keys, rate limits and formats),
the receivers monitoring tools post to (PagerDuty-compatible Events API v2 and
Change Events, Prometheus Alertmanager webhook v4, Grafana, Datadog, Sentry,
CloudWatch through SNS, an Opsgenie-compatible Alert API, a generic JSON
webhook), the reading of an alert's context for the places that show it
(`context`), and the one short transaction per request that authenticates the
key, counts it against the integration's rate limit and applies each alert
through `watchkeep.core.alerts`, which owns dedup: one open incident per
(service, dedup key), repeats counted.
"""
