"""Security through the running app: what Gradio serves, server paths in API inputs, share links, upload size.

Engine-level checks (weights never unpickled as code, preset and model names) are in
test_security.py; the threat model is in README.md, section Security.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file

from deepdream_core.dreaming.images import MAX_FILE_BYTES
from tests.support import REPO
from tests.support.app_server import api_call, page_inputs, queue_call
from tests.support.photos import skimage_photo

TINY = json.dumps({"max_size": 64, "steps": 1, "octaves": 1, "seed": 0})
# The controls a test sets, by elem_id, at tiny values; the others keep the page's defaults.
TINY_CONTROLS = {"max-size": 64, "steps": 1, "octaves": 1, "jitter": 0}
NOT_AN_UPLOAD = "not an uploaded file"


@pytest.fixture(scope="module")
def secret_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real photo on the server's disk, outside the app's folders: nobody may get it through the app."""
    path = tmp_path_factory.mktemp("private") / "holiday.png"
    skimage_photo("astronaut", 128).save(path)
    return path


@pytest.mark.parametrize(
    "route",
    [
        "gradio_api/file=/etc/passwd",
        "gradio_api/file=%2Fetc%2Fpasswd",
        "gradio_api/file=../../../../../etc/passwd",
        "gradio_api/file=..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "gradio_api/file/etc/passwd",
        "file=/etc/passwd",
        f"gradio_api/file={REPO}/app.py",
        "gradio_api/file=app.py",
        "gradio_api/file=./README.md",
        "gradio_api/file=deepdream_core/dreaming/images.py",
        "gradio_api/file=/proc/self/environ",
        "static/../app.py",
        "gradio_api/file={presets}/../app.py",
        "gradio_api/file={presets}/%2e%2e/app.py",
        "gradio_api/file={cache}/../app-server.log",
        "gradio_api/file={secret}",
    ],
)
def test_file_routes_refuse_everything_outside_the_apps_folders(app_server, secret_photo: Path, route: str) -> None:
    workdir = app_server.log.parent
    path = route.format(presets=REPO / "presets", cache=workdir / "gradio-cache", secret=secret_photo)
    status, body = raw_get(app_server, path)
    if path.startswith("gradio_api/file"):  # the file route itself answered, and refused
        assert status == 403 and body.startswith(b'{"detail":"File not allowed: '), (path, status, body[:200])
    else:
        assert status in (403, 404), (path, status)
    assert b"root:" not in body and b"import" not in body and b"PNG" not in body


def raw_get(app_server, path: str) -> tuple[int, bytes]:
    """GET the path exactly as written: httpx (and browsers) would resolve "../" before sending it."""
    host, port = app_server.url.removeprefix("http://").strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", "/" + path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_file_route_serves_the_allowed_folders(app_server) -> None:
    """The control for the test above: a preset thumbnail and an uploaded file are served."""
    thumbnail = REPO / "presets" / "brush-strokes.jpg"
    assert raw_get(app_server, f"gradio_api/file={thumbnail}") == (200, thumbnail.read_bytes())


@pytest.mark.parametrize("api_name", ["dream", "dream_stream"])
@pytest.mark.parametrize("slot", [0, 2, 3])  # photo, guide, mask
def test_api_inputs_refuse_server_paths(
    app_server, secret_photo: Path, api_name: str, slot: int, tmp_path: Path
) -> None:
    """A bare {"path": ...} skips Gradio's upload check; the app refuses it without opening the file."""
    photo = tmp_path / "cat.png"
    skimage_photo("chelsea", 64).save(photo)
    with photo.open("rb") as handle:  # a real upload for the other slots
        uploaded = httpx.post(f"{app_server.url}gradio_api/upload", files={"files": handle}, timeout=30).json()[0]
    messages = []
    for server_path in (
        secret_photo,
        "/etc/passwd",
        secret_photo.parent / "no-such-file.png",
        "app.py",
        "http://127.0.0.1:9/x.png",
    ):
        data = [{"path": uploaded, "meta": {"_type": "gradio.FileData"}}, TINY, None, None]
        data[slot] = {"path": str(server_path)}
        event, payload = api_call(app_server, api_name, data)
        assert event == "error", (server_path, payload)
        messages.append(payload["error"])
    # One message for all: it neither reads the file nor tells whether it exists.
    name = {0: "photo", 2: "guide", 3: "mask"}[slot]
    assert set(messages) == {
        f"{name}: {NOT_AN_UPLOAD}. Upload the image (with gradio_client: handle_file(path)); "
        f"paths on the server are not read"
    }


