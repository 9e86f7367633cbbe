from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Questions and answers"

    def ready(self) -> None:
        from core.health import register_check
        from qa.health import check_embedding_model

        register_check("embedding_model", check_embedding_model)

        from qa.receivers import on_pages_changed
        from wiki.hooks import pages_changed

        pages_changed.connect(on_pages_changed, dispatch_uid="qa.index_pages")

        from plugins.signals import index_documents_changed
        from qa.receivers import on_plugin_documents_changed

        index_documents_changed.connect(
            on_plugin_documents_changed, dispatch_uid="qa.sync_plugin_documents"
        )

        from core.hooks import register_profile_section
        from qa.mcp.views import assistants_section

        register_profile_section("assistants", assistants_section)

        from qa.bots.profile import chat_accounts_section

        register_profile_section("chat-accounts", chat_accounts_section)
