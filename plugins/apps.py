from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "plugins"
    verbose_name = "Plugins"

    def ready(self) -> None:
        from plugins.manager import get_plugin_manager

        # Build and validate once at start-up so a bad plugin fails loudly now.
        get_plugin_manager()
