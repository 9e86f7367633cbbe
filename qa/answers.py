"""The one answer service every surface calls (web chat, REST, bots, the assistant server).

An answer is extractive: the best passages the asker may read, their answering sentences
highlighted, each passage with a citation (page or thread, owner, date, verified or stale,
link). The confidence is the cosine similarity of the best passages to the question under
the active model; below ``settings.QA_ABSTAIN_BELOW`` the service abstains, says so, and
files a knowledge request routed to the people who may know (the owners of the nearest
pages, the successors named on the nearest threads, else the space's admins). An answered
request becomes an answer entry that later questions match first.

With ``QA_GENERATION_URL`` set, the configured model may write the answer from the shown
passages that may be sent (``qa.generation``); it is shown only when every sentence cites
the passages it used, and the extractive answer stands otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from qa import generation
from qa.chunking import split_sentences
from qa.generation import GeneratedSentence
from qa.keywords import terms_of_texts
from qa.models import (
    AnswerEntry,
    Chat,
    Chunk,
    CorpusStats,
    KnowledgeRequest,
    Question,
    RequestRecipient,
    Term,
)
from qa.retrieval import Audience, Candidate, search_chunks
from wiki.models import Page, Role, Space, SpaceRole
from wiki.selectors.access import get_space_role, readable_spaces_q
from wiki.selectors.ownership import with_staleness
from wiki.selectors.rendering import page_url

MAX_QUESTION_CHARS = 2000
# Passages shown with an answer, and how many of one source at most.
PASSAGES = 3
PER_SOURCE = 2
# Retrieved candidates looked at before the passages are chosen.
LOOKED_AT = 20


class QuestionError(ValueError):
    """The question cannot be asked as sent (empty, too long)."""


class AnswerPermissionError(PermissionError):
    """The person may not do this to this question or request."""


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from, as the asker may see it."""

    chunk_id: int
    kind: str
    title: str
    heading: str
    url: str
    owner: str
    date: str | None
    verified: bool
    stale: bool


@dataclass(frozen=True)
class Sentence:
    text: str
    highlighted: bool


@dataclass(frozen=True)
class AnswerPassage:
    chunk_id: int
    text: str
    sentences: list[Sentence]
    score: float
    similarity: float | None
    citation: Citation
    # False: the source was shared for answers but not to be quoted word for word; it is
    # cited and its text is withheld (``text`` and ``sentences`` are empty).
    quoted: bool = True


@dataclass(frozen=True)
class AskedPerson:
    """Someone the question was routed to, and why."""

    user_id: int
    name: str
    reason: str


@dataclass
class Answer:
    """What every surface shows: the answer shape of ``POST /api/ask``."""

    question_id: int
    chat_id: int | None
    question: str
    answer: str
    passages: list[AnswerPassage]
    citations: list[Citation]
    confidence: float
    abstained: bool
    request_id: int | None = None
    routed_to: list[AskedPerson] = field(default_factory=list)
    from_entry: bool = False
    # True: ``answer`` was written by the configured model from the passages (only those
    # that may be sent), each sentence citing the passages it used; ``answer`` then ends
    # each sentence with their numbers ([1] is the first of ``passages``).
    generated: bool = False
    generated_sentences: list[GeneratedSentence] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


# --- Choosing and presenting passages ----------------------------------------------------


def _idf(terms: set[str]) -> dict[str, float]:
    """A term's weight in highlighting: rarer terms count more (BM25's idf)."""
    stats = CorpusStats.objects.filter(singleton=True).first()
    total = max(stats.chunks if stats else 1, 1)
    return {
        text: math.log(1 + (total - df + 0.5) / (df + 0.5))
        for text, df in Term.objects.filter(text__in=terms).values_list(
            "text", "document_frequency"
        )
    }


