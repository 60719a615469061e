"""Make the canonical ``tfds.load("tf_flowers", ...)`` work without internet.

TensorFlow Datasets downloads ``flower_photos.tgz`` and converts it into its own files under the
TFDS data directory (``$TFDS_DATA_DIR``, default ``~/tensorflow_datasets``); once they exist,
``tfds.load`` reads them and never goes online.  :func:`prepare_tf_flowers` builds those files
with TFDS's own builder, from the archive the asset mirror put in the Keras cache instead of from
the network.  Online, without a local archive, it does nothing and TFDS downloads as usual;
offline, it fails within seconds with the fixes instead of retrying for minutes.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable
from pathlib import Path

from .download_guard import (
    AssetUnavailableError,
    can_reach,
    install_tfds_download_guard,
    tfds_unavailable_message,
)
from .keras_cache import keras_home
from .locations import resolve_data_dirs
from .locks import holding

#: The URL the TFDS tf_flowers builder downloads (see its dataset_builder.py).
TFDS_FLOWERS_URL = "http://download.tensorflow.org/example_images/flower_photos.tgz"
#: Photos in the official archive; the course's offline mirror holds 3,657 of them.
OFFICIAL_FLOWER_PHOTOS = 3670


def flowers_archive() -> Path:
    """Where the asset mirror (or an earlier ``keras.utils.get_file``) put ``flower_photos.tgz``."""
    return keras_home() / "datasets" / "flower_photos.tgz"


def preparation_target(data_dir: str | Path | None) -> Path:
    """What the preparation lock guards: ``tf_flowers`` in the TFDS data directory (locked as ``.tf_flowers.lock``)."""
    if data_dir is None:
        from tensorflow_datasets.core import constants

        data_dir = constants.DATA_DIR
    return Path(data_dir).expanduser().resolve() / "tf_flowers"


def unseed_temporary_names() -> None:
    """Give TFDS its own unseeded generator for its temporary folder names (``incomplete.XXXXXX_3.0.1``).

    TFDS draws them with Python's global ``random``, which ``course_utils.setup()`` seeds: every
    course process would draw the same name, and two preparations at once (``prepare_tf_flowers``
    or the lesson's own ``tfds.load``) would share, and delete, one folder.  TFDS's module gets a
    ``random.SystemRandom()`` of its own instead, once; the course's seeded sequence is untouched.
    """
    from tensorflow_datasets.core.utils import file_utils

    if not isinstance(file_utils.random, random.SystemRandom):
        file_utils.random = random.SystemRandom()


def prepare_tf_flowers(
    data_dir: str | Path | None = None,
    archive: str | Path | None = None,
    probe: Callable[[str], bool] = can_reach,
) -> str:
    """Prepare TFDS's ``tf_flowers`` from a local archive; return a sentence saying what was done.

    Idempotent: an already prepared dataset is left alone.  Preparation writes to a temporary
    folder that TFDS renames when complete, so an interruption leaves nothing half-written; two
    processes preparing at once take turns (a file lock), and the second finds the dataset prepared.
    Without a local archive, online, TFDS downloads it itself; offline this raises
    :class:`AssetUnavailableError` with the fixes, within seconds.  Either way TFDS's downloads are
    guarded from here on (``probe`` decides whether a host can be reached).
    """
    resolve_data_dirs()  # a relative TFDS_DATA_DIR means where it was set, before TFDS reads it
    import tensorflow_datasets as tfds

    unseed_temporary_names()  # for this preparation and for the lesson's tfds.load after it
    with _quiet_absl():  # an unprepared folder makes TFDS warn "Variant folder ... has no dataset_info.json"
        builder = tfds.builder("tf_flowers", data_dir=None if data_dir is None else str(data_dir))
        prepared = builder.is_prepared()
    if prepared:
        return _summary(builder, "already prepared")
    install_tfds_download_guard(probe)
    archive = Path(archive) if archive is not None else flowers_archive()
    if not archive.is_file():
        if not probe(TFDS_FLOWERS_URL):
            raise AssetUnavailableError(tfds_unavailable_message("tf_flowers", TFDS_FLOWERS_URL, builder.data_dir))
        return (
            f"tf_flowers is not prepared and {archive} does not exist: tfds.load will download it "
            "(the internet is reachable)."
        )
    with holding(preparation_target(data_dir), "preparing tf_flowers"), _quiet_absl():
        builder = tfds.builder("tf_flowers", data_dir=None if data_dir is None else str(data_dir))
        if builder.is_prepared():  # another process prepared it while we waited
            return _summary(builder, "already prepared")
        _build_from_archive(builder, archive)
    return _summary(builder, f"prepared from {archive}")


def _build_from_archive(builder, archive: Path) -> None:
    """Run TFDS's own builder with its download of the archive answered by the local file."""
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.download import download_manager

    original = download_manager.DownloadManager.download

    def from_archive(self, url_or_urls):
        if url_or_urls == TFDS_FLOWERS_URL:
            from etils import epath

            return epath.Path(archive)
        return original(self, url_or_urls)

    download_manager.DownloadManager.download = from_archive
    tfds.disable_progress_bar()  # offline, the bars and INFO lines describe a download that never happens
    # Its bold "Downloading and preparing" lines describe the same download: the summary this module
    # returns says what happened instead.
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            builder.download_and_prepare(
                download_config=tfds.download.DownloadConfig(
                    try_download_gcs=False, compute_stats=tfds.download.ComputeStatsMode.SKIP
                )
            )
    finally:
        download_manager.DownloadManager.download = original


@contextlib.contextmanager
def _quiet_absl():
    """TFDS's absl warnings and INFO lines off for the duration (errors still show)."""
    from absl import logging as absl_logging

    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        yield
    finally:
        absl_logging.set_verbosity(verbosity)


def _summary(builder, how: str) -> str:
    photos = builder.info.splits["train"].num_examples
    text = f"tf_flowers {builder.info.version} in {builder.data_dir}: {photos:,} photos ({how})."
    if photos != OFFICIAL_FLOWER_PHOTOS:
        text += (
            f" The official archive has {OFFICIAL_FLOWER_PHOTOS:,} photos, this one {photos:,}: "
            "split sizes differ slightly from online runs."
        )
    return text
