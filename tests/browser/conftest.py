"""Browser tests use the handover fixtures too (a real export imported, a case opened)."""

from tests.handover.conftest import case, slack_import  # noqa: F401
