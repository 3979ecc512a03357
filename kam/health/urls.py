"""URLs of the health app: an account's health, the backtest, and *what if this contact
leaves* beside the stakeholder map."""

from django.urls import path

from kam.health import views

app_name = "health"

urlpatterns = [
    path("health/backtest/", views.backtest, name="backtest"),
    path("health/policy/<int:version>/decide/", views.decide, name="decide"),
    path("health/satisfaction/import/", views.satisfaction_import, name="satisfaction_import"),
    path("accounts/<customer_id:customer_id>/health/", views.account, name="account"),
    path("accounts/<customer_id:customer_id>/health/alerts/", views.respond, name="respond"),
    path(
        "accounts/<customer_id:customer_id>/relationships/what-if/",
        views.what_if,
        name="what_if",
    ),
]
