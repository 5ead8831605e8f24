"""What dreams are read from and written to, and how looks are shared.

``clips`` (video in and out), ``records`` (the settings record inside every PNG, GIF and MP4),
``presets`` (looks as JSON files) and ``links`` (share links).

May import: ``dreaming``, ``models``.
"""