def _highlight(passages: list[Chunk], question: str) -> list[list[Sentence]]:
    """The sentences of each passage, those that answer the question highlighted.

    A sentence answers in proportion to the weight of the question's terms it holds; the
    best of a passage and any within half its weight are highlighted (one query for all
    sentences, no model call: the request's only embedding is the question's).
    """
    split = [split_sentences(chunk.text) or [chunk.text] for chunk in passages]
    flat = [sentence for sentences in split for sentence in sentences]
    terms = terms_of_texts([question, *flat])
    wanted = set(terms[0])
    weights = _idf(wanted)
    result: list[list[Sentence]] = []
    position = 1
    for sentences in split:
        scores = []
        for _sentence in sentences:
            scores.append(sum(weights.get(term, 0.0) for term in terms[position] if term in wanted))
            position += 1
        best = max(scores, default=0.0)
        result.append(
            [
                Sentence(text, best > 0 and score >= best / 2)
                for text, score in zip(sentences, scores, strict=True)
            ]
        )
    return result


def _freshness(chunk: Chunk, pages: dict[int, Page]) -> int:
    """+1 verified and not stale, -1 stale, 0 otherwise (an entry counts as verified)."""
    if chunk.kind == Chunk.Kind.ENTRY:
        return 1
    page = pages.get(chunk.page_id or 0)
    if page is None:
        return 0
    if page.is_stale:
        return -1
    return 1 if page.verified_at else 0


def _citation(chunk: Chunk, pages: dict[int, Page]) -> Citation:
    page = pages.get(chunk.page_id or 0)
    if page is not None:
        owners = ", ".join(
            sorted(owner.get_full_name() or owner.get_username() for owner in page.owners.all())
        )
        url = page_url(page) + (f"#{chunk.anchor}" if chunk.anchor else "")
        return Citation(
            chunk_id=chunk.pk,
            kind=chunk.kind,
            title=page.title,
            heading=chunk.heading,
            url=url,
            owner=owners,
            date=page.updated_at.date().isoformat() if page.updated_at else None,
            verified=page.verified_at is not None and not page.is_stale,
            stale=bool(page.is_stale),
        )
    updated = chunk.source_updated_at
    return Citation(
        chunk_id=chunk.pk,
        kind=chunk.kind,
        title=chunk.title,
        heading=chunk.heading,
        url=chunk.url,
        owner=chunk.owner_label,
        date=updated.date().isoformat() if updated else None,
        verified=chunk.kind == Chunk.Kind.ENTRY,
        stale=False,
    )


def _load(candidates: Sequence[Candidate]) -> tuple[dict[int, Chunk], dict[int, Page]]:
    ids = [candidate.chunk_id for candidate in candidates]
    chunks = {chunk.pk: chunk for chunk in Chunk.objects.filter(pk__in=ids)}
    page_ids = {chunk.page_id for chunk in chunks.values() if chunk.page_id}
    pages = {
        page.pk: page
        for page in with_staleness(Page.objects.filter(pk__in=page_ids))
        .select_related("space")
        .prefetch_related("owners")
    }
    return chunks, pages


def _rank(
    candidates: Sequence[Candidate], chunks: dict[int, Chunk], pages: dict[int, Page]
) -> list[tuple[Candidate, Chunk, float]]:
    """Candidates re-weighed by freshness within ``QA_FRESHNESS_WEIGHT`` (a stated bound:
    a verified page gains at most that fraction of its score, a stale one loses it), and an
    answer entry that matches closely enough placed first."""
    weight = float(settings.QA_FRESHNESS_WEIGHT)
    ranked = []
    for candidate in candidates:
        chunk = chunks.get(candidate.chunk_id)
        if chunk is None:
            continue
        score = candidate.score * (1 + weight * _freshness(chunk, pages))
        similarity = 1 - candidate.dense_distance if candidate.dense_distance is not None else 0
        if chunk.kind == Chunk.Kind.ENTRY and similarity >= settings.QA_ENTRY_MATCH:
            score += 1.0
        ranked.append((candidate, chunk, score))
    ranked.sort(key=lambda item: (-item[2], item[1].pk))
    return ranked


def _choose(ranked: list[tuple[Candidate, Chunk, float]]) -> list[tuple[Candidate, Chunk, float]]:
    chosen: list[tuple[Candidate, Chunk, float]] = []
    per_source: dict[str, int] = {}
    for item in ranked:
        source = item[1].source_key
        if per_source.get(source, 0) >= PER_SOURCE:
            continue
        per_source[source] = per_source.get(source, 0) + 1
        chosen.append(item)
        if len(chosen) == PASSAGES:
            break
    return chosen


