"""JSON that users send (the API's settings, motion and sweep JSON, a file's record, a preset), read safely.

Python's parser recurses once per level of nesting: 10^5 levels end in a ``RecursionError`` deep inside
it. :func:`load_json` counts the levels first, in one pass over the text, and refuses more than
:data:`MAX_JSON_DEPTH` with a message before anything is parsed (:func:`check_depth`, which the studio also
runs on every JSON request body).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .settings import SettingsError

# The deepest JSON the project reads is a file's record: record > settings > layers > a layer > its
# channels, 5 levels (a sweep of layers is as deep). Four times that is room for any honest input and
# far from the parser's recursion limit (about 1000 levels).
MAX_JSON_DEPTH = 20

# A JSON string (escapes included); the brackets inside strings do not nest anything. Written so that a match
# never fails: a string with no closing quote runs to the end, where the parser would stop too. A pattern that
# can fail is retried from every later quote, which made 16 KB of `\"\"\"...` take 2.7 s (quadratic); this
# one is linear (2 MB of them: 0.3 s).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def json_text(data: bytes) -> str:
    """``data`` decoded as Python's parser decodes bytes: UTF-8, UTF-16 or UTF-32, told by a BOM or the zero bytes.

    ``json.loads(bytes)`` (Starlette's ``request.json()``, the MCP server) picks the encoding itself, so a depth
    count of a UTF-8 decode is the count of another text: in a UTF-16 body a backslash before a quote swallows
    the quote's zero byte as an escape, and the brackets after it counted as a string's. Undecodable bytes become
    U+FFFD here, where the parser would refuse the body; no bracket or quote is lost or made that way.
    """
    return data.decode(json.detect_encoding(data), errors="replace")


def json_depth(text: str, stop_past: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``text``'s arrays and objects nest (0 for a bare value); counting stops past ``stop_past``."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_past:
                    break
        else:
            depth -= 1
    return deepest


def check_depth(text: str, what: str, hint: str = "") -> None:
    """Refuse ``text`` nested deeper than :data:`MAX_JSON_DEPTH` with a :class:`SettingsError` for ``what``.

    Nothing is parsed; ``hint`` ends the message (what to send instead). The studio checks whole request
    bodies with it too, before Gradio or the MCP server parse them.
    """
    if json_depth(text) > MAX_JSON_DEPTH:
        raise SettingsError(what, f"the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read{hint}")


def load_json(text: str | bytes, what: str, example: str = "") -> Any:
    """``text`` parsed as JSON; anything unreadable is a :class:`SettingsError` for ``what``, saying why.

    ``example`` (a JSON object as text) ends the message, so the sender sees what to send instead.
    Python's parser takes ``NaN``, ``Infinity`` and ``1e309`` (as infinity) too; the settings refuse them.
    """
    if isinstance(text, bytes):
        text = json_text(text)
    hint = f"; send an object such as {example}" if example else ""
    check_depth(text, what, f" (settings need 5 at most){hint}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SettingsError(what, f"not valid JSON ({err.msg} at character {err.pos}){hint}") from None
    except ValueError:  # Python refuses whole numbers of over 4300 digits
        raise SettingsError(what, f"the JSON holds a number too long to read{hint}") from None
