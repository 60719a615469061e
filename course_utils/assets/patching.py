"""Put a course guard in front of a library function, and take it away again: one way for every guard.

The course guards a few functions of Keras and TensorFlow Datasets (downloads, extraction, a
read-only cache).  Each guard is a wrapper made by :func:`functools.wraps`, so it carries the
library function's name and documentation and points at it through ``__wrapped__``; a mark tells
a course guard from the library's own function.  Installing again replaces the guard instead of
wrapping it twice, and every installed guard is remembered, so :func:`remove_all` can undo them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: The attribute that marks a course guard.
MARK = "__course_guard__"

#: Where a guard is installed now: (the object holding the attribute, the attribute's name).
_installed: list[tuple[Any, str]] = []


def is_guard(function: object) -> bool:
    """Whether ``function`` is a course guard (made by :func:`install`)."""
    return bool(getattr(function, MARK, False))


def unwrapped(function: Callable) -> Callable:
    """The library's own function behind any course guards."""
    while is_guard(function):
        function = function.__wrapped__  # type: ignore[attr-defined]
    return function


def guard(original: Callable, wrapper: Callable) -> Callable:
    """``wrapper`` marked as the course's guard of ``original`` (its name, documentation, ``__wrapped__``)."""
    wrapper = functools.wraps(original)(wrapper)
    setattr(wrapper, MARK, True)
    return wrapper


def install(owner: Any, attribute: str, make_wrapper: Callable[[Callable], Callable]) -> Callable:
    """Put ``make_wrapper(original)`` at ``owner.attribute`` in place of the library's function; return it.

    Idempotent: a course guard already there is replaced, never wrapped again.
    """
    original = unwrapped(getattr(owner, attribute))
    wrapper = guard(original, make_wrapper(original))
    place(owner, attribute, wrapper)
    return wrapper


def place(owner: Any, attribute: str, wrapper: Callable) -> None:
    """Put the guard ``wrapper`` (already made) at ``owner.attribute`` too, remembered for :func:`remove_all`."""
    setattr(owner, attribute, wrapper)
    if not any(held is owner and name == attribute for held, name in _installed):
        _installed.append((owner, attribute))


def remove(owner: Any, attribute: str) -> None:
    """Put the library's own function back at ``owner.attribute`` if a course guard is there."""
    current = getattr(owner, attribute, None)
    if is_guard(current):
        setattr(owner, attribute, unwrapped(current))
    _installed[:] = [(held, name) for held, name in _installed if not (held is owner and name == attribute)]


def remove_all() -> None:
    """Take away every guard installed and not removed yet (the unit tests call it after each test)."""
    for owner, attribute in list(_installed):
        remove(owner, attribute)
