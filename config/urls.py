"""Top-level URL configuration."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from origination.forms import ThrottledAuthenticationForm

from . import views

# Redoc's bundle inserts its styles and starts its search worker from a blob: at run time.
_REDOC_POLICY = {"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}


def _redoc_policy(view):
    return csp_update(_REDOC_POLICY, REPORT_ONLY=True)(csp_update(_REDOC_POLICY)(view))


# An unknown address under /api/ answers the API's JSON error body, any other the 404 page.
handler404 = "origination.api_errors.page_not_found"
handler500 = "origination.api_errors.server_error"
handler400 = "origination.api_errors.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", form_class=ThrottledAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_change_done.html"),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("origination.urls")),
    path("", include("deals.urls")),
    path("", include("investors.urls")),
    path("api/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, as the Content-Security-Policy requires.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # The one page allowed inline styles (never scripts).
    path("api/redoc/", _redoc_policy(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
]
