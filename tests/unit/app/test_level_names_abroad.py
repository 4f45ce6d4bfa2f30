"""Presets name their levels abroad in the election's words, and the names they had before still
find the level (a store keeps the definition it was loaded with): ``results --level``,
``forensics --by`` and the API's ``level=`` all match through ``app.level_names``."""

from __future__ import annotations

from importlib import resources

import pytest

from escrutinio.app.level_names import matching_level, words
from escrutinio.formats.definition import load_definition

PRESETS = sorted(
    p.name.removesuffix(".toml") for p in resources.files("escrutinio.presets").iterdir() if p.name.endswith(".toml")
)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_level_abroad_is_one_spelling(preset: str) -> None:
    """A level's name is words or an identifier, never both (``territorial_commission abroad``)."""
    election, _ = load_definition(preset)
    for name in election.abroad_levels:
        assert not ("_" in name and " " in name), (preset, name)
        assert name == words(name) or " " not in name, (preset, name)


@pytest.mark.parametrize(
    ("preset", "abroad"),
    [
        ("bolivia-2019-first-round", ("department abroad", "province abroad", "municipality abroad")),
        ("russia-2012-presidential", ("territory abroad", "territorial commission abroad")),
        ("peru-2021-runoff", ("continent", "country", "city")),
    ],
)
def test_the_presets_name_their_levels_abroad_as_the_election_does(preset: str, abroad: tuple[str, ...]) -> None:
    assert load_definition(preset)[0].abroad_levels == abroad


@pytest.mark.parametrize(
    ("typed", "names", "found"),
    [
        ("region abroad", ["region", "territory abroad"], "territory abroad"),  # a script of before, a new store
        ("Region  Abroad", ["department", "department abroad"], "department abroad"),
        ("territory abroad", ["region", "region abroad"], "region abroad"),  # the new name, a store of before
        ("department abroad", ["department", "region abroad"], "region abroad"),
        ("territorial_commission abroad", ["territorial commission abroad"], "territorial commission abroad"),
        ("territorial commission abroad", ["territorial_commission abroad"], "territorial_commission abroad"),
        ("region", ["region", "territory abroad"], "region"),
        ("region abroad", ["region", "district"], None),
    ],
)
def test_a_former_name_finds_the_level_and_the_present_one_a_former_store_s(
    typed: str, names: list[str], found: str | None
) -> None:
    assert matching_level(typed, names) == found
