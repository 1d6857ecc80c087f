"""Pages of investors."""

urlpatterns: list = []
