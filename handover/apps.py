from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "handover"
    verbose_name = "Handover"

    def ready(self) -> None:
        """Register what the handover derives from consented content with the purge registry."""
        from handover.consent.purge import PurgeStep, register_purge_step
        from handover.privacy import services as privacy

        register_purge_step(
            PurgeStep(
                name="handover.prepared_messages",
                label=_("Redacted and pseudonymised copies of messages"),
                run=privacy.purge_prepared_messages,
            )
        )
        register_purge_step(
            PurgeStep(
                name="handover.redactions",
                label=_("Redaction records"),
                run=privacy.purge_redactions,
            )
        )
        register_purge_step(
            PurgeStep(
                name="handover.pseudonyms",
                label=_("Pseudonyms of other people"),
                run=privacy.purge_pseudonyms,
            )
        )
        # Drafting: sections drawn from threads, and the threads a drafting read.
        from handover.drafting import purge as drafting_purge

        register_purge_step(
            PurgeStep(
                name="handover.draft_sections",
                label=_("Draft sections drawn from threads"),
                run=drafting_purge.purge_draft_sections,
            )
        )
        register_purge_step(
            PurgeStep(
                name="handover.draft_threads",
                label=_("Threads read for drafting and their topics"),
                run=drafting_purge.purge_draft_threads,
            )
        )
        # Published handover pages: after the copies they were written from.
        from handover.publishing import services as publishing

        register_purge_step(
            PurgeStep(
                name="handover.published_pages",
                label=_("Published handover pages and every revision of them"),
                run=publishing.purge_published_pages,
            )
        )
        # The Q&A index: passages of threads no longer served for questions and answers.
        from handover.indexing import services as indexing

        register_purge_step(
            PurgeStep(
                name="qa.chunks",
                label=_("Indexed passages"),
                run=indexing.purge_indexed_passages,
            )
        )
        # What plugins derived from consented content (the tacit_consent_purge hook).
        from handover.consent.plugin_purge import purge_plugin_data

        register_purge_step(
            PurgeStep(name="plugins", label=_("Data kept by plugins"), run=purge_plugin_data)
        )
