"""URLs of the selection app, mounted at /selection/ (see the include in kam/urls.py)."""

from django.urls import path

from kam.selection import views, views_cycles, views_sponsors

app_name = "selection"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("scores/", views.scores, name="scores"),
    path("future-value-chart/", views.future_value_chart, name="future_value_chart"),
    path("score/", views.run_scoring, name="run_scoring"),
    path("policy/", views.policy, name="policy"),
    path("policy/import/", views.policy_import, name="policy_import"),
    path("policy/v<int:version>.toml", views.policy_download, name="policy_download"),
    path("ratings/import/", views.ratings_import, name="ratings_import"),
    path("cycles/", views_cycles.cycle_list, name="cycles"),
    path("cycles/compare/", views_cycles.cycle_compare, name="compare"),
    path("cycles/<int:pk>/", views_cycles.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/override/", views_cycles.cycle_override, name="override"),
    path("cycles/<int:pk>/approve/", views_cycles.cycle_approve, name="approve"),
    path("cycles/<int:pk>/publish/", views_cycles.cycle_publish, name="publish"),
    path("cycles/<int:pk>/assignment/", views_cycles.cycle_assignment, name="assignment"),
    path(
        "cycles/<int:pk>/assignment/sponsor-capacity/",
        views_sponsors.sponsor_capacity,
        name="sponsor_capacity",
    ),
    path("sponsored/", views_sponsors.sponsored, name="sponsored"),
    path("accounts/<customer_id:customer_id>/", views.account, name="account"),
]
