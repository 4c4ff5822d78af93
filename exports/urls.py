from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_home, name="home"),
    path("<int:pk>/status/", views.export_status, name="status"),
    path("<int:pk>/download/", views.export_download, name="download"),
    path("allocation/", views.allocation_release, name="allocation_release"),
    path("casebook/<str:code>.pdf", views.casebook_pdf, name="casebook_pdf"),
]
