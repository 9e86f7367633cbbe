from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Questions and answers"

    def ready(self) -> None:
        from core.health import register_check
        from qa.health import check_embedding_model

        register_check("embedding_model", check_embedding_model)
