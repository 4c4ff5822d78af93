from django.urls import path

from randomization import list_views, pharmacy_views, views

app_name = "randomization"

urlpatterns = [
    # A participant's randomization (investigator, coordinator) and its confirmation.
    path("participants/<str:code>/randomize/", views.randomize, name="randomize"),
    path("participants/<str:code>/", views.confirmation, name="confirmation"),
    path(
        "participants/<str:code>/confirmation.pdf", views.confirmation_pdf, name="confirmation_pdf"
    ),
    path("participants/<str:code>/unblind/", views.unblind, name="unblind"),
    path("unblindings/", views.unblinding_log, name="unblinding_log"),
    # Randomization manager: lists, QC, central supply; unblinded listing (C2).
    path("lists/", list_views.allocation_lists, name="allocation_lists"),
    path("lists/check/", list_views.allocation_list_check, name="allocation_list_check"),
    path("lists/import/", list_views.allocation_list_import, name="allocation_list_import"),
    path("kit-lists/import/", list_views.kit_list_import, name="kit_list_import"),
    path("supply/", list_views.supply, name="supply"),
    path(
        "supply/<int:shipment_id>/dispatch/", list_views.shipment_dispatch, name="shipment_dispatch"
    ),
    path("unblinded/", list_views.unblinded_allocations, name="unblinded_allocations"),
    # Site pharmacy.
    path("pharmacy/", pharmacy_views.pharmacy_home, name="pharmacy_home"),
    path(
        "pharmacy/shipments/<int:shipment_id>/",
        pharmacy_views.shipment_detail,
        name="shipment_detail",
    ),
    path(
        "pharmacy/shipments/<int:shipment_id>/receive/",
        pharmacy_views.shipment_receive,
        name="shipment_receive",
    ),
    path(
        "pharmacy/shipments/<int:shipment_id>/close/",
        pharmacy_views.shipment_close,
        name="shipment_close",
    ),
    path(
        "pharmacy/shipments/<int:shipment_id>/decision/",
        pharmacy_views.shipment_decision,
        name="shipment_decision",
    ),
    path("pharmacy/dispense/<str:code>/", pharmacy_views.dispense, name="dispense"),
    path("pharmacy/kits/<str:kit_code>/", pharmacy_views.kit_detail, name="kit_detail"),
    path(
        "pharmacy/kits/<str:kit_code>/incident/", pharmacy_views.kit_incident, name="kit_incident"
    ),
    path("pharmacy/kit-action/", pharmacy_views.kit_action, name="kit_action"),
    path("pharmacy/accountability/", pharmacy_views.accountability, name="accountability"),
    path(
        "pharmacy/accountability.csv",
        pharmacy_views.accountability_csv,
        name="accountability_csv",
    ),
]
