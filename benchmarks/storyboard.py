"""Publishing and storyboard timings on a built warehouse; prints figures.

    python benchmarks/storyboard.py [--project-dir DIR] [--repeat 3]

Measures, on the project's warehouse (built, with deployed runs):
- publishing every mart as Parquet (what each `dbt build` adds at its end):
  wall time and the size of each file;
- each storyboard page rendered by Streamlit's AppTest: cold (publication not
  yet loaded) and warm (cached, as for every later visitor), the median of
  ``--repeat`` runs.
Nothing is asserted; the warehouse is opened read-only and a temporary folder
takes the publication.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project-dir", default=".", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.project_dir.resolve()
    os.environ["PEOPLE_ML_HOME"] = str(root)
    os.environ["PEOPLE_ML_STORYBOARD_AUTH"] = "local"  # as people-ml serves it

    from people_ml.publish import publish_warehouse

    warehouse = root / "warehouse" / "people_ml.duckdb"
    with tempfile.TemporaryDirectory() as folder:
        destination = Path(folder) / "published"
        seconds = []
        with duckdb.connect(str(warehouse), read_only=True) as con:
            for _ in range(args.repeat):
                start = time.perf_counter()
                publication = publish_warehouse(con, destination)
                seconds.append(time.perf_counter() - start)
        print(f"publish: median {statistics.median(seconds):.2f} s over {args.repeat}")
        total = 0
        for table in publication.tables:
            size = publication.path(table).stat().st_size
            total += size
            print(
                f"  {table:<28} {publication.row_count(table):>10,} rows "
                f"{size / 1024:>9,.0f} KiB"
            )
        print(f"  {'total':<28} {'':>10} {total / 1024:>9,.0f} KiB")
        os.environ["PEOPLE_ML_PUBLISH_DIR"] = str(destination)
        _pages(args.repeat)


def _pages(repeat: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from people_ml.storyboard import APP_PATH, PAGES

    def render(page: str) -> float:
        start = time.perf_counter()
        app = AppTest.from_file(str(APP_PATH), default_timeout=600)
        if page != next(iter(PAGES)):
            app.switch_page(f"views/{page}")
        app.run()
        elapsed = time.perf_counter() - start
        if app.exception:
            raise SystemExit(f"{page}: {app.exception[0].value}")
        return elapsed

    print("storyboard pages (AppTest, seconds): cold / warm median")
    for page in PAGES:
        st.cache_resource.clear()
        cold = render(page)
        warm = statistics.median(render(page) for _ in range(repeat))
        print(f"  {page:<18} {cold:6.2f} / {warm:6.2f}")

    def click(page: str, label: str) -> float:
        """A page, then its form's button pressed: the rerun after the click."""
        app = AppTest.from_file(str(APP_PATH), default_timeout=600)
        app.switch_page(f"views/{page}")
        app.run()
        button = next(b for b in app.get("button") if label in b.label)
        button.click()
        start = time.perf_counter()
        app.run()
        elapsed = time.perf_counter() - start
        if app.exception:
            raise SystemExit(f"{page} after {label!r}: {app.exception[0].value}")
        return elapsed

    print("after a click (AppTest, seconds, warm median): rescoring with the pickle")
    click("levers.py", "Simulate")  # warm the caches
    seconds = statistics.median(click("levers.py", "Simulate") for _ in range(repeat))
    print(f"  {'levers.py':<18} {seconds:6.2f}  lever over everyone (compa-ratio 0.90)")
    _what_if(repeat)


def _what_if(repeat: int) -> None:
    """One person's what-if, as the People page runs it after its button."""
    from people_ml.publish import open_publication, publish_dir, read_publication
    from people_ml.storyboard import whatif
    from people_ml.storyboard.data import Marts

    marts = Marts(read_publication(open_publication(publish_dir()).directory))
    model = whatif.run_model(marts, "attrition")
    person = marts.predictions("attrition").sort_values("prediction").iloc[-1]

    def once() -> float:
        start = time.perf_counter()
        rows = whatif.feature_rows(marts, model, [str(person["worker_id"])])
        change = {"compa_ratio": 1.0} if "compa_ratio" in rows else {}
        whatif.what_if(model, rows, change, published=float(person["prediction"]))
        return time.perf_counter() - start

    once()
    seconds = statistics.median(once() for _ in range(repeat))
    print(
        f"  {'people.py':<18} {seconds:6.2f}  what-if, one person (rows, rescore, SHAP)"
    )


if __name__ == "__main__":
    main()
