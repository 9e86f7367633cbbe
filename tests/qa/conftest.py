"""The Q&A tests' spaces (the wiki tests' own: a private space with a role per persona, a
public one) and a runbook page indexed and embedded in the private one."""

import pytest

from qa.indexing import embed_pending_chunks, ensure_active_index, index_page
from tests.wiki.conftest import public_space, space  # noqa: F401
from wiki import services
from wiki.models import Page


@pytest.fixture
def runbook(space, teammate):  # noqa: ANN001, ANN201, F811
    page = services.create_page(
        space=space,
        author=teammate,
        title="Payment service runbook",
        body=(
            "# Restarting\n\nWhen the payment service is down, restart it with "
            "`make restart-payments` on the ops host. Check the queue depth afterwards.\n\n"
            "# Owners\n\nThe platform team looks after it."
        ),
    )
    services.set_page_owners(page=page, by=teammate, owners=[teammate])
    index_page(page_id=page.pk)
    ensure_active_index()
    embed_pending_chunks()
    return Page.objects.get(pk=page.pk)


@pytest.fixture
def handbook_page(public_space, manager):  # noqa: ANN001, ANN201, F811
    """A page every signed-in user may read (a public space) that also answers the
    runbook's question."""
    page = services.create_page(
        space=public_space,
        author=manager,
        title="Payment service in the handbook",
        body="# Restarting\n\nTo restart the payment service, ask the on-call engineer.",
    )
    index_page(page_id=page.pk)
    ensure_active_index()
    embed_pending_chunks()
    return Page.objects.get(pk=page.pk)
