"""Rhythms: the team's working rhythm from consented message timestamps and wiki edits.

Only team-level aggregates over at least ``settings.RHYTHMS_MIN_GROUP`` (never fewer than
5) distinct consenting people are shown; everything is computed from the consent ledger's
read path on each request, so a withdrawal takes effect on the next one.
"""
