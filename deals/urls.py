"""Pages of deals."""

urlpatterns: list = []
