from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.log, name="log"),
    path("object/<str:model_label>/<str:pk>/", views.object_trail, name="object_trail"),
]
