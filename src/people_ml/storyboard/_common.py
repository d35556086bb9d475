"""What every storyboard page shares: loading the publication, picking a model."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from people_ml.ml import FeatureSchema
from people_ml.publish import (
    PublicationError,
    PublicationNotFoundError,
    open_publication,
    publish_dir,
    read_publication,
)
from people_ml.storyboard import access, charts, data, whatif
from people_ml.storyboard.access import AccessDenied, Reader
from people_ml.storyboard.data import Marts

DEPLOY_HINT = (
    "List the runs with `people-ml runs`, then deploy one with "
    '`people-ml deploy <run id> --reason "..." --apply`: the marts are rebuilt '
    "and published, and this page shows the run."
)


@st.cache_resource(max_entries=4, show_spinner=False)
def _marts(directory: str) -> Marts:
    # A publication never changes once current, so caching by folder is exact.
    return Marts(read_publication(Path(directory)))


#: Set by `people-ml storyboard`: how it serves (see MODES).
AUTH_ENV = "PEOPLE_ML_STORYBOARD_AUTH"
#: Preview the storyboard as a reader of the access seed (local serving only).
PREVIEW_ENV = "PEOPLE_ML_STORYBOARD_USER"

__all__ = ["AccessDenied", "Reader"]


#: How the storyboard is served: ``local`` (this machine only, no login) or
#: ``oidc`` (Streamlit's OpenID Connect login); `people-ml storyboard` sets it.
MODES = ("local", "oidc")
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _identity() -> str:
    """Who reads: the login's verified e-mail when served with OIDC, else the
    local owner (or the reader ``PEOPLE_ML_STORYBOARD_USER`` previews).

    Fails closed: without a mode (a bare ``streamlit run``), or in local mode
    for a browser that is not on this machine, nothing is shown.
    """
    mode = os.environ.get(AUTH_ENV, "")
    if mode not in MODES:
        st.error(
            "The storyboard was started without a serving mode: start it with "
            "`people-ml storyboard`, which checks where it may be served and "
            "with which login."
        )
        st.stop()
    if mode == "oidc":
        if not st.user.is_logged_in:
            st.title("people_ml storyboard")
            st.markdown("Sign in to see the storyboard.")
            st.button("Log in", on_click=st.login, type="primary")
            st.stop()
        email = st.user.get("email")
        if not email or st.user.get("email_verified") is False:
            st.error(
                "The login gave no verified e-mail address, which the access "
                "seed grants by: ask for the `email` scope, or use a provider "
                "that verifies addresses."
            )
            st.stop()
        return str(email)
    # A browser's address, as text; no browser (Streamlit's AppTest) gives none.
    client = st.context.ip_address
    if isinstance(client, str) and client not in LOOPBACK:
        st.error(
            f"Refused: this storyboard serves this machine only (no login), and "
            f"the request came from {client}. Configure a login to share it "
            "(README, 'Who may see whom')."
        )
        st.stop()
    return os.environ.get(PREVIEW_ENV, "").strip() or access.LOCAL_READER


def _project_root() -> Path:
    home = os.environ.get("PEOPLE_ML_HOME")
    return Path(home) if home else Path.cwd()


def reader(*, sidebar: bool = False) -> Reader:
    """The reader of this page view, with their role and divisions (read
    afresh on every call: never kept where another session could see it)."""
    identity = _identity()
    try:
        grants = access.load_grants(_project_root() / access.ACCESS_FILE)
    except access.AccessError as error:
        st.error(str(error))
        st.stop()
    current = access.reader_for(identity, grants)
    if not sidebar:
        return current
    with st.sidebar:
        if current.identity != access.LOCAL_READER:
            st.caption(f"Signed in as **{current.identity}** ({current.role}).")
            if os.environ.get(AUTH_ENV) == "oidc":
                st.button("Log out", on_click=st.logout)
    return current


def load_marts() -> Marts:
    """The current publication, resolved once for this page view; the reader
    must be signed in first when the storyboard is served with a login."""
    reader(sidebar=True)
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


def short_or_none(run_id: object) -> str:
    """A run id as the command line shows it; 'none' when missing."""
    return "none" if run_id is None or pd.isna(run_id) else short(str(run_id))


def short(run_id: str | None) -> str:
    """A run id as the command line shows it (the first 12 characters)."""
    return (run_id or "")[:12]


def min_group_size() -> int:
    """The smallest group a page shows (PEOPLE_ML_MIN_GROUP_SIZE, default 10)."""
    try:
        return data.min_group_size_setting()
    except ValueError as error:
        st.error(str(error))
        st.stop()
        raise  # st.stop() raises; this keeps type checkers content


def run_number(marts: Marts, run_id: str | None) -> str:
    """A run's number as people say it ('5'); '?' for an unknown run."""
    record = data.run_record(marts, run_id) if run_id else None
    return "?" if record is None else str(int(record["run_number"]))


