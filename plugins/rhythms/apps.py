from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RhythmsConfig(AppConfig):
    name = "plugins.rhythms"
    label = "rhythms"
    verbose_name = _("Rhythms")

    def ready(self) -> None:
        from plugins.rhythms import checks  # noqa: F401 - registers the system check
