"""A plugin that keeps notes about people, for tests/plugins/test_person_data.py: it
exports a person's notes and deletes a case's notes when its consent is withdrawn."""

from plugins.hookspecs import hookimpl
from plugins.types import ExportSection

# user id -> notes; case id -> notes derived from the case's consented threads.
NOTES: dict[int, list[str]] = {}
DERIVED: dict[int, list[str]] = {}
PURGES: list = []


@hookimpl
def tacit_person_export(person):  # noqa: ANN001, ANN201
    notes = NOTES.get(person.user_id, [])
    return [ExportSection(kind="notes", rows=tuple({"text": note} for note in notes))]


@hookimpl
def tacit_consent_purge(request):  # noqa: ANN001, ANN201
    PURGES.append(request)
    removed = DERIVED.pop(request.case_id, []) if request.whole_case else []
    return len(removed)


class BrokenExport:
    @hookimpl
    def tacit_person_export(self, person):  # noqa: ANN001, ANN201
        raise RuntimeError("disk gone")
