"""How long the Chinese catalog takes to load: compiled from the .po (first run, or after an edit) and from the
per-user cache (every other run). `python bench/bench_i18n.py`."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import i18n  # noqa: E402


def load_ms() -> float:
    i18n._translations.clear()
    started = time.perf_counter()
    i18n.translations("zh")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    import os

    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        i18n.translations("zh")  # Babel imported once, as in a real first run
        compiled = []
        for _ in range(5):
            for stale in Path(cache, "duban").glob("*.mo"):
                stale.unlink()
            compiled.append(load_ms())
        cached = [load_ms() for _ in range(20)]
    from i18n.catalog import current

    messages = sum(1 for m in current() if m.id)
    print(f"Chinese catalog, {messages} messages: compiled from the .po {statistics.median(compiled):.1f} ms, "
          f"from the cache {statistics.median(cached):.2f} ms (medians)")


if __name__ == "__main__":
    main()
