from django.urls import URLPattern, URLResolver

# The seven endpoints of the Bufdir Aggregation Repository contract (issue 3).
urlpatterns: list[URLPattern | URLResolver] = []
