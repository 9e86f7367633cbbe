"""``message_html``: an imported message's text in its platform's formatting, as safe HTML."""

from django import template
from django.utils.safestring import SafeString

from handover.imports.formatting import format_message
from handover.models import Message

register = template.Library()


@register.filter
def message_html(message: Message, platform: str) -> SafeString:
    """``{{ message|message_html:conversation.platform }}``; the platform saves a query."""
    return format_message(platform=platform, text=message.text, raw=message.raw)
