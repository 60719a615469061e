"""Build a workshop mirror while online: download every origin, verify, write a manifest.

An instructor runs ``python -m course_utils assets fetch --to DIR`` once on a good connection and
hands ``DIR`` to the room (USB stick, shared drive); learners set ``COURSE_ASSETS=DIR``.
"""

from __future__ import annotations

import datetime as _dt
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from .manifest import AssetEntry, AssetError, Manifest, copy_stream_verified, sha256_of

TIMEOUT_S = 30
DESCRIPTION = (
    "Offline mirror of the files the course downloads through keras.utils.get_file, "
    "laid out as a Keras cache (keras/<cache_subdir>/<filename>)."
)


def fetch_mirror(
    to: Path,
    entries: Iterable[AssetEntry],
    *,
    timeout: float = TIMEOUT_S,
    progress: Callable[[str], None] = print,
) -> Manifest:
    """Download ``entries`` into ``to`` in the mirror layout and write ``to/manifest.json``.

    Files already present with the expected sha256 are not downloaded again, so an interrupted
    fetch can simply be re-run.  Every download goes through a temporary file; a failed or
    mismatching download leaves nothing behind and raises :class:`AssetError`.
    """
    to = Path(to)
    today = _dt.date.today().isoformat()
    fetched: list[AssetEntry] = []
    previous = _previous_hashes(to)
    manifest = Manifest(files=[], description=DESCRIPTION)
    for entry in entries:
        dest = to / entry.mirror_path
        expected = entry.sha256 or previous.get(entry.mirror_path)
        if dest.is_file() and expected is not None and sha256_of(dest) == expected:
            progress(f"have   {entry.mirror_path}")
            digest = expected
        else:
            progress(f"fetch  {entry.origin}")
            digest = _download(entry, dest, timeout)
        fetched.append(
            replace(
                entry,
                sha256=digest,
                bytes=dest.stat().st_size,
                provenance="official",
                source=f"downloaded from its origin by 'course_utils assets fetch' on {today}",
            )
        )
        manifest = Manifest(files=fetched, description=DESCRIPTION)
        manifest.save(to)  # after every file: an interrupted fetch keeps what it has verified
    progress(f"wrote  {to / 'manifest.json'} ({len(fetched)} files)")
    return manifest


def _previous_hashes(to: Path) -> dict[str, str]:
    """Hashes recorded by an earlier fetch into the same folder, so a re-run skips what it has."""
    try:
        return {e.mirror_path: e.sha256 for e in Manifest.load(to).files if e.sha256}
    except AssetError:
        return {}


def _download(entry: AssetEntry, dest: Path, timeout: float) -> str:
    try:
        with urllib.request.urlopen(entry.origin, timeout=timeout) as response:
            return copy_stream_verified(response, dest, entry.sha256, f"{entry.filename} from {entry.origin}")
    except urllib.error.HTTPError as error:
        raise AssetError(
            f"The server answered {error.code} {error.reason} for {entry.origin}: the file has moved or "
            "is gone. Nothing was saved for it; tell the course maintainers."
        ) from None
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise AssetError(
            f"Could not download {entry.filename} from {entry.origin}: {reason}. "
            "'assets fetch' needs an internet connection; re-run it when online "
            "(files already fetched are kept and not downloaded again)."
        ) from None