@pytest.mark.parametrize("api_name", ["animate", "dream_video"])
def test_motion_inputs_refuse_server_paths(
    app_server, tmp_path_factory: pytest.TempPathFactory, secret_photo: Path, api_name: str
) -> None:
    """The animation's start image and the video tab's clip are uploads too: a server path is never read."""
    from tests.support.clips import make_clip

    secret_clip = make_clip(tmp_path_factory.mktemp("private") / "home-video.mp4")
    for server_path in (secret_photo, secret_clip, "/etc/passwd"):
        event, payload = api_call(app_server, api_name, [{"path": str(server_path)}, TINY, "{}"])
        assert event == "error", (server_path, payload)
        if api_name == "animate":
            assert payload["error"].startswith(f"photo: {NOT_AN_UPLOAD}"), payload
        else:  # gr.Video's payload is a FileData, which Gradio refuses without "meta"; uploads_only is the backstop
            assert payload == {"error": None}


def test_a_server_path_marked_as_a_file_is_refused_by_gradio(app_server, secret_photo: Path) -> None:
    event, payload = api_call(
        app_server, "dream", [{"path": str(secret_photo), "meta": {"_type": "gradio.FileData"}}, TINY, None, None]
    )
    assert event == "error" and payload == {"error": None}  # Gradio's own check; it does not say why


@pytest.mark.parametrize(
    ("handler", "inputs"),
    [
        ("dream_ui", lambda p: {"photo": p, **TINY_CONTROLS}),  # the Dream button
        ("deeper_ui", lambda p: {"dream-result": p, **TINY_CONTROLS}),  # Go deeper: dreams the result image
        ("photo_changed", lambda p: {"photo": p}),  # shows the photo under the mask brush, at up to 1024 px
        ("dream_ui", lambda p: {"mask": {"background": p, "layers": [p], "composite": p}, **TINY_CONTROLS}),  # brush
    ],
)
def test_browser_handlers_refuse_server_paths(app_server, secret_photo: Path, handler: str, inputs) -> None:
    """The page's own handlers are not in the API docs, but anyone can post to them as the page does."""
    message = queue_call(app_server, handler, page_inputs(app_server, handler, inputs({"path": str(secret_photo)})))
    assert message["success"] is False and "data" not in message["output"]
    if "mask" in inputs("x"):
        assert message["output"]["error"] is None  # Gradio's own check: an editor's files must carry "meta"
    else:
        assert NOT_AN_UPLOAD in message["output"]["error"]


def test_upload_checks_hold_after_the_page_has_updated_its_inputs(
    app_server, secret_photo: Path, tmp_path: Path
) -> None:
    """One visitor's session: a handler that updates the photo and guide boxes (a share link as the page opens, a
    new photo) made Gradio rebuild them, without the checks that were set on the first instance."""
    import uuid

    session = uuid.uuid4().hex
    photo = tmp_path / "cat.png"
    skimage_photo("chelsea", 64).save(photo)
    with photo.open("rb") as handle:
        uploaded = httpx.post(f"{app_server.url}gradio_api/upload", files={"files": handle}, timeout=30).json()[0]
    upload = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
    assert queue_call(app_server, "restore_link", [], query="steps=2", session=session)["success"] is True
    changed = queue_call(
        app_server, "photo_changed", page_inputs(app_server, "photo_changed", {"photo": upload}), session=session
    )
    assert changed["success"] is True
    for slot in ("photo", "guide"):
        inputs = {"photo": upload, **TINY_CONTROLS, slot: {"path": str(secret_photo)}}
        message = queue_call(app_server, "dream_ui", page_inputs(app_server, "dream_ui", inputs), session=session)
        assert message["success"] is False and NOT_AN_UPLOAD in message["output"]["error"], (slot, message)


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "..%2F..%2Fapp", "../app-server.log"])
def test_a_share_link_preset_with_a_path_is_an_unknown_preset(app_server, value: str) -> None:
    query = httpx.QueryParams({"preset": value})
    message = queue_call(app_server, "restore_link", [], query=str(query))
    assert message["success"] is True
    note = message["output"]["data"][-1]
    assert note["visible"] is True and f"Look: there is no look called '{value}' here" in note["value"]
    assert "root:" not in json.dumps(message) and "Running on" not in json.dumps(message)


def test_uploads_over_the_size_limit_are_refused(app_server, tmp_path: Path) -> None:
    big = tmp_path / "huge.jpg"
    with big.open("wb") as handle:  # sparse: MAX_FILE_BYTES + 1 bytes long, no disk space used
        handle.truncate(MAX_FILE_BYTES + 1)
    with big.open("rb") as handle:
        response = httpx.post(f"{app_server.url}gradio_api/upload", files={"files": handle}, timeout=120)
    assert response.status_code == 413
    assert response.text == f"File size exceeded maximum allowed size of {MAX_FILE_BYTES} bytes."
    # gradio_client reads the limit from the app and says so before sending anything.
    with pytest.raises(ValueError, match=f"exceeds the maximum file size of {MAX_FILE_BYTES} bytes"):
        Client(app_server.url, verbose=False).predict(handle_file(str(big)), TINY, None, None, api_name="/dream")
