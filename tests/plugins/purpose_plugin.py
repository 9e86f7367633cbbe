"""A plugin that asks for its own consent purpose and uses every case and index hook, for
tests/plugins/test_purposes_and_sources.py. It keeps what it receives in module globals."""

from plugins.hookspecs import hookimpl
from plugins.types import ConsentPurpose, DraftSectionProposal, IndexDocument

GLOSSARY = ConsentPurpose(
    key="team-glossary",
    version="1",
    title="Build the team glossary",
    text="Let the glossary plugin collect the team's terms from the chosen conversations.",
    title_zh_hans="建立团队术语表",
    text_zh_hans="允许术语表插件从所选对话中收集团队术语。",
)

# case id -> messages received; the purge requests; cases announced; what to offer.
RECEIVED: dict[int, list] = {}
DELIVERIES: list = []
PURGES: list = []
OPENED: list = []
SECTIONS: list[DraftSectionProposal] = []
DOCUMENTS: list[IndexDocument] = []
FAIL: set[str] = set()


def reset() -> None:
    for kept in (RECEIVED, DELIVERIES, PURGES, OPENED, SECTIONS, DOCUMENTS, FAIL):
        kept.clear()


@hookimpl
def tacit_consent_purposes():  # noqa: ANN201
    return [GLOSSARY]


@hookimpl
def tacit_consented_messages(delivery):  # noqa: ANN001, ANN201
    DELIVERIES.append(delivery)
    if delivery.first:
        RECEIVED[delivery.case.case_id] = []
    RECEIVED[delivery.case.case_id].extend(delivery.messages)


@hookimpl
def tacit_consent_purge(request):  # noqa: ANN001, ANN201
    PURGES.append(request)
    if request.whole_case or GLOSSARY.value in request.purposes:
        return len(RECEIVED.pop(request.case_id, []))
    return 0


@hookimpl
def tacit_case_opened(case):  # noqa: ANN001, ANN201
    OPENED.append(case)


@hookimpl
def tacit_draft_sections(case):  # noqa: ANN001, ANN201
    if "sections" in FAIL:
        raise RuntimeError("sections broke")
    return list(SECTIONS)


@hookimpl
def tacit_index_documents():  # noqa: ANN201
    if "documents" in FAIL:
        raise RuntimeError("documents broke")
    return list(DOCUMENTS)
