"""Numeric controls that hand the handlers what the visitor typed, for our checks to answer in the status line.

Gradio's ``gr.Slider`` and ``gr.Number`` check a value against their bounds before any handler runs: a number
out of bounds got Gradio's red toast ("Value 0 is less than minimum value 1.") and a traceback in the server
log, an emptied box (``None``) a ``TypeError`` (``None < 1.0``) and a ``ComponentProcessingError``, and
``gr.Number`` rounded 1.5 to 2 on its own. In the browser, the slider's number box clamps what was typed to its
bounds when it loses focus, so a Dream pressed after typing 0 dreamed 1 step. With :func:`install`, the value
reaches the handler as it was sent (a number, or ``None`` for an empty box or text the browser could not read as
one), and the settings' own checks (``RANGES``, ``Range.check``) say what is wrong in the status line; nothing is
clamped, so Copy link never carries a value the visitor did not type.

The bounds still shape the slider (its track and thumb); :data:`HEAD` stops the number box's clamp on the page.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

# Gradio's slider clamps its number box to the bounds on "blur" (its only listener for that event). A listener
# on the window in the capture phase sees the event first and keeps it from the box; typing, the range thumb
# and every other event are untouched. Slider number boxes alone carry data-testid="number-input".
HEAD = """
<script>
window.addEventListener("blur", (event) => {
  const box = event.target;
  if (box instanceof HTMLInputElement && box.dataset.testid === "number-input") event.stopImmediatePropagation();
}, true);
</script>
"""


def install() -> None:
    """Have every ``gr.Slider`` and ``gr.Number`` of this app hand its handlers the value as sent.

    On the classes, not on each control: Gradio rebuilds a control from its constructor's arguments
    (``block.__class__(**kwargs)``) whenever a handler updates it in a session, even with ``gr.skip()`` (the
    share-link handler does so as every page opens), and a method replaced on the first instance was gone from
    the rebuilt one. Every handler that takes a numeric control reads it through the settings' checks. Called
    when the page is built, never at import.
    """
    gr.Slider.preprocess = as_sent  # type: ignore[method-assign, assignment]
    gr.Number.preprocess = as_sent  # type: ignore[method-assign, assignment]


def as_sent(self: gr.Slider | gr.Number, payload: Any) -> Any:
    """A numeric control's value as the browser (or a client) sent it: unchecked, unrounded."""
    return payload
