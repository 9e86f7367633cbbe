from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import api as core_api
from core import views as core_views
from qa import api as qa_api
from qa.mcp import views as mcp_views

api_patterns = [
    path("", core_api.ApiRootApi.as_view(), name="root"),
    path("auth/token/", core_api.TokenCreateApi.as_view(), name="token-create"),
    path("me/", core_api.MeApi.as_view(), name="me"),
    path("teams/", core_api.TeamListApi.as_view(), name="team-list"),
    path("health/probes/", core_api.ProbeCreateApi.as_view(), name="probe-create"),
    path("health/probes/<int:probe_id>/", core_api.ProbeDetailApi.as_view(), name="probe-detail"),
    path("wiki/", include("wiki.api_urls")),
    path("handover/", include("handover.api_urls")),
    path("rhythms/", include("plugins.rhythms.api_urls")),
    path("ask", qa_api.AskApi.as_view(), name="ask"),
    path("ask/", include("qa.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include((api_patterns, "api"))),
    path("wiki/", include("wiki.urls")),
    path("handover/", include("handover.urls")),
    path("ask/", include("qa.urls")),
    path("bots/", include("qa.bots.urls")),
    path("people/", include("plugins.relationships.urls")),
    path("rhythms/", include("plugins.rhythms.urls")),
    path("memories/", include("plugins.memories.urls")),
    # The assistant server; config.asgi serves it before Django sees the request.
    path("mcp", mcp_views.served_elsewhere, name="mcp"),
    path("", include("core.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
