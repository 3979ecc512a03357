"""URLs of the People pages, under /people/: users, their roles and capacity."""

from django.urls import path

from kam.people import views

app_name = "people"

urlpatterns = [
    path("", views.user_list, name="users"),
    path("new/", views.user_add, name="user_add"),
    path("<int:user_id>/", views.user_edit, name="user_edit"),
    path("<int:user_id>/password/", views.user_password, name="user_password"),
]
