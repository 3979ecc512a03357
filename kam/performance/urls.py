"""URLs of the programme view, under /program/."""

from django.urls import path

from kam.performance import views

app_name = "performance"

urlpatterns = [
    path("", views.programme, name="programme"),
    path("kpis/", views.kpis, name="kpis"),
    path("kpis/target/", views.kpi_target, name="kpi_target"),
    path("pnl/", views.pnl, name="pnl"),
    path("checklist/", views.checklist, name="checklist"),
    path("settings/", views.settings_page, name="settings"),
    path("cost-to-serve/import/", views.cost_import, name="cost_import"),
    path("review/", views.review_page, name="review"),
    path("review.pdf", views.review_pdf, name="review_pdf"),
]
