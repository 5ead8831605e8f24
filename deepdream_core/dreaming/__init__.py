"""What a dream is, and the loop that makes one.

``settings`` (the one validated settings object and its ranges), ``json_input`` (JSON from users, its
nesting checked before it is parsed), ``images`` (a user's picture, checked
and sized), ``objectives`` (scalars of activations), ``transforms`` (jitter, blur, octaves, tiles),
``hooks``, ``wrap``, ``parameterization``, ``color``, ``devices`` (device and precision), ``network`` (a
network to dream with: its module, normalization, activations and CUDA graphs), ``loop`` (the dream:
gradient ascent, octave by octave), ``dreamer`` (the :class:`Dreamer`, a network that builds the
objective and runs the loop) and ``cache`` (the process's dreamers, one per model and device).

May import: ``models``.
"""
