import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
from tanggap.conf.handler import desk_wsgi_application  # noqa: E402

application = desk_wsgi_application()