def _confidence(chosen: list[tuple[Candidate, Chunk, float]]) -> float:
    """The best cosine similarity among the chosen passages (0 without vectors)."""
    similarities = [
        1 - candidate.dense_distance
        for candidate, _chunk, _score in chosen
        if candidate.dense_distance is not None
    ]
    return round(max(similarities, default=0.0), 4)


def _passages(
    chosen: list[tuple[Candidate, Chunk, float]], pages: dict[int, Page], question: str
) -> list[AnswerPassage]:
    """The chosen chunks as passages with citations; quotable ones with their answering
    sentences highlighted, the others cited with their text withheld."""
    quotable = [chunk for _c, chunk, _s in chosen if chunk.may_quote]
    highlighted = dict(
        zip(
            [c.pk for c in quotable],
            _highlight(quotable, question) if quotable else [],
            strict=True,
        )
    )
    passages: list[AnswerPassage] = []
    for candidate, chunk, score in chosen:
        similarity = (
            round(1 - candidate.dense_distance, 4) if candidate.dense_distance is not None else None
        )
        passages.append(
            AnswerPassage(
                chunk_id=chunk.pk,
                text=(chunk.text or chunk.title) if chunk.may_quote else "",
                sentences=highlighted.get(chunk.pk, []),
                quoted=chunk.may_quote,
                score=round(score, 6),
                similarity=similarity,
                citation=_citation(chunk, pages),
            )
        )
    return passages


# --- Routing to a person -------------------------------------------------------------------


def _people_to_ask(
    *, asker: AbstractBaseUser, chunks: list[Chunk], pages: dict[int, Page]
) -> list[tuple[AbstractBaseUser, str]]:
    """Who may know: owners of the nearest pages, the contacts (successors) of the nearest
    threads, else the admins of the nearest space; never the asker, only people who can
    read the space the question came near."""
    found: dict[int, tuple[AbstractBaseUser, str]] = {}
    users = get_user_model().objects
    for chunk in chunks:
        page = pages.get(chunk.page_id or 0)
        if page is not None:
            for owner in page.owners.all():
                found.setdefault(owner.pk, (owner, "page_owner"))
        for contact in users.filter(pk__in=chunk.contact_ids, is_active=True):
            found.setdefault(contact.pk, (contact, "successor"))
    if not found and chunks:
        space_id = chunks[0].space_id
        for role in SpaceRole.objects.filter(
            space_id=space_id, role=Role.ADMIN, user__isnull=False
        ).select_related("user"):
            found.setdefault(role.user.pk, (role.user, "space_admin"))
    found.pop(asker.pk, None)
    near_spaces = {chunk.space_id for chunk in chunks}
    readable = []
    for user, reason in found.values():
        if not user.is_active:
            continue
        if Space.objects.filter(readable_spaces_q(user), pk__in=near_spaces).exists():
            readable.append((user, reason))
    return readable[:5]


def _file_request(
    *, question: Question, asker: AbstractBaseUser, chunks: list[Chunk], pages: dict[int, Page]
) -> KnowledgeRequest:
    existing = KnowledgeRequest.objects.filter(question=question).first()
    if existing is not None:
        return existing
    request = KnowledgeRequest.objects.create(
        question=question, space_id=chunks[0].space_id if chunks else None
    )
    people = _people_to_ask(asker=asker, chunks=chunks, pages=pages)
    RequestRecipient.objects.bulk_create(
        [RequestRecipient(request=request, user=user, reason=reason) for user, reason in people]
    )
    record_audit_event(
        actor=asker,
        action="qa.request_filed",
        target=request,
        details={"recipients": len(people)},
    )
    return request


def _asked(request: KnowledgeRequest) -> list[AskedPerson]:
    rows = RequestRecipient.objects.filter(request=request).select_related("user")
    return [
        AskedPerson(row.user_id, row.user.get_full_name() or row.user.get_username(), row.reason)
        for row in rows
    ]


# --- The service ---------------------------------------------------------------------------


def _clean_question(text: str) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        raise QuestionError(_("Ask a question."))
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            _("A question can be at most %(count)d characters.") % {"count": MAX_QUESTION_CHARS}
        )
    return text


def _check_chat(user: AbstractBaseUser, chat: Chat | None) -> None:
    if chat is not None and chat.user_id != user.pk:
        raise AnswerPermissionError(_("This is someone else's chat."))


