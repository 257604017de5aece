"""URL map of the project: the admin, log-in, language switching and the layers app."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from layers.security.login_lock import AdminLoginForm, LoginForm

# Both log-in forms check the login lock (layers/security/login_lock.py) before the password.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("layers.urls")),
]

# Error pages in the site layout, JSON under /api/, /ogc/ and /tiles/ (layers/views/errors.py); a lost database
# connection outside any view (in a middleware) is a 503 too, not a 500.
handler403 = "layers.views.errors.forbidden"
handler404 = "layers.views.errors.not_found"
handler500 = "layers.views.errors.server_error"
