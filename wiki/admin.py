"""Operator views of the wiki: read-only for content, editable for global page templates.

Pages and revisions change only through ``wiki.services`` (history, links, audit rows), so
the admin shows them without letting anyone edit them here.
"""

from django.contrib import admin
from django.http import HttpRequest

from wiki.models import Page, PageTemplate, Space, SpaceRole, Tag


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and details only; writes go through the wiki's own screens."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SpaceRoleInline(admin.TabularInline):
    model = SpaceRole
    extra = 0
    can_delete = False
    fields = ["user", "team", "role"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Space)
class SpaceAdmin(ReadOnlyAdmin):
    list_display = ["name", "key", "is_private", "team", "created_at"]
    search_fields = ["name", "key"]
    inlines = [SpaceRoleInline]


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin):
    list_display = ["title", "space", "path", "review_by", "deleted_at", "updated_at"]
    list_filter = ["space"]
    search_fields = ["title", "path"]
    list_select_related = ["space"]
    exclude = ["search_vector", "title_vector", "search_text"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(PageTemplate)
class PageTemplateAdmin(admin.ModelAdmin):
    """Templates with no space are offered in every space; operators keep those here."""

    list_display = ["name", "space", "created_at"]
    list_filter = ["space"]
    search_fields = ["name"]
    fields = ["space", "name", "description", "body"]
