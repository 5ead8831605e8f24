"""The models: each network as a spec, and where its weights come from.

``zoo`` holds the specs (builder, normalization, named dream layers) and loads a network; ``weights``
reads its weights from the bundled package, torchvision or the Hugging Face Hub.

The bottom layer: imports nothing else of the engine.
"""
