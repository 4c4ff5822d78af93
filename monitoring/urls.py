from django.urls import path

from monitoring import lock_views

app_name = "monitoring"

urlpatterns = [
    path("locks/", lock_views.lock_history, name="lock_history"),
    path("locks/database/", lock_views.database_lock, name="database_lock"),
    path("locks/casebook/<str:code>/", lock_views.casebook_lock, name="casebook_lock"),
    path("locks/form/<str:model_label>/<int:pk>/", lock_views.form_lock, name="form_lock"),
]
