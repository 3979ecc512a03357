from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.engagement.views_home import home
from kam.people import views as people_views

# A refusal raised anywhere (a view's @requires, a service's check_permission) is rendered
# inside the site's layout with its reason.
handler403 = "kam.people.access.permission_denied"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Any signed-in user changes their own password; anyone may ask for a reset link by email.
    path("password/", people_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/changed/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        people_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("people/", include("kam.people.urls")),
    path("audit/", people_views.audit_trail, name="audit_trail"),
    # <customer_id:…> is one path segment whatever the id holds (kam/accounts/converters.py).
    path("accounts/<customer_id:customer_id>/relationships/", include("kam.relationships.urls")),
    path("selection/", include("kam.selection.urls")),
    path("program/", include("kam.performance.urls")),
    path("", include("kam.plans.urls")),
    path("", include("kam.engagement.urls")),
    path("", include("kam.opportunities.urls")),
    path("", include("kam.health.urls")),
    path("accounts/", include("kam.accounts.urls")),
    path("", include("kam.api.urls")),  # the JSON API at /api/ and its tokens page
    path("admin/", admin.site.urls),
]
