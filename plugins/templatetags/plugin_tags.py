"""What plugins add to pages: ``{% plugin_nav_entries as links %}`` in the navigation and
``{% plugin_panels "page" page.pk page.title url %}`` where a page shows its panels.

Both ask ``plugins.manager``, which isolates each plugin (a failing or slow one is left
out) and sanitises what it returns; nothing is asked for anyone not signed in.
"""

from django import template
from django.utils.translation import get_language

from plugins.manager import plugin_navigation, plugin_panels, viewer_for
from plugins.types import PanelTarget

register = template.Library()


@register.simple_tag(takes_context=True)
def plugin_nav_entries(context: template.Context) -> list:
    request = context.get("request")
    viewer = viewer_for(getattr(request, "user", None), language=get_language() or "en")
    return plugin_navigation(viewer) if viewer else []


@register.inclusion_tag("plugins/panels.html", takes_context=True)
def plugin_panels_for(
    context: template.Context,
    kind: str,
    target_id: int | str,
    title: str,
    url: str,
    space_key: str = "",
) -> dict:
    request = context.get("request")
    viewer = viewer_for(getattr(request, "user", None), language=get_language() or "en")
    if viewer is None:
        return {"panels": []}
    target = PanelTarget(kind=kind, id=target_id, title=str(title), url=url, space_key=space_key)
    return {"panels": plugin_panels(viewer, target)}
