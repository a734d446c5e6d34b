"""The docs describe the code as it is, read the way a reader reads them.

- docs/architecture.md lists every folder of the package (`name/` at the start of an entry of its listing);
- docs/operations.md's table of commands has a row for every management command of the project;
- docs/operations.md's table of periodic jobs names every periodic job with its period.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from musanada.jobs.registry import periodic_jobs

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "musanada"
DOCS = ROOT / "docs"

FOLDERS = sorted(path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__")
COMMANDS = sorted(
    path.stem for path in PACKAGE.glob("*/management/commands/*.py") if path.name != "__init__.py"
)


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    """The body of the section headed `title`, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\s*$", text, flags=re.M)
    assert match, f"no section “{title}”"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", flags=re.M).search(text, match.end())
    return text[match.end() : end.start() if end else len(text)]


def _table_rows(text: str) -> list[list[str]]:
    """The cells of every table row in `text` (header and separator rows included); `\\|` stays in a cell."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def _architecture_listing() -> str:
    text = _read("architecture.md")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    listings = [block for block in blocks if block.startswith("musanada/\n")]
    assert listings, "docs/architecture.md has no listing that starts with musanada/"
    return listings[0]


def test_the_package_has_folders_and_commands():
    # Guards the two tests below against passing on nothing.
    assert "tickets" in FOLDERS
    assert "close-resolved" in COMMANDS


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_package_folder_is_in_the_architecture_listing(folder):
    entries = re.findall(r"^  ([\w.-]+)/(?=\s)", _architecture_listing(), flags=re.M)
    assert folder in entries, f"musanada/{folder}/ is not described in docs/architecture.md's listing"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_management_command_is_in_the_operations_commands_table(command):
    rows = _table_rows(_section(_read("operations.md"), "Commands"))
    first_cells = [row[0] for row in rows if row]
    pattern = re.compile(rf"`musanada {re.escape(command)}(?=[\s`])")
    assert any(pattern.search(cell) for cell in first_cells), (
        f"`musanada {command}` has no row in the table of docs/operations.md, section “Commands”"
    )


def _period(every: timedelta) -> str:
    """A period as the docs write it: "2 minutes", "1 day"."""
    seconds = int(every.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" + ("s" if count != 1 else "")
    raise AssertionError(every)


def test_every_periodic_job_is_in_the_operations_jobs_table_with_its_period():
    jobs = periodic_jobs()
    assert jobs
    rows = _table_rows(_section(_read("operations.md"), "Background jobs"))
    documented = {row[0].strip("`"): row[1] for row in rows if len(row) >= 2 and row[0].startswith("`")}
    expected = {job.name: _period(job.every) for job in jobs}
    assert {name: documented.get(name) for name in expected} == expected
