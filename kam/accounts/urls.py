from django.urls import path

from kam.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("import/", views.import_data, name="import"),
    path("<customer_id:customer_id>/", views.account_detail, name="detail"),
    path("<customer_id:customer_id>/history/", views.account_history, name="history"),
    path("<customer_id:customer_id>/team/", views.account_team, name="team"),
]
