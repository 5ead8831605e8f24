"""The page on a phone (a screen under 700 px wide, where the Photo tab's two columns stack).

Stacked, the looks and the fine-tuning controls would come between the photo and Dream, a screen and a half of
them, and the result would come after them all, far from Dream and Stop. So on a phone the two columns open up
into one (``display: contents``) and are put in a new order: the photo, the samples in one row, the looks scrolling
sideways in one row, Dream and Stop, the estimate, the result (hidden while it is empty), the status line and what
acts on a result; then the look's name, the network, the layer. Pressing Dream (or Go deeper, or Remix) scrolls
Dream's row to the top of the screen, so the growing picture, its status and Stop are in view together for the whole
run (an instant scroll: a smooth one was cut short by the page's first update and left the page where it was).
A refused photo's message is brought into view too. The tab bar wraps instead of hiding tabs behind "•••"
(``gr.Tabs(overflow_behavior="wrap")``).
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
  #photo-column > *, #result-column > * {{ order: 5; }}
  #photo-column > #photo, #photo-column > #samples, #photo-column > #preset-gallery {{ order: 0; }}
  #result-column > #dream-row {{ order: 1; flex-wrap: nowrap; }}  /* "Dreaming…" and Stop side by side */
  #dream-row > button {{ min-width: 0 !important; flex: 1 1 0; }}
  #result-column > #estimate {{ order: 2; }}
  #result-column > #dream-result {{ order: 3; }}
  #result-column > #dream-result:not(:has(img)) {{ display: none; }}  /* no empty frame between Dream and status */
  #photo-column > #preset-about, #photo-column > #preset-about ~ * {{ order: 6; }}
}}
"""

# Run in the browser when a dream starts: on a phone, Dream's row (Stop in it) at the top of the screen, the
# estimate, the picture and the status line under it. Instant: a smooth scroll was cut short by the page's update.
# Scroll anchoring off: when the picture appeared above the status line, the browser scrolled the page by the
# picture's height to keep the status where it was, pushing the picture off the top. (Set here: Gradio scopes the
# rules of a media query in the app's CSS to its own container, where they cannot reach the document.)
SHOW_RESULT_JS = f"""
() => {{
  if (window.matchMedia("(max-width: {PHONE_WIDTH_PX}px)").matches) {{
    document.documentElement.style.overflowAnchor = "none";
    const row = document.querySelector("#dream-row");
    if (row) window.scrollTo({{top: row.getBoundingClientRect().top + window.scrollY - 8, behavior: "instant"}});
  }}
}}
"""

# Run after a new photo was read: on a phone, a refusal's message (the status line) scrolled into view, as little
# as it takes, so the photo box stays in view above it.
SHOW_STATUS_JS = f"""
() => {{
  const status = document.querySelector("#status");
  if (window.matchMedia("(max-width: {PHONE_WIDTH_PX}px)").matches && status?.innerText.trim().startsWith("⚠️")) {{
    status.scrollIntoView({{block: "nearest", behavior: "instant"}});
  }}
}}
"""
