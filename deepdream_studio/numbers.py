"""Numeric controls that hand the handlers what the visitor typed, for our checks to answer in the status line.

Gradio's ``gr.Slider`` and ``gr.Number`` check a value against their bounds before any handler runs: a number
out of bounds got Gradio's red toast ("Value 0 is less than minimum value 1.") and a traceback in the server
log, an emptied box (``None``) a ``TypeError`` (``None < 1.0``) and a ``ComponentProcessingError``, and
``gr.Number`` rounded 1.5 to 2 on its own. In the browser, the slider's number box clamps what was typed to its
bounds when it loses focus, so a Dream pressed after typing 0 dreamed 1 step. Here the value reaches the
handler as it was sent (a number, or ``None`` for an empty box or text the browser could not read as one), and
the settings' own checks (``RANGES``, ``Range.check``) say what is wrong in the status line; nothing is
clamped, so Copy link never carries a value the visitor did not type.

The bounds still shape the slider (its track and thumb); :data:`HEAD` stops the number box's clamp on the page.
(The method is replaced on the instance, as in :mod:`.uploads`: Gradio writes a .pyi stub next to any module
that subclasses a component, at import time.)
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


def as_typed(component: gr.Slider | gr.Number) -> Any:
    """``component`` handing its handlers the value as sent, unchecked and unrounded (see the module's note)."""
    component.preprocess = _as_sent  # type: ignore[method-assign]
    return component


def slider(*args: Any, **options: Any) -> gr.Slider:
    """A ``gr.Slider`` (same arguments) whose value reaches the handler as typed."""
    return as_typed(gr.Slider(*args, **options))


def number(*args: Any, **options: Any) -> gr.Number:
    """A ``gr.Number`` (same arguments) whose value reaches the handler as typed."""
    return as_typed(gr.Number(*args, **options))


def _as_sent(payload: Any) -> Any:
    return payload
