"""A system check that refuses a minimum group size below the floor of 5."""

from django.conf import settings
from django.core.checks import Error, register

from plugins.rhythms.selectors import MIN_GROUP_FLOOR


@register()
def check_min_group(app_configs: object = None, **kwargs: object) -> list[Error]:
    """RHYTHMS_MIN_GROUP may be raised, never set below 5."""
    value = getattr(settings, "RHYTHMS_MIN_GROUP", MIN_GROUP_FLOOR)
    if not isinstance(value, int) or value < MIN_GROUP_FLOOR:
        return [
            Error(
                f"RHYTHMS_MIN_GROUP={value!r} is below {MIN_GROUP_FLOOR}: rhythms are shown "
                f"only for groups of at least {MIN_GROUP_FLOOR} consenting people.",
                id="rhythms.E001",
            )
        ]
    return []
