"""Fail fast and clearly when Keras wants to download a file this machine cannot reach.

Keras fetches weights and datasets through ``keras.utils.get_file``, which calls ``urlretrieve``
only when the file is not in ``$KERAS_HOME``.  Offline, that call can hang on DNS or TCP
time-outs for minutes and then end in a bare urllib traceback.  :func:`install_download_guard`
puts a quick reachability probe in front of it: if the origin's host cannot be reached within a
few seconds, the learner gets :class:`AssetUnavailableError` naming the file, its origin and the
two fixes.  Online, downloads proceed exactly as before.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from . import patching
from .keras_cache import ENV_VAR

PROBE_TIMEOUT_S = 3.0


class AssetUnavailableError(RuntimeError):
    """Keras asked for a file that is neither cached nor mirrored, and its origin is unreachable."""


def can_reach(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``url``'s host opens within ``timeout`` seconds (DNS included)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return True
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")  # downloads go via the proxy
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    outcome: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    # getaddrinfo ignores socket time-outs, so the probe runs in a thread we stop waiting for; the
    # deadline leaves room for a second address (IPv4 after a dead IPv6 route).
    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(2 * timeout + 0.5)
    return bool(outcome and outcome[0])


def unavailable_message(filename: str, origin: str, target: str) -> str:
    mirror = os.environ.get(ENV_VAR)
    if not mirror:
        where = f"{ENV_VAR} is not set"
    elif _mirror_lists(mirror, filename):
        where = (
            f"the mirror {mirror} lists it, but its copy could not be installed (damaged or missing: "
            "'python -m course_utils assets install' says which; copy the mirror again)"
        )
    else:
        where = f"the mirror {mirror} does not have it either"
    return (
        f"Keras needs '{filename}' and would download it from {origin}, but that host cannot be "
        f"reached (no internet?). It is not in the Keras cache ({Path(target).parent}) and {where}.\n"
        "Fix it in one of two ways:\n"
        "  1. connect to the internet once and re-run this cell — Keras keeps the file in its cache;\n"
        f"  2. point {ENV_VAR} at an asset mirror that has it (an instructor makes one with "
        "'python -m course_utils assets fetch --to DIR') and run "
        "'python -m course_utils assets install' (or course_utils.setup() in a notebook)."
    )


def _mirror_lists(mirror: str, filename: str) -> bool:
    """Whether the mirror's manifest names ``filename`` (False when it cannot be read)."""
    from .manifest import AssetError, Manifest

    try:
        return any(filename in entry.names for entry in Manifest.load(Path(mirror)).files)
    except AssetError:
        return False


def guarded(retrieve: Callable, probe: Callable[[str], bool] = can_reach) -> Callable:
    """Wrap a ``urlretrieve``-like function with the reachability probe."""

    def guarded_retrieve(url, filename=None, *args, **kwargs):
        if not probe(url):
            name = os.path.basename(urllib.parse.urlsplit(url).path)
            raise AssetUnavailableError(unavailable_message(name, url, str(filename or name)))
        return retrieve(url, filename, *args, **kwargs)

    return guarded_retrieve


def install_download_guard(probe: Callable[[str], bool] = can_reach) -> None:
    """Put the probe in front of Keras's downloads (idempotent)."""
    from keras.src.utils import file_utils

    if not hasattr(file_utils, "urlretrieve"):  # a Keras whose internals moved: keep its own behaviour
        import warnings

        warnings.warn(
            "course_utils: this Keras version has no file_utils.urlretrieve; offline "
            "downloads will fail with Keras's own error instead of a clear message.",
            stacklevel=2,
        )
        return
    patching.install(file_utils, "urlretrieve", lambda retrieve: guarded(retrieve, probe))


def remove_download_guard() -> None:
    """Undo :func:`install_download_guard`."""
    from keras.src.utils import file_utils

    patching.remove(file_utils, "urlretrieve")


def tfds_unavailable_message(dataset: str, url: str, data_dir: str) -> str:
    return (
        f"TensorFlow Datasets needs '{dataset}' and would download it from {url}, but that host cannot be "
        f"reached (no internet?). It is not prepared in {data_dir}.\n"
        "Fix it in one of two ways:\n"
        "  1. connect to the internet once and re-run this cell — TFDS keeps the prepared dataset;\n"
        f"  2. point {ENV_VAR} at the course's asset mirror, run course_utils.setup(), then "
        "course_utils.datasets.prepare_tf_flowers(), which builds tf_flowers from the mirrored archive."
    )


def install_tfds_download_guard(probe: Callable[[str], bool] = can_reach) -> None:
    """Put the probe in front of TensorFlow Datasets' downloads (idempotent).

    Offline, TFDS retries a download for minutes and ends in a raw ``ConnectionError``; with the
    guard it fails within seconds with :class:`AssetUnavailableError` naming the dataset and the fixes.
    """
    from tensorflow_datasets.core.download import download_manager

    def guarded_download(download: Callable) -> Callable:
        def download_if_reachable(self, url_or_urls):
            urls = _urls_in(url_or_urls)
            unreachable = next((url for url in urls if not probe(url)), None)
            if unreachable is not None:
                dataset = getattr(self, "_dataset_name", None) or "a dataset"
                raise AssetUnavailableError(tfds_unavailable_message(dataset, unreachable, str(self.download_dir)))
            return download(self, url_or_urls)

        return download_if_reachable

    patching.install(download_manager.DownloadManager, "download", guarded_download)


def remove_tfds_download_guard() -> None:
    """Undo :func:`install_tfds_download_guard`."""
    from tensorflow_datasets.core.download import download_manager

    patching.remove(download_manager.DownloadManager, "download")


def _urls_in(value) -> list[str]:
    """The URL strings in what TFDS's ``download`` accepts: a URL, or a list or dict of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [url for item in value for url in _urls_in(item)]
    url = getattr(value, "url", None)  # a tfds.download.Resource
    return [url] if isinstance(url, str) else []
