from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kam.selection.views_sponsors import home

# A refusal raised anywhere (a view's @requires, a service's check_permission) is rendered
# inside the site's layout with its reason.
handler403 = "kam.people.access.permission_denied"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # <customer_id:…> is one path segment whatever the id holds (kam/accounts/converters.py).
    path("accounts/<customer_id:customer_id>/relationships/", include("kam.relationships.urls")),
    path("selection/", include("kam.selection.urls")),
    path("", include("kam.plans.urls")),
    path("accounts/", include("kam.accounts.urls")),
    path("admin/", admin.site.urls),
]
