"""The models: each network as a spec, and where its weights come from.

``zoo`` holds the specs (builder, normalization, named dream layers) and loads a network; ``weights``
reads its weights from the bundled package, torchvision or the Hugging Face Hub. ``echo`` is how every
message of the engine and the studio quotes a user's value, cut short (here because the zoo quotes one first).

The bottom layer: imports nothing else of the engine.
"""
