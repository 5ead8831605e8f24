"""The work built on dreams: many of them, sheets of them, and how long they take.

``batch`` (many images, here) and ``cluster`` (on Ray), ``sheets`` (one photo dreamed several ways),
``atlas`` (what each layer draws), ``estimate`` and ``costs`` (how long a dream will take), ``load`` (how busy
the machine is) and ``timing`` (every photo dream timed, teaching the estimate, whatever path it came by).

May import: ``motion``, ``files``, ``dreaming``, ``models``.
"""
