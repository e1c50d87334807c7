"""The sample data set of the ``demo`` command: 300 people, generated deterministically.

``examples/data/people.csv`` is this generator's output (a test checks they agree), so the
demo works from an installed wheel too, where the examples folder is not shipped.
Columns: ``id``, ``name``, ``age`` (int), ``score`` (float), ``active`` (bool), ``joined``
(ISO date), ``city``, ``team.name`` and ``team.lead`` (a nested object), ``tags`` (a JSON
list); a few people have no ``score`` (an empty cell: the field is missing)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

SAMPLE_ROWS = 300
_FIRST = ["Ada", "Grace", "Linus", "Barbara", "Alan", "Edsger", "Margaret", "Dennis", "Ken",
          "Frances", "Donald", "Radia", "John", "Niklaus", "Karen", "Guido", "Hedy", "Tim",
          "Anita", "Bjarne", "Sophie", "Yukihiro", "Jean", "Leslie", "Shafi"]
_LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Turing", "Dijkstra", "Hamilton",
         "Ritchie", "Thompson", "Allen", "Knuth", "Perlman", "McCarthy", "Wirth",
         "Sparck-Jones", "van Rossum", "Lamarr", "Berners-Lee", "Borg", "Stroustrup", "Wilson",
         "Matsumoto", "Bartik", "Lamport", "Goldwasser"]
_CITIES = ["Oslo", "Rome", "Lisbon", "Kyoto", "Austin", "Nairobi", "Lima", "Toronto"]
_TEAMS = {"core": "Ada Lovelace", "infra": "Linus Torvalds", "research": "Barbara Liskov",
          "data": "Grace Hopper", "web": "Tim Berners-Lee"}
_TAGS = ["python", "sql", "rust", "go", "ml", "ops", "ui", "security"]
HEADER = ["id", "name", "age", "score", "active", "joined", "city", "team.name", "team.lead",
          "tags"]


def sample_csv(rows: int = SAMPLE_ROWS, seed: int = 7) -> str:
    """The sample data set as CSV text (the same text every time)."""
    rng = random.Random(seed)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)
    start = date(2015, 1, 1)
    for i in range(1, rows + 1):
        team = rng.choice(sorted(_TEAMS))
        tags = sorted(rng.sample(_TAGS, rng.randint(0, 3)))
        score = "" if rng.random() < 0.05 else f"{rng.uniform(50, 100):.1f}"
        writer.writerow([
            f"p{i:04d}",
            f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
            rng.randint(21, 68),
            score,
            "true" if rng.random() < 0.8 else "false",
            (start + timedelta(days=rng.randint(0, 3650))).isoformat(),
            rng.choice(_CITIES),
            team,
            _TEAMS[team],
            "[" + ", ".join(f'"{t}"' for t in tags) + "]",
        ])
    return buf.getvalue()


def shipped_sample() -> Path | None:
    """``examples/data/people.csv`` beside the package, when this installation has it."""
    candidate = Path(__file__).resolve().parent.parent / "examples" / "data" / "people.csv"
    return candidate if candidate.is_file() else None


__all__ = ["HEADER", "SAMPLE_ROWS", "sample_csv", "shipped_sample"]
