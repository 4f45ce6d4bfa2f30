"""Find and read election definitions: a preset shipped with escrutinio, or a TOML file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import DefinitionError


def preset_names() -> list[str]:
    """Names of the election definitions shipped inside the package."""
    folder = resources.files("escrutinio") / "presets"
    return sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml"))


def read_definition_text(name_or_path: str) -> tuple[str, str]:
    """Return (where it came from, TOML text) for a preset name or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise DefinitionError(f"{path}: cannot read the election definition ({exc.strerror})") from None
    preset = resources.files("escrutinio") / "presets" / f"{name_or_path}.toml"
    if not preset.is_file():
        raise DefinitionError(f"{name_or_path}: no such preset or file (presets: {', '.join(preset_names())})")
    return f"preset:{name_or_path}", preset.read_text(encoding="utf-8")


def load_definition(name_or_path: str) -> tuple[Election, str]:
    """Read and parse a definition; returns the election and its exact TOML text (for the log)."""
    origin, text = read_definition_text(name_or_path)
    return election_from_toml(origin, text), text
