"""The words that stand in for people in prepared text, by the case's language.

They come from explicit tables, not the request's language: a case's pseudonyms are
the same for every reader.
"""

# Stands for the subject in prepared text; the read path replaces it with their name
# while they consent to attribution, else with ``anonymous_subject_label``.
SUBJECT_TOKEN = "\u27e6subject\u27e7"  # noqa: S105 - a placeholder, not a secret

_ANONYMOUS_SUBJECT = {"en": "the departing colleague", "zh-hans": "离职同事"}


def anonymous_subject_label(language: str) -> str:
    """How pages and answers refer to a subject who asked to be removed."""
    return _ANONYMOUS_SUBJECT["zh-hans" if language.lower().startswith("zh") else "en"]