def _chat_for(user: AbstractBaseUser, chat: Chat | None, question: str) -> Chat:
    if chat is not None:
        return chat
    return Chat.objects.create(user=user, title=question[:200])


def answer_question(
    *,
    user: AbstractBaseUser,
    question: str,
    chat: Chat | None = None,
    new_chat: bool = False,
    audience: Audience = Audience.ASKER,
    surface: str = Question.Surface.WEB,
) -> Answer:
    """Answer ``question`` for ``user`` from what they may read, or abstain and ask a person.

    The question and the answer as shown are kept in the asker's chat (``chat``; a new one
    with ``new_chat``; none for a one-off question without either). ``audience`` is who
    reads the answer: ``Audience.EVERYONE`` (a public channel, a group chat) answers only
    from what every signed-in user may read. ``surface`` records where it was asked.
    """
    if not user.is_authenticated:
        raise AnswerPermissionError(_("Sign in to ask."))
    if surface not in Question.Surface.values:
        raise ValueError(f"unknown surface {surface!r}")
    audience = Audience(audience)
    text = _clean_question(question)
    candidates = search_chunks(user=user, question=text, audience=audience)[:LOOKED_AT]
    chunks, pages = _load(candidates)
    chosen = _choose(_rank(candidates, chunks, pages))
    confidence = _confidence(chosen)
    abstained = not chosen or confidence < float(settings.QA_ABSTAIN_BELOW)
    _check_chat(user, chat)
    passages = _passages(chosen, pages, text)
    answer_text = ""
    if passages and not abstained:
        best = passages[0]
        lines = [s.text for s in best.sentences if s.highlighted] or [
            s.text for s in best.sentences[:2]
        ]
        answer_text = " ".join(lines[:3])
        if not best.quoted:
            answer_text = _(
                "“%(title)s” holds what you asked about. It was shared for answers but "
                "not to be quoted word for word: open the source to read it."
            ) % {"title": best.citation.title}
    # The configured model, if any, is called before any row is written or locked: the
    # asker waits for it (at most QA_GENERATION_TIMEOUT), the database does not.
    generated: list[GeneratedSentence] = []
    if passages and not abstained:
        generated = generation.generate_answer(question=text, passages=passages) or []
        if generated:
            answer_text = generation.answer_text(generated)
    with transaction.atomic():
        if chat is not None or new_chat:
            chat = _chat_for(user, chat, text)
        record = Question.objects.create(
            chat=chat,
            asked_by=user,
            text=text,
            confidence=confidence,
            abstained=abstained,
            surface=surface,
            audience=audience.value,
        )
        if chat is not None:
            chat.save(update_fields=["updated_at"])
        request = None
        routed: list[AskedPerson] = []
        if abstained:
            answer_text = _(
                "The team memory does not hold a confident answer to this. "
                "The question was passed to people who may know."
            )
            request = _file_request(
                question=record,
                asker=user,
                chunks=[chunk for _c, chunk, _s in chosen],
                pages=pages,
            )
            routed = _asked(request)
            if not routed:
                answer_text = _(
                    "The team memory does not hold a confident answer to this, and no one "
                    "who could answer it was found. Ask your team directly."
                )
        answer = Answer(
            question_id=record.pk,
            chat_id=chat.pk if chat else None,
            question=text,
            answer=answer_text,
            passages=passages,
            citations=[passage.citation for passage in passages],
            confidence=confidence,
            abstained=abstained,
            request_id=request.pk if request else None,
            routed_to=routed,
            from_entry=bool(passages) and passages[0].citation.kind == Chunk.Kind.ENTRY,
            generated=bool(generated),
            generated_sentences=generated,
        )
        record.answer = answer.as_json()
        record.save(update_fields=["answer"])
    return answer


def search_passages(
    *,
    user: AbstractBaseUser,
    query: str,
    limit: int = 10,
    audience: Audience = Audience.ASKER,
) -> list[AnswerPassage]:
    """The passages ``user`` may read that best match ``query``, best first, with the same
    citations, filter and ranking as an answer (for a search surface; nothing is kept)."""
    if not user.is_authenticated:
        raise AnswerPermissionError(_("Sign in to search."))
    text = _clean_question(query)
    limit = max(1, min(int(limit), 20))
    candidates = search_chunks(user=user, question=text, audience=Audience(audience))
    candidates = candidates[: max(LOOKED_AT, limit)]
    chunks, pages = _load(candidates)
    return _passages(_rank(candidates, chunks, pages)[:limit], pages, text)


