"""Numbers that are not numbers, JSON nested too deep, and long values echoed, through every engine path.

Each class has one root (``Range.check``, ``load_json``, ``echo``); these tests send it through every way the
engine reads it: the settings object, share links, files' records, presets, the CLI's flags, ``--settings-from``,
``sweep --set``, ``animate``/``video`` flags and ``batch``. The app's paths are in tests/studio and tests/e2e.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from deepdream_core import AnimationSettings, DreamSettings, SettingsError, UnknownModelError, VideoSettings, get_spec
from deepdream_core.cli import EXIT_BAD_INPUT, main
from deepdream_core.dreaming.json_input import MAX_JSON_DEPTH, json_depth, load_json
from deepdream_core.dreaming.settings import RANGES
from deepdream_core.files.links import from_query
from deepdream_core.files.presets import load_preset
from deepdream_core.files.records import CHUNK, settings_from_file
from deepdream_core.jobs.sheets import setting_variants
from deepdream_core.models.echo import ECHO_CHARS, echo
from deepdream_core.motion.animation import MOTION_RANGES
from deepdream_core.motion.segments import SEGMENT_RANGES, SegmentSettings

# As JSON spells them (Python's parser reads all four; 1e309 overflows to Infinity), and what messages say.
NON_FINITE = {"NaN": "NaN", "Infinity": "Infinity", "1e309": "Infinity", "-Infinity": "-Infinity"}
# Where each entry of RANGES sits in the settings: most are fields, two are inside a layer.
SETTINGS_FIELDS = sorted(set(RANGES) - {"layer_weight", "channel"})
# Deep enough that Python's parser, which recurses once per level, fails (its limit is about 1000).
DEEP = "[" * 100_000 + "]" * 100_000
LONG_NAME = "m" * 8192


def message(field: str, shown: str, bounds: str | None = None) -> str:
    rng = {**RANGES, **MOTION_RANGES, **SEGMENT_RANGES}[field]
    return f"{bounds or field}: must be a number {rng.span}, got {shown}"


def png_with_record(path: Path, text: str) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_text(CHUNK, text)
    Image.new("RGB", (16, 16), "grey").save(path, pnginfo=info)
    return path


# -- NaN and Infinity ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", SETTINGS_FIELDS)
@pytest.mark.parametrize("spelled", NON_FINITE)
def test_every_numeric_setting_refuses_nan_and_infinity_with_one_message(field: str, spelled: str) -> None:
    expected = message(field, NON_FINITE[spelled])
    number = json.loads(f'{{"v": {spelled}}}')["v"]  # as the API's JSON and a file's record hold it
    for value in (number, spelled):  # and as text: a link's query parameter, a CLI flag
        with pytest.raises(SettingsError) as refused:
            DreamSettings.from_dict({field: value})
        assert str(refused.value) == expected
    with pytest.raises(SettingsError) as direct:
        DreamSettings(**{field: number})
    assert str(direct.value) == expected
    # A link opens anyway: the value is skipped with the same message as a note.
    link = from_query({field: spelled, "steps": "7"} if field != "steps" else {field: spelled, "octaves": "3"})
    assert link.ignored == [expected]
    assert getattr(link.settings, field) == getattr(DreamSettings(), field)


@pytest.mark.parametrize("spelled", NON_FINITE)
def test_a_layers_weight_and_channels_refuse_nan_and_infinity(spelled: str) -> None:
    number, shown = json.loads(f"[{spelled}]")[0], NON_FINITE[spelled]
    weight = message("layer_weight", shown, "layers[blocks.4].weight")
    for layers, expected in (
        ([{"layer": "blocks.4", "weight": number}], weight),
        ([{"layer": "blocks.4", "channels": [3, number]}], message("channel", shown, "layers[blocks.4].channels")),
    ):
        with pytest.raises(SettingsError) as refused:
            DreamSettings.from_dict({"layers": layers})
        assert str(refused.value) == expected
    # The CLI's and links' text form of a layer, "blocks.4:WEIGHT".
    assert from_query({"layers": f"blocks.4:{spelled}"}).ignored == [weight]


@pytest.mark.parametrize("field", sorted(MOTION_RANGES))
def test_every_motion_setting_refuses_nan_and_infinity(field: str) -> None:
    settings_class = VideoSettings if field in ("blend", "max_frames", "max_side") else AnimationSettings
    for spelled, shown in NON_FINITE.items():
        for value in (json.loads(f"[{spelled}]")[0], spelled):
            with pytest.raises(SettingsError) as refused:
                settings_class.from_dict({field: value})
            assert str(refused.value) == message(field, shown)


@pytest.mark.parametrize("field", sorted(SEGMENT_RANGES))
def test_segment_settings_refuse_nan_and_infinity(field: str) -> None:
    for value, shown in ((math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity")):
        with pytest.raises(SettingsError) as refused:
            SegmentSettings(**{field: value})
        assert str(refused.value) == message(field, shown)


def test_a_record_holding_nan_opens_with_a_note(tmp_path: Path) -> None:
    record = '{"format": 1, "settings": {"steps": NaN, "max_size": 1e309, "octaves": 3}}'
    link = settings_from_file(png_with_record(tmp_path / "nan.png", record))
    assert link.ignored == [message("steps", "NaN"), message("max_size", "Infinity")]
    assert (link.settings.steps, link.settings.max_size, link.settings.octaves) == (10, 768, 3)


def test_a_preset_holding_infinity_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "odd.json").write_text('{"title": "Odd", "settings": {"octaves": Infinity}}')
    with pytest.raises(SettingsError) as refused:
        load_preset("odd", tmp_path)
    assert str(refused.value) == f"octaves: in preset 'odd': {message('octaves', 'Infinity')}"


def test_a_sweep_refuses_a_nan_value() -> None:
    with pytest.raises(SettingsError) as refused:
        setting_variants(DreamSettings(), "steps", ["5", "nan", "20"])
    assert str(refused.value) == message("steps", "NaN")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["dream", "{photo}", "-o", "{out}/o.png", "--steps", "nan"], message("steps", "NaN")),
        (["dream", "{photo}", "-o", "{out}/o.png", "--octaves", "inf"], message("octaves", "Infinity")),
        (["dream", "{photo}", "-o", "{out}/o.png", "--max-size", "1e309"], message("max_size", "Infinity")),
        (["dream", "{photo}", "-o", "{out}/o.png", "--step-size=-Infinity"], message("step_size", "-Infinity")),
        (
            ["dream", "{photo}", "-o", "{out}/o.png", "--layer", "blocks.4:nan"],
            message("layer_weight", "NaN", "layers[blocks.4].weight"),
        ),
        (["animate", "{photo}", "-o", "{out}/o.gif", "--frames", "NaN"], message("frames", "NaN")),
        (["animate", "{photo}", "-o", "{out}/o.gif", "--translate", "inf,0"], message("translate_x", "Infinity")),
        (["video", "{photo}", "-o", "{out}/o.mp4", "--blend", "nan"], message("blend", "NaN")),
        (["video", "{photo}", "-o", "{out}/o.mp4", "--segments", "inf"], message("segments", "Infinity")),
        (["batch", "{photo}", "-o", "{out}/dreams", "--steps", "Infinity"], message("steps", "Infinity")),
        (["sweep", "{photo}", "-o", "{out}/s.png", "--set", "steps=5,NaN,20"], message("steps", "NaN")),
        (
            ["sweep", "{photo}", "-o", "{out}/s.png", "--presets", "eyes,gentle", "--octaves", "nan"],
            message("octaves", "NaN"),
        ),
    ],
)
def test_the_cli_refuses_nan_and_infinity_in_one_line(
    command: list[str], expected: str, photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([part.format(photo=photo_file, out=tmp_path) for part in command])
    assert (code, capsys.readouterr().err) == (EXIT_BAD_INPUT, f"error: {expected}\n")
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_settings_from_a_file_holding_nan_dream_with_a_note(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = '{"format": 1, "settings": {"steps": NaN, "octaves": 1, "max_size": 48, "seed": 2}}'
    source = png_with_record(tmp_path / "old.png", record)
    code = main(["dream", str(photo_file), "-o", str(tmp_path / "new.png"), "--settings-from", str(source), "--quiet"])
    assert code == 0
    assert f"note: settings-from: {message('steps', 'NaN')}\n" in capsys.readouterr().err
    assert max(Image.open(tmp_path / "new.png").size) == 48


def test_settings_from_a_file_naming_a_layer_the_network_lacks_dream_with_a_note(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read like a link: the layer is refused as the file is read, and the dream runs on the network's default.
    record = '{"format": 1, "settings": {"layers": "blocks.99", "octaves": 1, "steps": 1, "max_size": 48}}'
    source = png_with_record(tmp_path / "old.png", record)
    code = main(["dream", str(photo_file), "-o", str(tmp_path / "new.png"), "--settings-from", str(source), "--quiet"])
    assert code == 0
    assert "note: settings-from: layers: model 'efficientnet_lite0' has no layer 'blocks.99'; " in (
        capsys.readouterr().err
    )
    assert max(Image.open(tmp_path / "new.png").size) == 48


# -- JSON nested too deep ----------------------------------------------------------------------------------------


def test_deep_json_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(SettingsError) as refused:
        load_json(DEEP, "settings", '{"steps": 12}')
    assert str(refused.value) == (
        f"settings: the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read (settings need 5 at most); "
        'send an object such as {"steps": 12}'
    )
    deep_object = '{"a": ' * 100_000 + "1" + "}" * 100_000
    with pytest.raises(SettingsError, match="nests deeper than"):
        load_json(deep_object, "sweep")


def test_json_as_deep_as_the_project_writes_is_read() -> None:
    record = {"format": 1, "settings": {"layers": [{"layer": "blocks.4", "weight": 1.0, "channels": [3, 7]}]}}
    assert load_json(json.dumps(record), "settings") == record
    assert json_depth(json.dumps(record)) == 5  # record > settings > layers > a layer > its channels
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth(at_limit) == MAX_JSON_DEPTH and load_json(at_limit, "x") is not None
    # Brackets inside strings (escaped quotes too) nest nothing.
    assert json_depth(json.dumps({"layer": "[[[[" * 30 + '\\"[[' + "{" * 30})) == 1


def test_a_string_with_no_closing_quote_nests_nothing_after_it() -> None:
    # The parser stops at such a string, so the brackets after it are never read; the scan treats them alike
    # (one linear pass: a pattern that retried from every quote took 2.7 s on 16 KB of escaped quotes).
    assert json_depth('[["' + "[" * 100) == 2
    assert json_depth('\\"' * 8000 + "[]") == 0  # all one unclosed string
    assert json_depth('["a\\\\", [1]]') == 2  # an escaped backslash ends before the closing quote


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_json_bytes_are_counted_in_the_encoding_the_parser_reads(encoding: str) -> None:
    # In UTF-16 or UTF-32 an escaped quote followed by a zero byte read as UTF-8 opened a string that hid the
    # deep brackets after it, while json.loads(bytes) reads the whole text as UTF-16 and recursed into them.
    hidden = '["\\"", ' + "[" * 5000 + "]" * 5000 + ', "x"]'
    with pytest.raises(SettingsError, match="nests deeper than"):
        load_json(hidden.encode(encoding), "settings")
    record = {"settings": {"steps": 12, "layer": '\\"[['}}
    assert load_json(json.dumps(record).encode(encoding), "settings") == record


def test_a_number_too_long_to_read_is_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        load_json('{"steps": ' + "9" * 5000 + "}", "settings")
    assert str(refused.value) == "settings: the JSON holds a number too long to read"


def test_a_file_or_preset_with_deep_json_opens_with_a_note_or_a_message(tmp_path: Path) -> None:
    record = '{"format": 1, "settings": {"steps": ' + "[" * 30_000 + "]" * 30_000 + "}}"  # within the 64 KB cap
    link = settings_from_file(png_with_record(tmp_path / "deep.png", record))
    assert link.settings == DreamSettings()
    assert link.ignored == [
        f"the file's settings are damaged: the JSON nests deeper than {MAX_JSON_DEPTH} levels, so it was not read "
        "(settings need 5 at most); the default settings are used"
    ]
    (tmp_path / "deep.json").write_text(DEEP)
    with pytest.raises(SettingsError) as refused:
        load_preset("deep", tmp_path)
    assert str(refused.value).startswith("preset deep: the JSON nests deeper than")


# -- echoes ------------------------------------------------------------------------------------------------------


def test_echo_cuts_long_values_and_says_how_long_they_were() -> None:
    assert echo("eyes") == "'eyes'" and echo(1000) == "1000" and echo(1.5) == "1.5"
    assert echo(LONG_NAME) == f"'{'m' * ECHO_CHARS}'… (8,192 characters)"
    assert echo(10**5000) == "a whole number of about 5000 digits"
    assert len(echo(list(range(100_000)))) <= ECHO_CHARS + 1
    assert (echo(math.nan), echo(math.inf), echo(-math.inf)) == ("NaN", "Infinity", "-Infinity")


def test_a_link_with_an_8_kb_model_name_and_key_gets_short_notes() -> None:
    link = from_query({"model": LONG_NAME, "x" * 8192: "1", "steps": LONG_NAME, "preset": LONG_NAME})
    # The preset, the unknown key, the steps; a note is at most the value's 60 characters and what is allowed.
    assert len(link.ignored) == 3 and all("(8,192 characters)" in note for note in link.ignored), link.ignored
    assert max(len(note) for note in link.ignored) < 600, link.ignored
    with pytest.raises(UnknownModelError) as unknown:  # the model is looked up when the settings are used
        get_spec(link.settings.model)
    assert len(str(unknown.value)) < 400 and "(8,192 characters)" in str(unknown.value)


def test_the_cli_echoes_a_long_value_short(
    photo_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for flags in (["--model", LONG_NAME], ["--steps", LONG_NAME], ["--layer", f"{LONG_NAME}:1:2:3"]):
        code = main(["dream", str(photo_file), "-o", str(tmp_path / "o.png"), *flags])
        error = capsys.readouterr().err
        assert code == EXIT_BAD_INPUT and " characters)" in error and len(error) < 400, error


def test_a_link_or_file_with_a_thousand_bad_entries_gets_ten_notes_and_a_count(tmp_path: Path) -> None:
    link = from_query({f"bogus{i}": "1" for i in range(1000)})
    assert len(link.ignored) == 11 and link.ignored[:2] == [
        f"bogus{i}: unknown setting; known settings are {', '.join(sorted(DreamSettings().to_dict()))}" for i in (0, 1)
    ]
    assert link.ignored[-1] == "and 990 more entries that could not be used either"
    unknown = {f"x{i}": 1 for i in range(5)}  # entries of the record itself, noted first
    record = {"format": 1, "settings": {"steps": 3, **{f"s{i}": 1 for i in range(20)}}, **unknown}
    link = settings_from_file(png_with_record(tmp_path / "many.png", json.dumps(record)))
    assert link.settings.steps == 3 and len(link.ignored) == 11
    assert link.ignored[0] == "x0: unknown entry in the file's settings, skipped"
    assert link.ignored[-1] == "and 15 more entries that could not be used either"
