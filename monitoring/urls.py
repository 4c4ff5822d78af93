from django.urls import path

from monitoring import (
    dashboard_views,
    deviation_views,
    lock_views,
    query_views,
    sdv_views,
    signature_views,
)

app_name = "monitoring"

urlpatterns = [
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("deviations/", deviation_views.deviation_list, name="deviation_list"),
    path("deviations/<int:pk>/", deviation_views.deviation_detail, name="deviation_detail"),
    path("deviations/<int:pk>/review/", deviation_views.deviation_review, name="deviation_review"),
    path("locks/", lock_views.lock_history, name="lock_history"),
    path("locks/database/", lock_views.database_lock, name="database_lock"),
    path("locks/casebook/<str:code>/", lock_views.casebook_lock, name="casebook_lock"),
    path("locks/form/<str:model_label>/<int:pk>/", lock_views.form_lock, name="form_lock"),
    path("sdv/", sdv_views.sdv_progress, name="sdv_progress"),
    path("sdv/<str:code>/", sdv_views.sdv_participant, name="sdv_participant"),
    path("sdv/<str:code>/verify/", sdv_views.sdv_verify, name="sdv_verify"),
    path("signatures/", signature_views.resign_list, name="resign_list"),
    path("signatures/<str:code>/", signature_views.casebook_sign, name="casebook_sign"),
    path("queries/", query_views.query_list, name="query_list"),
    path("queries/<int:pk>/", query_views.query_detail, name="query_detail"),
    path("queries/<int:pk>/answer/", query_views.query_answer, name="query_answer"),
    path("queries/<int:pk>/close/", query_views.query_close, name="query_close"),
    path("queries/<int:pk>/reopen/", query_views.query_reopen, name="query_reopen"),
    path("queries/<int:pk>/cancel/", query_views.query_cancel, name="query_cancel"),
    path(
        "queries/raise/<str:model_label>/<int:pk>/<str:field>/",
        query_views.query_raise,
        name="query_raise",
    ),
]
