"""Settings over their caps, with the message every entry point gives."""

# field, a value over its cap, the message every entry point gives
OVER = [
    ("steps", 1000, "steps: must be from 1 to 100, got 1000"),
    ("octaves", 20, "octaves: must be from 1 to 8, got 20"),
    ("max_size", 10000, "max_size: must be from 32 to 4096, got 10000"),
    ("tile_size", 16, "tile_size: must be from 64 to 2048, or auto, got 16"),
    ("step_size", -1.0, "step_size: must be from 0.01 to 20, got -1.0"),
    ("jitter", 1.5, "jitter: must be a whole number from 0 to 128, got 1.5"),
]
