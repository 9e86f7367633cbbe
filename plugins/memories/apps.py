from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemoriesConfig(AppConfig):
    name = "plugins.memories"
    label = "memories"
    verbose_name = _("Memories")
