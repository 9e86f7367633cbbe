"""Errors the memories services raise; each message is for the person."""


class MemoriesError(Exception):
    """A write the memories plugin refuses (bad input); the message says why."""


class MemoriesPermissionError(MemoriesError):
    """The person may not make this change (a 403 in the views)."""
