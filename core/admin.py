from django.contrib import admin

from core.models import AuditEvent, Membership, Team, WorkerHeartbeat


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: a changed or deleted row would break the chain (``verify_audit``)."""

    list_display = [
        "sequence",
        "created_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "scope",
    ]
    list_select_related = ["actor"]
    ordering = ["-sequence"]
    list_filter = ["action"]
    search_fields = ["scope", "target_id"]

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "beat_at"]
