"""Make the canonical ``tfds.load("tf_flowers", ...)`` work without internet.

TensorFlow Datasets downloads ``flower_photos.tgz`` and converts it into its own files under the
TFDS data directory (``$TFDS_DATA_DIR``, default ``~/tensorflow_datasets``); once they exist,
``tfds.load`` reads them and never goes online.  :func:`prepare_tf_flowers` builds those files
with TFDS's own builder, from the archive the asset mirror put in the Keras cache instead of from
the network.  Online, without a local archive, it does nothing and TFDS downloads as usual;
offline, it fails within seconds with the fixes instead of retrying for minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .download_guard import (
    AssetUnavailableError,
    can_reach,
    install_tfds_download_guard,
    tfds_unavailable_message,
)
from .keras_cache import keras_home

#: The URL the TFDS tf_flowers builder downloads (see its dataset_builder.py).
TFDS_FLOWERS_URL = "http://download.tensorflow.org/example_images/flower_photos.tgz"
#: Photos in the official archive; the course's offline mirror holds 3,657 of them.
OFFICIAL_FLOWER_PHOTOS = 3670


def flowers_archive() -> Path:
    """Where the asset mirror (or an earlier ``keras.utils.get_file``) put ``flower_photos.tgz``."""
    return keras_home() / "datasets" / "flower_photos.tgz"


def prepare_tf_flowers(
    data_dir: str | Path | None = None,
    archive: str | Path | None = None,
    probe: Callable[[str], bool] = can_reach,
) -> str:
    """Prepare TFDS's ``tf_flowers`` from a local archive; return a sentence saying what was done.

    Idempotent: an already prepared dataset is left alone.  Preparation writes to a temporary
    folder that TFDS renames when complete, so an interruption leaves nothing half-written.
    Without a local archive, online, TFDS downloads it itself; offline this raises
    :class:`AssetUnavailableError` with the fixes, within seconds.  Either way TFDS's downloads are
    guarded from here on (``probe`` decides whether a host can be reached).
    """
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.download import download_manager

    builder = tfds.builder("tf_flowers", data_dir=None if data_dir is None else str(data_dir))
    if builder.is_prepared():
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
    original = download_manager.DownloadManager.download

    def from_archive(self, url_or_urls):
        if url_or_urls == TFDS_FLOWERS_URL:
            from etils import epath

            return epath.Path(archive)
        return original(self, url_or_urls)

    from absl import logging as absl_logging

    download_manager.DownloadManager.download = from_archive
    verbosity = absl_logging.get_verbosity()
    tfds.disable_progress_bar()  # offline, the bars and INFO lines describe a download that never happens
    absl_logging.set_verbosity(absl_logging.WARNING)
    try:
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                try_download_gcs=False, compute_stats=tfds.download.ComputeStatsMode.SKIP
            )
        )
    finally:
        download_manager.DownloadManager.download = original
        absl_logging.set_verbosity(verbosity)
    return _summary(builder, f"prepared from {archive}")


def _summary(builder, how: str) -> str:
    photos = builder.info.splits["train"].num_examples
    text = f"tf_flowers {builder.info.version} in {builder.data_dir}: {photos:,} photos ({how})."
    if photos != OFFICIAL_FLOWER_PHOTOS:
        text += (
            f" The official archive has {OFFICIAL_FLOWER_PHOTOS:,} photos, this one {photos:,}: "
            "split sizes differ slightly from online runs."
        )
    return text
