"""What every storyboard page shares: loading the publication, picking a model."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from people_ml.publish import (
    PublicationError,
    PublicationNotFoundError,
    open_publication,
    publish_dir,
    read_publication,
)
from people_ml.storyboard.data import Marts

DEPLOY_HINT = (
    "List the runs with `people-ml runs`, then deploy one with "
    '`people-ml deploy <run id> --reason "..." --apply`: the marts are rebuilt '
    "and published, and this page shows the run."
)

# Number formats of pay tables: money without cents, shares as percentages.
PAY_COLUMNS = {
    "actual_base_salary": st.column_config.NumberColumn(format="%,.0f"),
    "expected_base_salary": st.column_config.NumberColumn(format="%,.0f"),
    "average_actual_pay": st.column_config.NumberColumn(format="%,.0f"),
    "average_expected_pay": st.column_config.NumberColumn(format="%,.0f"),
    "pay_residual_share": st.column_config.NumberColumn(format="percent"),
    "average_residual_share": st.column_config.NumberColumn(format="percent"),
}


@st.cache_resource(max_entries=4, show_spinner=False)
def _marts(directory: str) -> Marts:
    # A publication never changes once current, so caching by folder is exact.
    return Marts(read_publication(Path(directory)))


def load_marts() -> Marts:
    """The current publication, resolved once for this page view."""
    try:
        publication = open_publication(publish_dir())
        marts = _marts(str(publication.directory))
    except (PublicationNotFoundError, PublicationError) as error:
        st.error(str(error))
        st.stop()
    with st.sidebar:
        st.caption(
            f"Marts published {publication.published_at:%Y-%m-%d %H:%M} UTC "
            f"(publication `{publication.publication_id}`). Always the latest "
            "deployed run; reload after a build to see a newer one."
        )
    return marts


def pick_model(
    marts: Marts, problem_type: str | None, *, default: str, what: str
) -> str:
    """The ML model a page shows: ``default`` unless the user picks another."""
    models = marts.shown_models(problem_type)
    if not models:
        st.info(f"No {what} model has a deployed run yet. {DEPLOY_HINT}")
        st.stop()
    if len(models) == 1:
        return models[0]
    index = models.index(default) if default in models else 0
    return st.sidebar.selectbox(
        "ML model", models, index=index, key=f"model_key_{problem_type or 'any'}"
    )


def short(run_id: str | None) -> str:
    """A run id as the command line shows it (the first 12 characters)."""
    return (run_id or "")[:12]
