"""Celery interfaces for the wiki: each takes an id, loads nothing itself, calls a service."""

from celery import shared_task

from wiki.services.indexing import rerender_pages, rerender_pages_linking_to
from wiki.services.notifications import notify_comment, notify_watchers


@shared_task(ignore_result=True, acks_late=True)
def notify_watchers_task(revision_id: int) -> None:
    """Notify watchers and @mentioned readers of a new revision; safe to deliver twice."""
    notify_watchers(revision_id=revision_id)


@shared_task(ignore_result=True, acks_late=True)
def notify_comment_task(comment_id: int) -> None:
    """Notify watchers and @mentioned readers of a new comment; safe to deliver twice."""
    notify_comment(comment_id=comment_id)


@shared_task(ignore_result=True, acks_late=True)
def rerender_pages_linking_to_task(space_id: int, titles: list[str]) -> None:
    """Turn links to a created, renamed, trashed or restored page blue or red; idempotent."""
    rerender_pages_linking_to(space_id=space_id, titles=titles)


@shared_task(ignore_result=True, acks_late=True)
def rerender_pages_task(page_ids: list[int]) -> None:
    """Point the links of pages into a moved subtree at its new addresses; idempotent."""
    rerender_pages(page_ids=page_ids)
