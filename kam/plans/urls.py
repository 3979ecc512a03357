"""URLs of the plans app: each account's plans under /accounts/<customer_id>/plan/, and
the plan templates."""

from django.urls import path

from kam.plans import views, views_edits, views_templates

app_name = "plans"

PLAN = "accounts/<customer_id:customer_id>/plan/<int:plan_id>/"

urlpatterns = [
    path("accounts/<customer_id:customer_id>/plan/", views.plan_home, name="home"),
    path("accounts/<customer_id:customer_id>/plan/new/", views.plan_create, name="create"),
    path(PLAN, views.plan_detail, name="detail"),
    path(PLAN + "history/", views.plan_history, name="history"),
    path(PLAN + "section/<str:key>/", views.section, name="section"),
    path(PLAN + "section/<str:key>/edit/", views.section_edit, name="section_edit"),
    path(PLAN + "objectives/", views_edits.objective_add, name="objective_add"),
    path(PLAN + "targets/", views_edits.target_set, name="target_set"),
    path(PLAN + "risks/", views_edits.risk_add, name="risk_add"),
    path(PLAN + "risks/<int:risk_id>/status/", views_edits.risk_status, name="risk_status"),
    path(PLAN + "actions/", views_edits.action_add, name="action_add"),
    path(PLAN + "actions/<int:action_id>/status/", views_edits.action_status, name="action_status"),
    path(PLAN + "reviews/", views_edits.review_add, name="review_add"),
    path(PLAN + "versions/", views_edits.version_cut, name="version_cut"),
    path(PLAN + "versions/<int:number>/", views.version_detail, name="version"),
    path(PLAN + "versions/<int:number>/document/", views.document_html, name="version_html"),
    path(PLAN + "versions/<int:number>/document.pdf", views.document_pdf, name="version_pdf"),
    path(PLAN + "activate/", views.plan_status, {"change": "activate"}, name="activate"),
    path(PLAN + "archive/", views.plan_status, {"change": "archive"}, name="archive"),
    path(PLAN + "document/", views.document_html, name="document_html"),
    path(PLAN + "document.pdf", views.document_pdf, name="document_pdf"),
    path("plans/templates/", views_templates.template_list, name="templates"),
    path("plans/templates/<str:level>/", views_templates.template_edit, name="template_edit"),
]