def group_table(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """A :func:`data.risk_by` table with labels, not column names."""
    return pd.DataFrame(
        {
            label: frame[column],
            "Headcount": frame["headcount"].map(data.format_count),
            "Expected leavers": frame["expected_leavers"].map(data.format_decimal),
            "Expected leaver rate": frame["expected_rate"].map(data.format_share),
            "High risk": frame["high_risk_headcount"].map(data.format_count),
            "High-risk share": frame["high_risk_share"].map(data.format_share),
        }
    )


def expected_vs_actual(marts: Marts, model_key: str) -> None:
    """Leavers the shown runs expected against those who left, over time."""
    st.subheader("Expected vs actual leavers")
    realized = marts.table("fct_ml_realized_performance")
    outcomes = data.outcome_runs(realized, marts.table("dim_ml_runs"), model_key)
    known = outcomes[outcomes["months_with_outcomes"] > 0]
    if not known.empty:
        run = known.iloc[0]
        run_id = str(run["run_id"])
        horizon = int(run["label_horizon_months"])
        summary = data.realized_leavers(realized, run_id)
        st.markdown(f"**{data.prediction_window(int(run['run_number']), summary)}**")
        st.altair_chart(
            charts.leaver_trend_chart(data.leaver_trend(realized, run_id), horizon),
            width="stretch",
        )
        st.caption(
            "Actual: the people who have resigned since the prediction. "
            "Expected: the model's predicted leavers by each month. The shaded "
            "band is what chance alone allows (95%); the Monitoring page has more."
        )
        return
    events = data.test_period_events(marts, model_key)
    if events.empty:
        st.caption(
            "No outcomes yet: actual leavers appear here month by month after "
            "the prediction date, as new HRIS extracts arrive."
        )
        return
    st.altair_chart(charts.test_events_bar(events), width="stretch")
    st.caption(
        "No outcomes for the shown run yet (they arrive month by month). Until "
        "then, the test period: the people employed on its date, the leavers "
        "the model expected among them and those who actually left, within "
        "each window."
    )


def importance_table(importance: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The Drivers page's importance, in words."""
    label = importance.get("feature_label", importance["feature"])
    return pd.DataFrame(
        {
            "Feature": label,
            "What it is": importance.get("feature_description", ""),
            f"Average effect ({unit})": importance["effect"].round(2),
            "95% interval": [
                f"{low:,.2f} to {high:,.2f}" if pd.notna(low) else "n/a"
                for low, high in zip(
                    importance["effect_lower"], importance["effect_upper"], strict=True
                )
            ],
            "Share of all effects": importance["importance_share"].map(
                data.format_share
            ),
            "Direction": importance["direction"],
            "Why": importance.get("direction_reason", ""),
        }
    )


@st.cache_resource(max_entries=4, show_spinner=False)
def _shown_model(directory: str, model_key: str) -> whatif.RunModel:
    return whatif.run_model(_marts(directory), model_key)


def shown_model(marts: Marts, model_key: str) -> whatif.RunModel:
    """The shown run's verified model (its schema read once per publication)."""
    return _shown_model(str(marts.publication.directory), model_key)


def same_value(new: object, old: object) -> bool:
    """Whether a widget's value is the feature's value (missing == missing)."""
    if pd.isna(old):
        return new is None or bool(pd.isna(new))
    if new is None:
        return False
    if isinstance(new, int | float) and not isinstance(new, bool):
        return abs(float(new) - float(old)) < 1e-9  # type: ignore[arg-type]
    return bool(new == old)


def feature_input(
    box: DeltaGenerator,
    schema: FeatureSchema | None,
    label: str,
    unit: str,
    current: object,
    *,
    key: str,
) -> object:
    """A widget in ``box`` (a column) for one feature of a what-if, by its
    unit and the model's schema of it."""
    kind = schema.kind if schema is not None else "numeric"
    if kind == "boolean" or unit == "flag":
        return box.checkbox(
            label, value=bool(current) if pd.notna(current) else False, key=key
        )
    if kind == "categorical":
        options = list((schema.categories if schema is not None else None) or [])
        if pd.notna(current) and current not in options:
            options.insert(0, current)
        return box.selectbox(
            label,
            options,
            index=options.index(current) if current in options else 0,
            key=key,
        )
    levels = schema.levels if schema is not None else None
    missing = not pd.notna(current)
    if unit == "rating" and levels:
        options: list[float | None] = [float(level) for level in levels]
        value = None if missing else float(current)
        if value not in options:
            options.append(value)
        ordered = sorted(o for o in options if o is not None)
        return box.select_slider(
            label,
            options=[None, *ordered] if missing else ordered,
            value=value,
            key=key,
            format_func=lambda v: "missing" if v is None else f"{v:g}",
        )
    step = {"ratio": 0.01, "percent": 0.01, "currency": 1000.0}.get(unit, 1.0)
    return box.number_input(
        label,
        value=None if missing else float(current),
        step=step,
        format="%.2f" if step < 1 else "%.0f",
        key=key,
    )


def pay_gap_table(frame: pd.DataFrame, column: str, label: str) -> pd.DataFrame:
    """A :func:`data.pay_gap_by` table with labels, not column names."""
    return pd.DataFrame(
        {
            label: frame[column],
            "People": frame["headcount"].map(data.format_count),
            "Gap to expected": frame["average_residual_share"].map(
                lambda v: f"{v:+.1%}"
            ),
            "95% interval": [
                f"{low:+.1%} to {high:+.1%}"
                for low, high in zip(
                    frame["gap_lower"], frame["gap_upper"], strict=True
                )
            ],
            "Average pay": frame["average_actual_pay"].map(data.format_money),
        }
    )
