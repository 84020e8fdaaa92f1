from activities.views import ActivityViewSet
from lib.api.views import api_router

router = api_router()
router.register("api/v1/activities", ActivityViewSet, basename="activity")

urlpatterns = router.urls
