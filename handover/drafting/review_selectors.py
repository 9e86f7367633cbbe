"""Reads of the draft for its review: who sees what, the sections in their parts, the
threads each section used, the citation's context, and the completeness indicator.

The subject sees and edits everything; a successor reads the sections and sentences
that are not dropped, and comments; managers, HR and the opener see the completeness
numbers only (no titles, no text); anyone else gets a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q
from django.http import Http404

from handover.cases.selectors import (
    OVERSEER_ROLES,
    SUBJECT,
    SUCCESSOR,
    case_roles,
    get_case_for_user,
)
from handover.consent.read import (
    ConsentedMessage,
    consented_messages,
    iter_consented_messages,
    live_grants,
)
from handover.drafting.generation import generation_configured
from handover.drafting.interview import PROMPTS, ensure_builtin_questions, prompt_text
from handover.models import (
    DraftCitation,
    DraftComment,
    DraftRun,
    DraftSection,
    DraftSentence,
    HandoverCase,
    InterviewQuestion,
    Purpose,
)

# The parts of a section, in the order the page shows them.
PART_ORDER = [
    DraftSentence.Part.SUMMARY,
    DraftSentence.Part.DECISION,
    DraftSentence.Part.OPEN_ITEM,
    DraftSentence.Part.RESOURCE,
    DraftSentence.Part.PERSON,
    DraftSentence.Part.DUTY,
    DraftSentence.Part.ANSWER,
    DraftSentence.Part.CONTRIBUTED,
]

READER_ROLES = frozenset({SUBJECT, SUCCESSOR})
SOURCE_CONTEXT = 3


@dataclass(frozen=True)
class Completeness:
    """How far the draft is, in numbers only: no titles, no text, no per-person figures."""

    topics_covered: int
    topics_total: int
    decisions: int
    prompts_answered: int
    prompts_total: int
    sections_approved: int
    sections_total: int


@dataclass(frozen=True)
class ThreadUsed:
    """A thread a section's sentences cite, labelled as the read path serves it."""

    thread_id: int
    conversation: str


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    sentences: list[DraftSentence]


@dataclass(frozen=True)
class SectionView:
    """One section as the viewer may see it."""

    section: DraftSection
    parts: list[Part]
    threads: list[ThreadUsed]
    comments: list[DraftComment]


@dataclass(frozen=True)
class Draft:
    """The case's current draft as ``user`` may see it."""

    case: HandoverCase
    roles: frozenset[str]
    run: DraftRun | None
    completeness: Completeness
    sections: list[SectionView] = field(default_factory=list)

    @property
    def may_edit(self) -> bool:
        return SUBJECT in self.roles

    @property
    def may_rewrite(self) -> bool:
        """The subject may have sections rewritten: only where the operator set an endpoint."""
        return SUBJECT in self.roles and generation_configured()

    @property
    def may_read(self) -> bool:
        return bool(self.roles & READER_ROLES)

    @property
    def may_comment(self) -> bool:
        return bool(self.roles & READER_ROLES)


