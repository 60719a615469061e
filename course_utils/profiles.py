"""Run profiles: one table of knobs for the real lesson (``full``), CI (``ci``) and plumbing checks (``smoke``).

Every notebook starts with a papermill ``parameters`` cell that names a ``PROFILE`` and the knobs
it uses, each ``None`` by default, meaning "take the profile's value".  A learner gets ``full``;
the test harness injects ``PROFILE = "ci"``.  The values live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

#: The seed of every random generator (``setup``) and of dataset shuffling and splits.
DEFAULT_SEED = 42

#: What each knob means.  A notebook may only ask for knobs listed here.
KNOBS: Mapping[str, str] = MappingProxyType(
    {
        "image_size": "side of the square input images, in pixels",
        "train_images": "training images used (None: all of them)",
        "val_images": "validation images used (None: all of them)",
        "batch_size": "images per batch",
        "epochs": "epochs of training a new head (phase 1)",
        "fine_tune_epochs": "epochs of fine-tuning (phase 2)",
        "n_photos": "photos classified and scored in demonstrations (at least 8)",
    }
)

#: The profiles.  ``full`` is the lesson as written; ``ci`` must keep the whole harness within
#: about 15 minutes on a 2-core CPU (caps: tests/thresholds.toml); ``smoke`` only checks the plumbing.
PROFILES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        "full": MappingProxyType(
            dict(
                image_size=160,
                train_images=None,
                val_images=None,
                batch_size=32,
                epochs=10,
                fine_tune_epochs=10,
                n_photos=200,
            )
        ),
        "ci": MappingProxyType(
            dict(
                image_size=128,
                train_images=600,
                val_images=400,
                batch_size=32,
                epochs=5,
                fine_tune_epochs=1,
                n_photos=60,
            )
        ),
        "smoke": MappingProxyType(
            dict(image_size=96, train_images=64, val_images=64, batch_size=16, epochs=1, fine_tune_epochs=1, n_photos=8)
        ),
    }
)


class Settings:
    """The knob values a notebook runs with: a profile, with the notebook's explicit overrides."""

    def __init__(self, profile: str, **overrides: Any):
        if profile not in PROFILES:
            raise ValueError(f"Unknown PROFILE {profile!r}: choose one of {', '.join(PROFILES)}.")
        unknown = sorted(set(overrides) - set(KNOBS))
        if unknown:
            raise ValueError(
                f"Unknown knob(s) {', '.join(unknown)}; the knobs are: {', '.join(KNOBS)} "
                "(defined in course_utils/profiles.py)."
            )
        self.profile = profile
        self._values = dict(PROFILES[profile])
        self._values.update({key: value for key, value in overrides.items() if value is not None})

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(f"no knob {name!r} (the knobs are: {', '.join(KNOBS)})") from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        knobs = ", ".join(f"{key}={value!r}" for key, value in self._values.items())
        return f"Settings(profile={self.profile!r}, {knobs})"
