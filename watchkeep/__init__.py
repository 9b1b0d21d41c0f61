"""Watchkeep: incident response for SRE teams who live in Slack."""