def ask_a_person(*, question: Question, by: AbstractBaseUser) -> KnowledgeRequest:
    """The asker hands an answered (but not good enough) question to a person."""
    if question.asked_by_id != by.pk:
        raise AnswerPermissionError(_("Only the person who asked can pass it on."))
    chunk_ids = [passage["chunk_id"] for passage in question.answer.get("passages", [])]
    chunks = list(Chunk.objects.filter(pk__in=chunk_ids))
    _unused, pages = _load([Candidate(chunk.pk) for chunk in chunks])
    with transaction.atomic():
        return _file_request(question=question, asker=by, chunks=chunks, pages=pages)


def record_feedback(*, question: Question, by: AbstractBaseUser, helpful: bool) -> Question:
    """Helpful or not: not helpful creates work, never a silent ranking change.

    Each cited page the asker can still read is flagged for review and its owners are
    notified; a question answered from threads alone is passed to a person.
    """
    from wiki.services import flag_page_for_review

    if question.asked_by_id != by.pk:
        raise AnswerPermissionError(_("Only the person who asked can rate the answer."))
    with transaction.atomic():
        question.feedback = Question.Feedback.HELPFUL if helpful else Question.Feedback.NOT_HELPFUL
        question.feedback_at = timezone.now()
        question.save(update_fields=["feedback", "feedback_at"])
        if not helpful:
            chunk_ids = [p["chunk_id"] for p in question.answer.get("passages", [])]
            page_ids = set(
                Chunk.objects.filter(pk__in=chunk_ids, page__isnull=False).values_list(
                    "page_id", flat=True
                )
            )
            flagged = 0
            note = _("An answer citing this page was not helpful for: %(question)s") % {
                "question": question.text[:300]
            }
            for page in Page.objects.filter(
                pk__in=page_ids, deleted_at__isnull=True
            ).select_related("space"):
                if get_space_role(user=by, space=page.space) is None:
                    continue
                flag_page_for_review(page=page, by=by, note=note)
                flagged += 1
            if not flagged:
                ask_a_person(question=question, by=by)
    return question


def answer_request(
    *,
    request: KnowledgeRequest,
    by: AbstractBaseUser,
    answer: str,
    space=None,  # noqa: ANN001 - a wiki Space
) -> AnswerEntry:
    """Someone the request was routed to (or an editor of its space) answers it.

    The answer becomes a verified entry owned by them in ``space`` (default: the request's)
    which later questions match first; the asker finds it in their questions.
    """
    from qa.indexing import index_entry

    answer = str(answer or "").strip()
    if not answer:
        raise QuestionError(_("Write an answer."))
    if len(answer) > 20_000:
        raise QuestionError(_("An answer can be at most 20,000 characters."))
    space = space or request.space
    if space is None:
        raise QuestionError(_("Choose the space whose readers may see the answer."))
    routed = RequestRecipient.objects.filter(request=request, user=by).exists()
    role = get_space_role(user=by, space=space)
    may_write = role in (Role.EDITOR, Role.ADMIN) or (routed and role is not None)
    if not may_write:
        raise AnswerPermissionError(_("You cannot answer into this space."))
    with transaction.atomic():
        locked = KnowledgeRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != KnowledgeRequest.Status.OPEN:
            raise QuestionError(_("This request has already been answered or closed."))
        now = timezone.now()
        entry = AnswerEntry.objects.create(
            question=locked.question.text,
            answer=answer,
            space=space,
            owner=by,
            verified_at=now,
        )
        locked.status = KnowledgeRequest.Status.ANSWERED
        locked.entry = entry
        locked.answered_by = by
        locked.answered_at = now
        locked.save(update_fields=["status", "entry", "answered_by", "answered_at"])
        RequestRecipient.objects.filter(request=locked, user=by).update(read_at=now)
        record_audit_event(actor=by, action="qa.request_answered", target=locked)
        index_entry(entry=entry)
        from qa.tasks import embed_pending_task

        transaction.on_commit(embed_pending_task.delay)
    request.refresh_from_db()
    return entry
