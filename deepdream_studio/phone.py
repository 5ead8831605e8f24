"""The page on a phone (a screen under 700 px wide, where the Photo tab's two columns stack).

Stacked, the looks and the fine-tuning controls would come between the photo and Dream, a screen and a half of
them, and Dream (which sits under the result on a wider screen) would come after the result. So on a phone the two
columns open up into one (``display: contents``) and are put in a new order: the photo, the samples in one row, the
looks scrolling sideways in one row, Dream, then the look's name, the network and the layer, then the result.
Pressing Dream (or Go deeper, or Remix) scrolls to the result. The tab bar wraps instead of hiding tabs behind
"•••" (``gr.Tabs(overflow_behavior="wrap")``).
"""

PHONE_WIDTH_PX = 700

CSS = f"""
@media (max-width: {PHONE_WIDTH_PX}px) {{
  #photo {{ height: 220px !important; }}
  #layer input {{ font-size: var(--text-sm); }}  /* "blocks.4 — eyes, snouts and animal parts" on one line */
  #samples .gallery {{ flex-wrap: nowrap; }}  /* four samples in one row: none alone on a second */
  #samples .gallery-item {{ flex: 1 1 0; min-width: 0; }}
  #samples .gallery-item img {{ width: 100%; }}
  #preset-gallery .grid-container {{
    grid-template-columns: none !important; grid-auto-flow: column; grid-auto-columns: 30%;
    overflow-x: auto; scroll-snap-type: x proximity;
  }}
  #preset-gallery .gallery-item {{ scroll-snap-align: start; }}
  #preset-gallery .caption-label {{ font-size: 0.7rem; padding-inline: 3px; }}  /* "everywhere" fits a third */
  #atlas-gallery .grid-container {{ grid-template-columns: 1fr !important; }}  /* room for the descriptions */
  #photo-tab {{ flex-direction: column; flex-wrap: nowrap; }}
  #photo-column, #result-column {{ display: contents; }}
  #photo-column > *, #result-column > * {{ order: 3; }}
  #photo-column > #photo, #photo-column > #samples, #photo-column > #preset-gallery {{ order: 0; }}
  #result-column > #dream-row, #result-column > #estimate {{ order: 1; }}
  #photo-column > #preset-about, #photo-column > #preset-about ~ * {{ order: 2; }}
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