def current_run(*, case: HandoverCase) -> DraftRun | None:
    """The newest succeeded drafting run of ``case`` (its sections are the draft's)."""
    return (
        DraftRun.objects.filter(case=case, status=DraftRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-created_at", "-id")
        .first()
    )


def current_sections_q(*, case: HandoverCase, run: DraftRun | None) -> Q:
    """Sections of the current draft: the run's topic sections, the interview's and those
    plugins proposed."""
    interview = Q(
        case=case,
        run__isnull=True,
        kind__in=[DraftSection.Kind.INTERVIEW, DraftSection.Kind.PLUGIN],
    )
    if run is None:
        return interview
    return interview | Q(case=case, run=run, kind=DraftSection.Kind.TOPIC)


def _roles_or_404(*, case_id: int, user: AbstractBaseUser | AnonymousUser):  # noqa: ANN202
    case = get_case_for_user(case_id=case_id, user=user)
    roles = case_roles(case=case, user=user)
    if not roles & (READER_ROLES | OVERSEER_ROLES):
        raise Http404("No such handover case.")
    return case, roles


def get_completeness(*, case: HandoverCase) -> Completeness:
    """The completeness numbers of the case's current draft."""
    run = current_run(case=case)
    sections = DraftSection.objects.filter(current_sections_q(case=case, run=run))
    topic_sections = sections.filter(kind=DraftSection.Kind.TOPIC)
    live = sections.exclude(status=DraftSection.Status.DROPPED)
    questions = InterviewQuestion.objects.filter(case=case)
    builtin_missing = len(
        set(PROMPTS) - set(questions.exclude(key="").values_list("key", flat=True))
    )
    return Completeness(
        topics_covered=topic_sections.exclude(status=DraftSection.Status.DROPPED).count(),
        topics_total=(run.topics.count() if run is not None else 0) or topic_sections.count(),
        decisions=DraftSentence.objects.filter(section__in=live, part=DraftSentence.Part.DECISION)
        .exclude(status=DraftSentence.Status.DROPPED)
        .count(),
        prompts_answered=questions.exclude(answer="").count(),
        prompts_total=questions.count() + builtin_missing,
        sections_approved=live.filter(status=DraftSection.Status.APPROVED).count(),
        sections_total=live.count(),
    )


def thread_labels(*, case: HandoverCase, thread_ids: set[int]) -> dict[int, str]:
    """Each thread's conversation label as the read path serves it now (consented only)."""
    labels: dict[int, str] = {}
    if not thread_ids:
        return labels
    for message in iter_consented_messages(
        purpose=Purpose.PUBLISH, case=case, thread_ids=thread_ids
    ):
        labels.setdefault(message.thread_id, message.conversation)
    return labels


def _section_views(
    *, case: HandoverCase, sections: list[DraftSection], include_dropped: bool
) -> list[SectionView]:
    thread_ids: set[int] = set()
    for section in sections:
        for sentence in section.sentences.all():
            for citation in sentence.citations.all():
                thread_ids.add(citation.message.thread_id)
    labels = thread_labels(case=case, thread_ids=thread_ids)
    views = []
    for section in sections:
        by_part: dict[str, list[DraftSentence]] = {}
        used: dict[int, ThreadUsed] = {}
        for sentence in section.sentences.all():
            if not include_dropped and sentence.status == DraftSentence.Status.DROPPED:
                continue
            by_part.setdefault(sentence.part, []).append(sentence)
            # The conversations a sentence came from (a decision shows its thread).
            sentence.cited_conversations = sorted(
                {
                    labels[citation.message.thread_id]
                    for citation in sentence.citations.all()
                    if citation.message.thread_id in labels
                }
            )
            for citation in sentence.citations.all():
                thread_id = citation.message.thread_id
                if thread_id in labels and thread_id not in used:
                    used[thread_id] = ThreadUsed(
                        thread_id=thread_id, conversation=labels[thread_id]
                    )
        parts = [
            Part(key=key, label=str(DraftSentence.Part(key).label), sentences=by_part[key])
            for key in PART_ORDER
            if key in by_part
        ]
        views.append(
            SectionView(
                section=section,
                parts=parts,
                threads=list(used.values()),
                comments=list(section.comments.all()),
            )
        )
    return views


def _sections_query(*, case: HandoverCase, run: DraftRun | None):  # noqa: ANN202
    return (
        DraftSection.objects.filter(current_sections_q(case=case, run=run))
        .select_related("approved_by", "question")
        .prefetch_related(
            Prefetch(
                "sentences",
                queryset=DraftSentence.objects.prefetch_related(
                    Prefetch(
                        "citations",
                        queryset=DraftCitation.objects.select_related("message").only(
                            "id", "sentence_id", "message_id", "position", "message__thread_id"
                        ),
                    )
                ),
            ),
            Prefetch("comments", queryset=DraftComment.objects.select_related("author")),
        )
        .order_by("kind", "position", "id")
    )


def get_draft_for_user(
    *, case: HandoverCase, user: AbstractBaseUser | AnonymousUser, section_id: int | None = None
) -> Draft:
    """The case's current draft as ``user``'s roles allow (404 for anyone without one).

    ``section_id`` narrows the sections to one (the htmx partial's).
    """
    roles = case_roles(case=case, user=user)
    if not roles & (READER_ROLES | OVERSEER_ROLES):
        raise Http404("No such handover case.")
    run = current_run(case=case)
    completeness = get_completeness(case=case)
    if not roles & READER_ROLES:
        return Draft(case=case, roles=roles, run=run, completeness=completeness)
    sections = _sections_query(case=case, run=run)
    if SUBJECT not in roles:
        sections = sections.exclude(status=DraftSection.Status.DROPPED)
    if section_id is not None:
        sections = sections.filter(pk=section_id)
    return Draft(
        case=case,
        roles=roles,
        run=run,
        completeness=completeness,
        sections=_section_views(
            case=case, sections=list(sections), include_dropped=SUBJECT in roles
        ),
    )


def get_section_for_user(
    *, section_id: int, user: AbstractBaseUser | AnonymousUser
) -> DraftSection:
    """A section of a current draft the user may read (subject or successor), else 404."""
    section = (
        DraftSection.objects.select_related("case", "topic", "question")
        .filter(pk=section_id)
        .first()
    )
    if section is None:
        raise Http404("No such section.")
    case, roles = _roles_or_404(case_id=section.case_id, user=user)
    run = current_run(case=case)
    in_draft = DraftSection.objects.filter(
        current_sections_q(case=case, run=run), pk=section.pk
    ).exists()
    if not roles & READER_ROLES or not in_draft:
        raise Http404("No such section.")
    if SUBJECT not in roles and section.status == DraftSection.Status.DROPPED:
        raise Http404("No such section.")
    section.case = case
    return section


def get_sentence_for_user(
    *, sentence_id: int, user: AbstractBaseUser | AnonymousUser
) -> DraftSentence:
    """A sentence of a section the user may read, else 404."""
    sentence = DraftSentence.objects.filter(pk=sentence_id).only("id", "section_id").first()
    if sentence is None:
        raise Http404("No such sentence.")
    section = get_section_for_user(section_id=sentence.section_id, user=user)
    sentence = DraftSentence.objects.get(pk=sentence_id)
    if section.case.subject_id != user.pk and sentence.status == DraftSentence.Status.DROPPED:
        raise Http404("No such sentence.")
    sentence.section = section
    return sentence


@dataclass(frozen=True)
class Interview:
    """The interview as ``user`` may see it."""

    case: HandoverCase
    roles: frozenset[str]
    questions: list[tuple[InterviewQuestion, str]]

    @property
    def may_answer(self) -> bool:
        return SUBJECT in self.roles

    @property
    def may_ask(self) -> bool:
        return bool(self.roles & READER_ROLES)


def get_interview_for_user(*, case_id: int, user: AbstractBaseUser | AnonymousUser) -> Interview:
    """The interview's prompts and answers for the subject and successors, else 404."""
    case, roles = _roles_or_404(case_id=case_id, user=user)
    if not roles & READER_ROLES:
        raise Http404("No such page.")
    ensure_builtin_questions(case=case)
    questions = InterviewQuestion.objects.filter(case=case).select_related("asked_by")
    return Interview(
        case=case,
        roles=roles,
        questions=[(question, prompt_text(question)) for question in questions],
    )


def get_question_for_user(
    *, question_id: int, user: AbstractBaseUser | AnonymousUser
) -> InterviewQuestion:
    """An interview question of a case the user reads as subject or successor, else 404."""
    question = InterviewQuestion.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question.")
    case, roles = _roles_or_404(case_id=question.case_id, user=user)
    if not roles & READER_ROLES:
        raise Http404("No such question.")
    question.case = case
    return question


# --- The citation view ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A cited message in its thread's context, or ``withheld`` when it may not be shown."""

    case: HandoverCase
    message_id: int
    withheld: bool
    message: ConsentedMessage | None = None
    before: list[ConsentedMessage] = field(default_factory=list)
    after: list[ConsentedMessage] = field(default_factory=list)


def _may_read_space(*, case: HandoverCase, user: AbstractBaseUser | AnonymousUser) -> bool:
    from wiki.models import Role
    from wiki.selectors.access import has_space_role

    if case.space_id is None or not user.is_authenticated:
        return False
    return has_space_role(user=user, space=case.space, role=Role.READER)


def get_source_for_user(
    *, case_id: int, message_id: int, user: AbstractBaseUser | AnonymousUser
) -> Source:
    """A cited message as the read path serves it for publishing, with its neighbours.

    Shown to the subject and the successors, and to readers of the case's wiki space
    while the subject lets their words be quoted. Anyone else who may know of the case
    (a reader of its space, or a role in it) gets ``withheld``; anyone else a 404.
    """
    case = HandoverCase.objects.select_related("space").filter(pk=case_id).first()
    if case is None:
        raise Http404("No such source.")
    roles = case_roles(case=case, user=user)
    reads_space = _may_read_space(case=case, user=user)
    if not roles and not reads_space:
        raise Http404("No such source.")
    allowed = bool(roles & READER_ROLES) or (
        reads_space and live_grants(case=case, purpose=Purpose.QUOTE).exists()
    )
    withheld = Source(case=case, message_id=message_id, withheld=True)
    if not allowed:
        return withheld
    row = (
        consented_messages(purpose=Purpose.PUBLISH, case=case)
        .filter(message_id=message_id)
        .values("message__thread_id")
        .first()
    )
    if row is None:
        return withheld
    thread = list(
        iter_consented_messages(
            purpose=Purpose.PUBLISH, case=case, thread_ids=[row["message__thread_id"]]
        )
    )
    index = next((i for i, m in enumerate(thread) if m.message_id == message_id), None)
    if index is None:
        return withheld
    return Source(
        case=case,
        message_id=message_id,
        withheld=False,
        message=thread[index],
        before=thread[max(0, index - SOURCE_CONTEXT) : index],
        after=thread[index + 1 : index + 1 + SOURCE_CONTEXT],
    )
