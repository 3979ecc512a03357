"""Routes of the relationships app, mounted under /accounts/<customer_id>/relationships/.

Every view takes the ``customer_id`` captured by the include in kam/urls.py.
"""

from django.urls import path

from kam.relationships import views

app_name = "relationships"

urlpatterns = [
    path("", views.stakeholder_map, name="map"),
    path("contacts/add/", views.contact_add, name="contact_add"),
    path("contacts/import/", views.contacts_import, name="import"),
    path("contacts/<int:contact_id>/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/history/", views.contact_history, name="contact_history"),
    path("contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
    path("links/add/", views.relationship_link, name="link"),
    path("links/<int:relationship_id>/remove/", views.relationship_unlink, name="unlink"),
    path("alignment/", views.alignment_set, name="alignment"),
    path("org-chart.svg", views.org_chart_svg, name="org_chart_svg"),
]
