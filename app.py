"""DeepDream Studio: the Gradio app (UI only; the engine is deepdream_core)."""

import gradio as gr

from deepdream_core import DreamSettings, dream


def run_dream(image):
    if image is None:
        raise gr.Error("Upload a photo first.")
    return dream(image, DreamSettings())


with gr.Blocks(title="DeepDream Studio") as demo:
    photo = gr.Image(type="pil", label="Photo")
    result = gr.Image(type="pil", label="Dream")
    gr.Button("Dream").click(run_dream, photo, result, api_name="dream")

if __name__ == "__main__":
    demo.launch()
