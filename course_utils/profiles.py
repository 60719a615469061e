"""Run profiles: one table of knobs for the real lesson (``full``), slow laptops (``quick``), CI (``ci``) and
plumbing checks (``smoke``).

Every notebook starts with a papermill ``parameters`` cell that names a ``PROFILE`` and the knobs
it uses, each ``None`` by default, meaning "take the profile's value".  A learner gets ``full``;
the test harness injects ``PROFILE = "ci"`` and nothing else, so a learner who sets
``PROFILE = "ci"`` runs exactly what CI runs.  The values come from the table here; a notebook
whose run in a profile differs from the table says so in its own ``setup(..., overrides={"ci":
{...}})`` call, where its reader sees it.  Nothing else changes a profile.

``quick`` is ``ci`` made larger only where a lesson's central effect needs it: it starts from the
notebook's ci values (the table's ci row and the notebook's ``overrides["ci"]``), then applies the
notebook's ``overrides["quick"]``.  A lesson whose ci run already shows its effect runs the same in both.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
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

#: What each knob's value counts, an example value, and the least value that works (:func:`check_knob`).
KNOB_VALUES: Mapping[str, tuple[str, int, int]] = MappingProxyType(
    {
        "image_size": ("pixels", 160, 32),  # the smallest input keras.applications' backbones accept
        "train_images": ("images", 600, 1),
        "val_images": ("images", 400, 1),
        "batch_size": ("images per batch", 32, 1),
        "epochs": ("epochs", 5, 1),
        "fine_tune_epochs": ("epochs", 1, 1),
        "n_photos": ("photos", 60, 8),
    }
)

#: Knobs whose value may be ``None`` in the profiles' table and a notebook's own values: "all of them".
NONE_MEANS_ALL = ("train_images", "val_images")

#: The profiles.  ``full`` is the lesson as written; ``quick`` shows a lesson's effect in a fraction of its
#: full time (``BASED_ON``; README, Measured results, says where it does not yet); ``ci`` keeps the whole harness within about 15 minutes on a
#: 2-core CPU (tests/thresholds.toml records each notebook's time); ``smoke`` only checks the plumbing.
_CI = MappingProxyType(
    dict(image_size=128, train_images=600, val_images=400, batch_size=32, epochs=5, fine_tune_epochs=1, n_photos=60)
)
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
        "quick": _CI,  # and, through BASED_ON, the notebook's ci values before its quick ones
        "ci": _CI,
        "smoke": MappingProxyType(
            dict(image_size=96, train_images=64, val_images=64, batch_size=16, epochs=1, fine_tune_epochs=1, n_photos=8)
        ),
    }
)

#: A profile that starts from another's values, the notebook's overrides for it included, before its own.
BASED_ON: Mapping[str, str] = MappingProxyType({"quick": "ci"})


def own_overrides(profile: str, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A notebook's values in ``profile``: those of the profile it is based on, then its own."""
    base = own_overrides(BASED_ON[profile], overrides) if profile in BASED_ON else {}
    return {**base, **overrides.get(profile, {})}


def _require_knobs(names: Iterable[str], where: str) -> None:
    unknown = sorted(set(names) - set(KNOBS))
    if unknown:
        raise ValueError(
            f"Unknown knob(s) {', '.join(unknown)} in {where}; the knobs are: {', '.join(KNOBS)} "
            "(defined in course_utils/profiles.py)."
        )


def check_knob(name: str, value: Any, where: str = "") -> int | None:
    """``value`` as the knob ``name`` takes it (a whole number in range, or ``None`` where that means all);
    otherwise a ``ValueError`` that names the notebook's variable (``IMAGE_SIZE``) and a value that works.

    Checked when a notebook starts (:class:`Settings`), so a mistyped knob fails at once, not as an
    unrelated error (``KeyError: 'val_loss'``, a division by zero) minutes into training.
    """
    unit, example, least = KNOB_VALUES[name]
    if value is None and name in NONE_MEANS_ALL:
        return None
    prefix = f"{where}: " if where else ""
    default = "None for the profile's value"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{prefix}{name.upper()} must be a whole number of {unit}, e.g. {example}, not {value!r} ({default})."
        )
    if value < least:
        raise ValueError(
            f"{prefix}{name.upper()} must be at least {least} {unit}, not {value}: e.g. {example} ({default})."
        )
    return int(value)


class Settings:
    """The knob values a notebook runs with: its profile's row of the table, the notebook's own
    values for that profile (``overrides``), then the values set explicitly (``None``: not set)."""

    def __init__(self, profile: str, overrides: Mapping[str, Mapping[str, Any]] | None = None, **knobs: Any):
        if profile not in PROFILES:
            raise ValueError(f"Unknown PROFILE {profile!r}: choose one of {', '.join(PROFILES)}.")
        overrides = overrides or {}
        for name, values in overrides.items():
            if name not in PROFILES:
                raise ValueError(f"overrides names {name!r}, which is not a profile ({', '.join(PROFILES)}).")
            _require_knobs(values, f"overrides[{name!r}]")
        _require_knobs(knobs, "the settings")
        self.profile = profile
        self.overridden = {  # what this notebook changes in its profile
            key: check_knob(key, value, f"overrides[{profile!r}]")
            for key, value in own_overrides(profile, overrides).items()
        }
        self._values = {**PROFILES[profile], **self.overridden}
        self._values.update({key: check_knob(key, value) for key, value in knobs.items() if value is not None})

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
