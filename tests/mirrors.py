"""Tiny synthetic asset mirrors for the unit tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def make_mirror(
    root: Path,
    files: dict[str, bytes] | None = None,
    aliases: dict[str, list[str]] | None = None,
    bad_hash: set[str] = frozenset(),
) -> Path:
    """A mirror at ``root`` with ``files`` ({"models/x.h5": b"..."}) and a manifest describing them."""
    files = files or {"models/weights_224_no_top.h5": b"weights" * 100, "datasets/data.zip": b"zipbytes"}
    aliases = aliases or {}
    entries = []
    for rel, payload in files.items():
        subdir, name = rel.rsplit("/", 1)
        path = root / "keras" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(payload)
        digest = hashlib.sha256(payload).hexdigest()
        entries.append(
            {
                "path": f"keras/{rel}",
                "cache_subdir": subdir,
                "filename": name,
                "sha256": "0" * 64 if rel in bad_hash else digest,
                "bytes": len(payload),
                "origin": f"http://127.0.0.1:9/{name}",
                "provenance": "reconstructed" if "weights" in name else "official",
                "aliases": aliases.get(rel, []),
            }
        )
    (root / "manifest.json").write_text(json.dumps({"description": "test mirror", "files": entries}))
    return root


def read_only(monkeypatch, home: Path) -> None:
    """Make ``home`` look like a read-only mount, as ``os.access`` reports it (root may write anywhere else)."""
    import os

    real = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(path).resolve() == Path(home).resolve():
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)
