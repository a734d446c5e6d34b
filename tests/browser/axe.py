"""axe-core, the accessibility checker (the npm package pinned in tests/axe), run inside a page as the tests
see it: the WCAG rules a browser can check, contrast included."""

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "axe"
SCRIPT = FOLDER / "node_modules" / "axe-core" / "axe.min.js"
# The impacts a page may not have (axe's four levels: minor, moderate, serious, critical).
BLOCKING = ("serious", "critical")

_RUN = """async (blocking) => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((violation) => blocking.includes(violation.impact))
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      where: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
    }));
}"""


@cache
def axe_script() -> str:
    """axe-core's source, installed from its lock on first use (`npm ci`); skipped without npm (not in CI)."""
    if not SCRIPT.is_file():
        if shutil.which("npm") is None:
            reason = "no `npm` on PATH to install axe-core (apt-get install nodejs npm)"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"the accessibility checks cannot run in CI: {reason}", pytrace=False)
            pytest.skip(f"accessibility checks skipped: {reason}")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FOLDER, check=True, capture_output=True)
    return SCRIPT.read_text(encoding="utf-8")


def blocking_violations(page) -> list[dict]:
    """The serious and critical accessibility violations of the page as it is now."""
    # Evaluated by the browser's debugging protocol, so the page's Content-Security-Policy does not apply.
    page.evaluate(axe_script())
    return page.evaluate(_RUN, list(BLOCKING))
