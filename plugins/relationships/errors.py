"""Errors the relationships services raise."""


class RelationshipsError(Exception):
    """A write the relationships plugin refuses; the message is for the person."""


class NotePermissionError(RelationshipsError):
    """The person may not write, change, veto or delete this note."""


class TopicPermissionError(RelationshipsError):
    """Only the person on the map may take a topic of theirs off it."""
