"""The page on a phone (a screen under 700 px wide, where the Photo tab's two columns stack).

Stacked, the twelve looks and the fine-tuning controls would come between the photo and Dream, a screen and a half
of them. So on a phone the photo box is lower, the looks scroll sideways in one row, Dream comes right after them
(the look's name, the network and the layer follow), and pressing Dream (or Go deeper, or Remix) scrolls to the
result, which is otherwise below the whole column.
"""

PHONE_WIDTH_PX = 700

CSS = f"""
@media (max-width: {PHONE_WIDTH_PX}px) {{
  #photo {{ height: 220px !important; }}
  #preset-gallery .grid-container {{
    grid-template-columns: none !important; grid-auto-flow: column; grid-auto-columns: 30%;
    overflow-x: auto; scroll-snap-type: x proximity;
  }}
  #preset-gallery .gallery-item {{ scroll-snap-align: start; }}
  #atlas-gallery .grid-container {{ grid-template-columns: 1fr !important; }}  /* room for the descriptions */
  #preset-about, #preset-about ~ * {{ order: 2; }}
  #dream-row {{ order: 1; }}
}}
"""

# Run in the browser when a dream starts: on a phone the result is below the whole left column.
SHOW_RESULT_JS = f"""
() => {{
  if (window.matchMedia("(max-width: {PHONE_WIDTH_PX}px)").matches) {{
    document.querySelector("#dream-result")?.scrollIntoView({{behavior: "smooth", block: "start"}});
  }}
}}
"""
