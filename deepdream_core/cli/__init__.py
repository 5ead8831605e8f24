"""Command line: ``python -m deepdream_core dream|animate|video|live|batch|sweep|atlas|models|layers``.

:mod:`.args` holds what every command shares (the parser, settings from flags, exit codes); each command
module imports it and nothing imports a command module but :func:`main`. ``photo`` has ``dream``,
``models`` and ``layers``; ``motion`` ``animate`` and ``video``; ``live`` the live mirror; ``batch`` the many-image
work; ``sheets`` ``sweep`` and ``atlas``.

May import every other subpackage of the engine; nothing imports it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..dreaming.cache import set_cuda_graphs
from ..dreaming.devices import DeviceError
from ..dreaming.images import ImageInputError
from ..dreaming.settings import SettingsError
from ..jobs.batch import ClusterError
from ..models.weights import WeightsUnavailableError
from ..models.zoo import UnknownModelError
from .args import EXIT_BAD_INPUT, EXIT_NO_WEIGHTS, EXIT_STOPPED, SettingsInput, build_parser, fail
from .motion import animate_command, video_command
from .photo import dream_command, layers_command, models_command

__all__ = ["EXIT_BAD_INPUT", "EXIT_NO_WEIGHTS", "EXIT_STOPPED", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    set_cuda_graphs(getattr(args, "cuda_graphs", False))  # the one place the CLI decides it, for every command
    try:
        if args.command == "models":
            return models_command()
        if args.command == "layers":
            return layers_command(args.model)
        if args.command == "atlas":
            from .sheets import atlas_command

            return atlas_command(args)
        given = SettingsInput.from_args(args)  # the dreaming commands' one input for their settings
        if args.command == "animate":
            return animate_command(args, given)
        if args.command == "video":
            return video_command(args, given)
        if args.command == "live":
            from .live import live_command

            return live_command(args, given)
        if args.command in ("batch", "sweep"):
            from . import batch, sheets

            command = {"batch": batch.batch_command, "sweep": sheets.sweep_command}[args.command]
            return command(args, given)
        return dream_command(args, given)
    except (SettingsError, UnknownModelError, DeviceError, ImageInputError, ClusterError) as err:
        return fail(str(err), EXIT_BAD_INPUT)
    except WeightsUnavailableError as err:
        return fail(str(err), EXIT_NO_WEIGHTS)
    except KeyboardInterrupt:
        return fail("stopped", EXIT_STOPPED)
    except OSError as err:  # checked up front where it can be (output_path); a full disk shows only when written
        return fail(f"{err.filename or 'a file'}: {err.strerror or err}", 1)
