"""Settings for benchmark servers: the project's, plus bare comparison views."""

import bufdir_project.settings as _base

globals().update({name: getattr(_base, name) for name in dir(_base) if name.isupper()})

ROOT_URLCONF = "bench.urls"
