from django.urls import URLPattern, URLResolver

# The Period Record Count Service contract and its stream (issue 4).
urlpatterns: list[URLPattern | URLResolver] = []
