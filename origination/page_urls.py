"""Pages of the originator side."""

urlpatterns: list = []
