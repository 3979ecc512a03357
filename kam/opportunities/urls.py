"""URLs of the opportunities app: an account's opportunities and whitespace under
/accounts/<customer_id>/, and the pipeline of the programme and its managers."""

from django.urls import path

from kam.opportunities import views

app_name = "opportunities"

ACCOUNT = "accounts/<customer_id:customer_id>/"
ONE = ACCOUNT + "opportunities/<int:opportunity_id>/"

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path(ACCOUNT + "opportunities/", views.account_opportunities, name="account"),
    path(ACCOUNT + "opportunities/new/", views.opportunity_new, name="new"),
    path(ONE, views.opportunity_detail, name="detail"),
    path(ONE + "edit/", views.opportunity_edit, name="edit"),
    path(ONE + "qualify/", views.qualify, name="qualify"),
    path(ONE + "close/", views.close, name="close"),
    path(ACCOUNT + "whitespace/", views.whitespace, name="whitespace"),
    path(ACCOUNT + "whitespace/wallet/", views.wallet, name="wallet"),
]
