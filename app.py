"""DeepDream Studio: ``python app.py`` serves the app at http://127.0.0.1:7860 (Hugging Face Spaces runs this file).

The studio lives in ``deepdream_studio/`` and the engine in ``deepdream_core/``; this file only builds the page
(``demo``, the name Gradio's reload mode and Spaces look for) and launches it.
"""

from deepdream_studio import StudioConfig, build_demo, launch

config = StudioConfig.from_env()
demo = build_demo(config)

if __name__ == "__main__":
    launch(demo, config)
