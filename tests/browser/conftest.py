"""Browser tests use the handover fixtures too (a real export imported, a case opened)."""

from tests.handover.conftest import case, slack_import  # noqa: F401


def owned_indexed_page(*, manager, teammate, successor, title: str, body: str):  # noqa: ANN001, ANN201
    """A page in a new private space (the teammate edits and owns it, the successor reads
    it), indexed and embedded for questions."""
    from qa.indexing import embed_pending_chunks, ensure_active_index, index_page
    from wiki import services
    from wiki.models import Role

    space = services.create_space(name="Platform docs", key="platform", by=manager)
    services.set_space_role(space=space, by=manager, role=Role.EDITOR, user=teammate)
    services.set_space_role(space=space, by=manager, role=Role.READER, user=successor)
    page = services.create_page(space=space, author=teammate, title=title, body=body)
    services.set_page_owners(page=page, by=teammate, owners=[teammate])
    index_page(page_id=page.pk)
    ensure_active_index()
    embed_pending_chunks()
    return page
