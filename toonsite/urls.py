"""ToonSite URL configuration: the pages, the admin, and the REST API under /api/. The schema and its docs page
follow the read rule (SPECTACULAR_SETTINGS' SERVE_PERMISSIONS; the docs page, a page, sends visitors to log in)."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import emotions.api.urls
import recommender.api.urls
from emotions.views.access import read_page
from toonsite.accounts import register

# Swagger UI with its init script served as a file of its own (?script), which the Content-Security-Policy allows.
docs = SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="toonsite/api_docs.html")

api = [
    *emotions.api.urls.urlpatterns,
    *recommender.api.urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", read_page(docs), name="docs"),
]

urlpatterns = [
    path("", include("emotions.urls")),
    path("", include("recommender.urls")),
    path("accounts/register/", register, name="register"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api, "api"))),
]

handler404 = "toonsite.views.not_found"
handler500 = "toonsite.views.server_error"
