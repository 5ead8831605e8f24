"""Dreams that move: many frames, each dreamed from the one before.

``animation`` (zoom feedback), ``video`` (a clip, frame by frame, carried along the optical flow), ``live``
(a camera, dreamed as it streams),
``flow`` (optical flow) and ``segments`` (a long clip cut into overlapping parts).

May import: ``files``, ``dreaming``, ``models``.
"""
