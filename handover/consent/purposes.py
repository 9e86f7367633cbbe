"""Every purpose a subject may grant: the ledger's own and those plugins declare.

The ledger's purposes (``handover.models.Purpose``) have their words in
``handover.consent.terms``. A plugin's purpose (``plugins.types.ConsentPurpose``) is
stored on a grant as ``plugin:<key>`` with the terms version
``<CURRENT_VERSION>+<the plugin's version>``, so a grant stops being live when either
the ledger's terms or the plugin's words change, and when the plugin is uninstalled.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from handover.consent import terms
from handover.models import Purpose
from plugins.manager import plugin_consent_purposes
from plugins.types import ConsentPurpose

PLUGIN_PREFIX = "plugin:"


@dataclass(frozen=True)
class PurposeChoice:
    """One tick box of the consent form: its value, its title, its words."""

    value: str
    title: str
    text: str
    # The plugin that asks for it; blank for the ledger's own purposes.
    plugin: str = ""


def _plugin_purposes() -> dict[str, tuple[str, ConsentPurpose]]:
    return {purpose.value: (name, purpose) for name, purpose in plugin_consent_purposes()}


def is_plugin_purpose(value: str) -> bool:
    return value.startswith(PLUGIN_PREFIX)


def grantable_values() -> list[str]:
    """Every purpose value that may be granted now, the ledger's first."""
    return [*Purpose.values, *_plugin_purposes()]


def plugin_purpose_values() -> list[str]:
    """The values of the purposes installed plugins declare."""
    return list(_plugin_purposes())


def choices(language: str | None) -> list[PurposeChoice]:
    """The consent form's purposes in ``language``: the ledger's, then each plugin's."""
    chinese = terms.terms_language(language) == "zh-hans"
    found = [
        PurposeChoice(value=value, title=str(label), text=terms.purpose_text(value, language))
        for value, label in Purpose.choices
    ]
    for value, (name, purpose) in _plugin_purposes().items():
        found.append(
            PurposeChoice(
                value=value,
                title=purpose.title_zh_hans if chinese else purpose.title,
                text=purpose.text_zh_hans if chinese else purpose.text,
                plugin=name,
            )
        )
    return found


def title_of(value: str, language: str | None = None) -> str:
    """A purpose's title for the ledger's lists; an uninstalled plugin's shows its value."""
    for choice in choices(language):
        if choice.value == value:
            return choice.title
    return value


def terms_for(value: str, language: str | None) -> terms.Terms:
    """The full terms a grant of ``value`` stores (the preamble and the purpose's words)."""
    if not is_plugin_purpose(value):
        return terms.terms_for(value, language)
    name, purpose = _plugin_purposes()[value]
    lang = terms.terms_language(language)
    words = purpose.text_zh_hans if lang == "zh-hans" else purpose.text
    asked = f"（由插件 {name} 请求）" if lang == "zh-hans" else f"(Asked for by the plugin {name}.)"
    return terms.Terms(
        version=f"{terms.CURRENT_VERSION}+{purpose.version}",
        language=lang,
        text=f"{terms.preamble(lang)}\n\n{words} {asked}",
    )


def live_terms_q(prefix: str = "") -> Q:
    """Grants given under the terms in force now: the ledger's current version for its
    own purposes, the current version of each installed plugin's purpose for theirs."""
    condition = Q(**{f"{prefix}purpose__in": Purpose.values}) & Q(
        **{f"{prefix}terms_version": terms.CURRENT_VERSION}
    )
    for value, (_name, purpose) in _plugin_purposes().items():
        condition |= Q(
            **{
                f"{prefix}purpose": value,
                f"{prefix}terms_version": f"{terms.CURRENT_VERSION}+{purpose.version}",
            }
        )
    return condition
