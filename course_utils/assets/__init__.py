"""The offline asset machinery: the files the course downloads, and a machine ready to run it.

- :mod:`~course_utils.assets.manifest` — a mirror's ``manifest.json``: files, hashes, provenance;
- :mod:`~course_utils.assets.keras_cache` — install a mirror into the Keras cache, and report what is there;
- :mod:`~course_utils.assets.catalog` — every file the lessons ask Keras for, with its origin;
- :mod:`~course_utils.assets.fetch` — build a mirror while online (``assets fetch``);
- :mod:`~course_utils.assets.download_guard` — fail fast, with the fix, when a download cannot happen;
- :mod:`~course_utils.assets.tfds_flowers` — TFDS's ``tf_flowers`` built from the mirrored archive;
- :mod:`~course_utils.assets.doctor` — is this machine ready for the course (``doctor``).

Lessons do not import this package: ``course_utils.setup()`` installs the mirror, and
``course_utils.datasets`` offers what lessons need from here.
"""
