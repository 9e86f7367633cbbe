"""HTML view the editor polls to show who else is editing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.views.decorators.http import require_POST

from wiki.models import Role
from wiki.selectors.access import require_space_role
from wiki.selectors.presence import list_editors_present
from wiki.services.presence import touch_presence
from wiki.views.common import _page, _render


@login_required
@require_POST
def page_presence(request: HttpRequest, key: str, path: str) -> HttpResponse:
    """Note the user is editing, and list who else is (polled by the editor)."""
    page = _page(request, key, path)
    require_space_role(request.user, page.space, Role.EDITOR)
    touch_presence(page=page, user=request.user)
    others = list_editors_present(page=page, exclude=request.user)
    context = {"page": page, "others_editing": others}
    return _render(request, "wiki/page_presence.html", context, partial="presence")
