"""URLs of the engagement app: an account's engagements and timeline under
/accounts/<customer_id>/, *My accounts*, the overdue touchpoints, the cadence policy."""

from django.urls import path

from kam.engagement import views, views_home

app_name = "engagement"

ACCOUNT = "accounts/<customer_id:customer_id>/"
ONE = ACCOUNT + "engagements/<int:engagement_id>/"

urlpatterns = [
    path("my-accounts/", views_home.my_accounts, name="my_accounts"),
    path("my-accounts/calendar.ics", views_home.manager_calendar, name="calendar"),
    path("engagement/overdue/", views_home.overdue, name="overdue"),
    path("engagement/cadence/", views_home.cadence_policy, name="cadence"),
    path(ACCOUNT + "engagements/", views.account_log, name="account"),
    path(ACCOUNT + "engagements/new/", views.engagement_new, name="new"),
    path(ACCOUNT + "engagements/calendar.ics", views.account_calendar, name="account_calendar"),
    path(ONE, views.engagement_detail, name="detail"),
    path(ONE + "edit/", views.engagement_edit, name="edit"),
    path(ONE + "comments/", views.comment_add, name="comment"),
    path(ACCOUNT + "timeline/", views.timeline, name="timeline"),
]
