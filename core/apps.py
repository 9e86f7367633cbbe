from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts, teams and operations"

    def ready(self) -> None:
        from core.health import register_core_checks

        register_core_checks()
