"""Two ``servanda load`` at once, on SQLite and PostgreSQL: they take turns (the second waits for
the first), both succeed, and every stored row's columns agree with its stored record and hash.

Before loads took a lock, PostgreSQL answered one of them with a raw duplicate-key error, and on
both backends a row could end with its columns from one file and its record and hash from the
other, after which "nothing changed" hid it."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from servanda.services import configuration
from servanda.storage.database import transaction
from servanda.storage.repositories.mapping import content_hash
from servanda.storage.tables import NodeRow, PartyRow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metro-isp"
NOW = datetime(2024, 4, 1, tzinfo=UTC)


def variant(root: Path, suffix: str) -> Path:
    """The example with every party and service renamed ``… suffix``."""
    target = root / suffix
    shutil.copytree(EXAMPLE, target)
    for name in ("parties.yaml", "catalog.yaml"):
        path = target / name
        lines = path.read_text(encoding="utf-8").splitlines()
        renamed = [
            f"{line} {suffix}" if line.strip().startswith("name:") else line for line in lines
        ]
        path.write_text("\n".join(renamed) + "\n", encoding="utf-8")
    return target


@pytest.mark.parametrize("preloaded", [False, True], ids=["empty", "updating"])
def test_two_loads_at_once_take_turns_and_rows_agree_with_their_records(
    engine: Engine, tmp_path: Path, preloaded: bool
) -> None:
    if preloaded:  # both loads then update the same rows
        configuration.load(engine, [EXAMPLE], NOW)
    folders = [variant(tmp_path, "A"), variant(tmp_path, "B")]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def load(folder: Path) -> None:
        start.wait()
        try:
            configuration.load(engine, [folder], NOW)
        except BaseException as exc:  # reported below, with the other thread's outcome
            errors.append(exc)

    workers = [threading.Thread(target=load, args=(f,)) for f in folders]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert errors == []
    with transaction(engine) as session:
        parties = session.scalars(select(PartyRow)).all()
        nodes = session.scalars(select(NodeRow)).all()
        assert parties
        for row in [*parties, *nodes]:
            assert row.name == row.record["name"], row.id
            assert row.content_hash == content_hash(row.record), row.id
        # Whichever came second wins, whole: one variant's names throughout.
        suffixes = {row.name.rsplit(" ", 1)[-1] for row in parties}
        assert len(suffixes) == 1
        assert suffixes <= {"A", "B"}
