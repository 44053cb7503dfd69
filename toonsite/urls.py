"""ToonSite URL configuration: the pages, the admin, and the REST API under /api/."""
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import emotions.api.urls
import recommender.api.urls

api = [
    *emotions.api.urls.urlpatterns,
    *recommender.api.urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", include("emotions.urls")),
    path("", include("recommender.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api, "api"))),
]

handler404 = "toonsite.views.not_found"
handler500 = "toonsite.views.server_error"
