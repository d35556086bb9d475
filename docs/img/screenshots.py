"""Take the README's storyboard screenshots from a built, deployed project.

    python docs/img/screenshots.py [--project-dir DIR] [--out docs/img]

Serves the storyboard over the project's publication and saves a full-page
PNG of every page with headless Chromium (Playwright); on People it rescores
the riskiest person with pay at the band midpoint, on Levers it simulates the
default lever, so the pictures show those results too.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from people_ml.project import find_project
from people_ml.storyboard import PAGE_HEADLINES, PAGES, browser

NAMES = {"runs.py": "storyboard_runs.png", "expected_pay.py": "storyboard_pay.png"}


def _what_if(page: Any) -> list[str]:
    box = page.get_by_role("spinbutton", name="Pay against band midpoint")
    box.fill("1.00")
    box.press("Tab")
    page.get_by_role("button", name="Rescore with the changes").click()
    return ["Risk after the change"]


def _lever(page: Any) -> list[str]:
    page.get_by_role("button", name="Simulate").click()
    return ["With the lever"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project-dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    project = find_project(args.project_dir, explicit=args.project_dir is not None)
    env = {**project.app_env(), "PEOPLE_ML_PUBLISH_DIR": str(project.publish_dir)}
    actions = {"people.py": _what_if, "levers.py": _lever}
    with browser.serve(env) as url:
        for page in PAGES:
            headline, charts = PAGE_HEADLINES[page]
            name = NAMES.get(page, f"storyboard_{page.removesuffix('.py')}.png")
            shot = browser.capture(
                browser.page_url(url, page),
                args.out / name,
                wait_for=[headline],
                min_charts=charts,
                width=1280,
                height=800,
                interact=actions.get(page),
            )
            print(f"{shot.screenshot}: {shot.page_height} px high")


if __name__ == "__main__":
    main()
