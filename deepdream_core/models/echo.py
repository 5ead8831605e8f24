"""How a message quotes what a user sent: the value as typed, cut to a readable length.

A share link, a file's record or an API call may hold a value of any length (an 8 KB model name, a
list of a million numbers); a note that quotes it whole buries the point. Every message of the engine
and the studio that echoes a user's value goes through :func:`echo`. It lives in the bottom layer
because the zoo is the first to quote one (a model name), and every layer above may import it.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

# Characters of a value a message shows: a long model or layer name fits (the longest in timm are ~45).
ECHO_CHARS = 60
# A whole number longer than this (about 60 digits) is described, not written out; the repr of one over
# 4300 digits even fails.
_LONG_NUMBER_BITS = 200

_CONTAINERS = reprlib.Repr()  # its attributes, not keywords: Python 3.10 (the Space's) has no keywords
_CONTAINERS.maxlevel, _CONTAINERS.maxlist, _CONTAINERS.maxtuple, _CONTAINERS.maxdict = 2, 6, 6, 4
_CONTAINERS.maxstring, _CONTAINERS.maxother, _CONTAINERS.maxlong = 30, 30, 30


def shorten(text: str, limit: int = ECHO_CHARS) -> str:
    """``text`` as it is when short; else its start, an ellipsis and how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def echo(value: Any, limit: int = ECHO_CHARS) -> str:
    """``value`` as a message quotes it (``repr``), cut to about ``limit`` characters.

    NaN and the infinities are spelled as JSON and JavaScript spell them (``NaN``, ``Infinity``,
    ``-Infinity``), since that is how they arrive; ``None`` (JSON's ``null``) as "nothing"; a very long whole
    number is described by its length.
    """
    if value is None:  # JSON's null, or an emptied box on the page
        return "nothing"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _LONG_NUMBER_BITS:
        return f"a whole number of about {round(value.bit_length() * math.log10(2))} digits"
    if isinstance(value, str):
        return f"{value[:limit]!r}… ({len(value):,} characters)" if len(value) > limit else repr(value)
    try:
        text = _CONTAINERS.repr(value)  # a list or dict is cut item by item, never written out whole first
    except ValueError:  # a whole number of over 4300 digits inside it
        text = f"a {type(value).__name__} holding a very long number"
    return text if len(text) <= limit else text[:limit] + "…"
