"""config.example.toml documents every key, each with a comment, and loads as-is."""

from pathlib import Path

from store.config import DEFAULTS, load_config

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_loads_and_matches_defaults():
    cfg = load_config(EXAMPLE, environ={})
    assert cfg.values == DEFAULTS


def test_every_key_is_documented_with_a_comment():
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for section, keys in DEFAULTS.items():
        assert f"[{section}]" in lines
        for key in keys:
            index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
            above = lines[index - 1]
            assert above.startswith("#") or lines[index - 2].startswith("#"), key
