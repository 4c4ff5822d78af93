from django.urls import path

from eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("", views.screening_list, name="screening_list"),
    path("new/", views.screening_create, name="screening_create"),
    path("new/checklist/", views.checklist_new, name="checklist_new"),
    path("<int:pk>/", views.screening_detail, name="screening_detail"),
    path("<int:pk>/checklist/", views.checklist, name="checklist"),
    path("<int:pk>/consent/", views.consent, name="consent"),
    path("<int:pk>/enrol/", views.enrol_view, name="enrol"),
]
