from django.urls import path

from crf import grid, participant_views, status_views, todo_views, views

app_name = "crf"

urlpatterns = [
    path("p/<str:code>/", participant_views.participant_page, name="participant"),
    path("status/", status_views.status_dashboard, name="status_dashboard"),
    path("sae/", views.sae_list, name="sae_list"),
    path("to-enter/", todo_views.forms_to_enter, name="forms_to_enter"),
    path("sae/<int:pk>/acknowledge/", views.sae_acknowledge, name="sae_acknowledge"),
    path("<str:code>/", views.casebook, name="casebook"),
    path("<str:code>/daily/grid/", grid.daily_grid, name="daily_grid"),
    path("<str:code>/daily/grid/<str:day>/", grid.daily_grid_row, name="daily_grid_row"),
    path("<str:code>/daily/sofa/", grid.daily_sofa, name="daily_sofa"),
    path("<str:code>/<slug:form>/new/", views.form_new, name="form_new"),
    path("<str:code>/<slug:form>/<int:pk>/", views.form_detail, name="form_detail"),
    path("<str:code>/<slug:form>/<int:pk>/edit/", views.form_edit, name="form_edit"),
    path(
        "<str:code>/<slug:form>/<int:pk>/entered-in-error/",
        views.form_entered_in_error,
        name="form_entered_in_error",
    ),
]
