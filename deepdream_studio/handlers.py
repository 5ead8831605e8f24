"""How the studio's handlers are made: one error boundary, arguments bound once, notices shown.

A user error (a bad setting, an unreadable file, a model that cannot be loaded) is the user's to fix, so it is
shown as a ``gr.Error`` with the engine's own words; anything else is a bug and keeps its traceback in the log.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import gradio as gr

from deepdream_core import DeviceError, SettingsError, UnknownModelError, WeightsUnavailableError
from deepdream_core.dreaming.images import ImageInputError

from .labels import in_page_words

USER_ERRORS = (SettingsError, ImageInputError, WeightsUnavailableError, UnknownModelError, DeviceError)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def user_errors(handler: Handler) -> Handler:
    """Wrap a handler (a plain function or a generator) so user errors reach the page as ``gr.Error``."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from None

    def guarded_stream(*args: Any, **kwargs: Any) -> Any:
        try:
            yield from handler(*args, **kwargs)
        except USER_ERRORS as err:
            raise gr.Error(str(err)) from None

    return _like(handler, guarded_stream if inspect.isgeneratorfunction(handler) else guarded)


PROBLEM = "⚠️"  # starts a status line that says what went wrong


def problem(err: Exception) -> str:
    """A user error as the page's status line says it: one sentence, starting with a capital letter, naming a
    setting by its control's label (:func:`.labels.in_page_words`)."""
    return f"{PROBLEM} {sentence(in_page_words(str(err)))}"


def in_status(handler: Handler) -> Handler:
    """Wrap a page handler that returns (or yields) updates by name, so a user error is said in its status line.

    The status sits under the result, where the eye is after pressing a button; only it changes, so the page stays
    as it was before the failed action, and no toast or error badge is left to pile up over later ones.
    """
    return _saying(handler, lambda said: {"status": said})


def in_status_at(count: int, at: int) -> Callable[[Handler], Handler]:
    """:func:`in_status` for a handler with ``count`` outputs in order, the status line at index ``at``."""
    return lambda handler: _saying(handler, lambda said: tuple(said if i == at else gr.skip() for i in range(count)))


def _saying(handler: Handler, updates: Callable[[str], Any]) -> Handler:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except USER_ERRORS as err:
            return updates(problem(err))

    def guarded_stream(*args: Any, **kwargs: Any) -> Any:
        try:
            yield from handler(*args, **kwargs)
        except USER_ERRORS as err:
            yield updates(problem(err))

    return _like(handler, guarded_stream if inspect.isgeneratorfunction(handler) else guarded)


def bind(handler: Callable[..., Any], *args: Any) -> Callable[..., Any]:
    """``handler`` with its first arguments fixed (the config, the presets), for wiring an event."""

    def bound(*rest: Any, **kwargs: Any) -> Any:
        return handler(*args, *rest, **kwargs)

    def bound_stream(*rest: Any, **kwargs: Any) -> Any:
        yield from handler(*args, *rest, **kwargs)

    return _like(handler, bound_stream if inspect.isgeneratorfunction(handler) else bound, skip=len(args))


def by_component(handler: Callable[..., Any], components: Mapping[str, Any]) -> Callable[..., Any]:
    """``handler`` returning its updates by name (``{"steps": 20}``) as Gradio's dict of updates by component.

    Handlers stay plain functions of plain values (testable without a page); only the wiring knows components.
    """

    def by_name(updates: Mapping[str, Any]) -> Any:
        # No updates: one gr.skip() leaves every output as it is (Gradio reads an empty dict as one value).
        return {components[name]: value for name, value in updates.items()} or gr.skip()

    def call(*args: Any, **kwargs: Any) -> Any:
        return by_name(handler(*args, **kwargs))

    def stream(*args: Any, **kwargs: Any) -> Any:
        for updates in handler(*args, **kwargs):
            yield by_name(updates)

    return _like(handler, stream if inspect.isgeneratorfunction(handler) else call)


def _like(handler: Callable[..., Any], wrapper: Any, skip: int = 0) -> Any:
    """``wrapper`` dressed as ``handler`` minus its first ``skip`` parameters, the way Gradio reads handlers.

    Gradio finds ``gr.Progress`` by default value and ``gr.Request`` / ``gr.SelectData`` by type hint, and names
    private events after the function, so the signature, resolved type hints and name must all carry over.
    """
    signature = inspect.signature(handler)
    parameters = list(signature.parameters.values())
    functools.update_wrapper(wrapper, handler)
    wrapper.__signature__ = signature.replace(parameters=parameters[skip:])
    hints = typing.get_type_hints(handler)
    wrapper.__annotations__ = {
        name: hint for name, hint in hints.items() if name not in {p.name for p in parameters[:skip]}
    }
    return wrapper


def sentence(notice: str) -> str:
    """An engine notice or message ("the file holds several frames ...") as a sentence: capital, full stop."""
    notice = notice.strip()
    if not notice:
        return notice
    return notice[0].upper() + notice[1:] + ("" if notice[-1] in ".!?" else ".")


def quietly(notices: Iterable[str]) -> str:
    """Notices about the input (a photo scaled to the working size is normal use) as a line under the status."""
    said = " ".join(sentence(notice) for notice in notices)
    return f"  \n<small>{said}</small>" if said else ""
