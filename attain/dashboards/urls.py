"""Dashboard pages and their htmx partials (namespace `dashboards`).

Page state travels in the query string (?period=…&subject=…), never in the path, so every link can
be shared. One module per page under views/.
"""

from django.urls import path

from attain.dashboards.views import company, leaderboards, me, pipeline, quality, records, team

app_name = "dashboards"

urlpatterns = [
    path("me/", me.my_performance, name="me"),
    path("team/", team.team_page, name="team"),
    path("team/reps/", team.rep_table_partial, name="team_reps"),
    path("company/", company.company_page, name="company"),
    path("leaderboards/", leaderboards.leaderboards_page, name="leaderboards"),
    path("leaderboards/table/", leaderboards.leaderboard_table, name="leaderboard_table"),
    path("pipeline/", pipeline.pipeline, name="pipeline"),
    path("deals/<int:deal_id>/", pipeline.deal, name="deal"),
    path("quality/", quality.quality, name="quality"),
    path("records/", records.records, name="records"),
]
