"""The handover's named errors: refusals a person can cause, each with words fit to show."""

from django.core.exceptions import PermissionDenied


class HandoverError(Exception):
    """A request the handover refuses, with a message to show the person who made it."""


class InvalidTransitionError(HandoverError):
    """The case cannot move from its state to the one asked for."""


class ConsentRequiredError(HandoverError):
    """The step needs a live grant of consent that the subject has not given."""


class ConsentByProxyError(HandoverError, PermissionDenied):
    """Someone other than the subject tried to grant or withdraw the subject's consent."""


class CasePermissionError(HandoverError, PermissionDenied):
    """The user may see the case but not do this to it."""


class InvalidScopeError(HandoverError):
    """A consent form named conversations, threads or purposes that are not the subject's."""
