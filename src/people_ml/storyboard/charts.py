"""Altair charts of the storyboard: frames from :mod:`.data` in, charts out."""

from __future__ import annotations

import altair as alt
import pandas as pd

# Okabe-Ito colours, told apart with every common colour-vision deficiency.
# One meaning each on every page: vermillion raises risk (or pay), blue lowers
# it; feature values are never coloured red/blue (see beeswarm).
RAISES = "#D55E00"
LOWERS = "#0072B2"
NEUTRAL = "#999999"
MIXED = "#CC79A7"
AMBER = "#E69F00"
GREEN = "#009E73"
PRIMARY = "#0072B2"
# Category axes show whole labels (a feature's label, a team's name).
LABEL_AXIS = alt.Axis(labelLimit=320)
DIRECTION_SCALE = alt.Scale(
    domain=["higher raises", "higher lowers", "mixed", "unclear"],
    range=[RAISES, LOWERS, MIXED, NEUTRAL],
)
BAND_SCALE = alt.Scale(domain=["high", "medium", "low"], range=[RAISES, AMBER, GREEN])


def risk_by_group(
    frame: pd.DataFrame,
    column: str,
    title: str,
    *,
    window: str,
    sort: str | list[str] = "-x",
) -> alt.LayerChart:
    """Expected leaver rate per group, with its headcount written beside it.

    Rates, not counts: the largest group would otherwise look worst. The
    merged row of small groups is grey.
    """
    frame = frame.assign(
        label=[
            f"{rate:.1%} of {people:,}"
            for rate, people in zip(
                frame["expected_rate"], frame["headcount"], strict=True
            )
        ]
    )
    base = alt.Chart(frame, title=title, height=alt.Step(26)).encode(
        y=alt.Y(f"{column}:N", sort=sort, title=None, axis=LABEL_AXIS),
        x=alt.X(
            "expected_rate:Q",
            title=f"Share expected to leave within {window}",
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domainMin=0),
        ),
    )
    bars = base.mark_bar().encode(
        color=alt.condition("datum.is_merged", alt.value(NEUTRAL), alt.value(PRIMARY)),
        tooltip=[
            alt.Tooltip(f"{column}:N", title="Group"),
            alt.Tooltip("headcount:Q", format=",", title="Headcount"),
            alt.Tooltip("expected_leavers:Q", format=",.1f", title="Expected leavers"),
            alt.Tooltip("expected_rate:Q", format=".1%", title="Expected rate"),
            alt.Tooltip("high_risk_headcount:Q", format=",", title="High risk"),
            alt.Tooltip("high_risk_share:Q", format=".1%", title="High-risk share"),
        ],
    )
    text = base.mark_text(align="left", dx=4, color="#333").encode(text="label:N")
    return alt.layer(bars, text)


def risk_band_bar(frame: pd.DataFrame) -> alt.Chart:
    """Headcount per risk band."""
    return (
        alt.Chart(frame, title="Headcount by risk band", height=alt.Step(30))
        .mark_bar()
        .encode(
            x=alt.X("headcount:Q", title="Headcount"),
            y=alt.Y("risk_band:N", sort=["high", "medium", "low"], title=None),
            color=alt.Color("risk_band:N", scale=BAND_SCALE, legend=None),
            tooltip=["risk_band:N", alt.Tooltip("headcount:Q", format=",")],
        )
    )


def _label_column(frame: pd.DataFrame) -> pd.Series:
    if "feature_label" in frame:
        return frame["feature_label"].fillna(frame["feature"])
    return frame["feature"]


def importance_bar(importance: pd.DataFrame, *, axis: str) -> alt.LayerChart:
    """The average size of each feature's effect with its interval, coloured
    by direction (vermillion raises, blue lowers, as everywhere)."""
    frame = importance.assign(label=_label_column(importance))
    for column in ("effect_lower", "effect_upper", "direction_reason"):
        if column not in frame:  # a publication made before intervals
            frame[column] = None
    order = frame.sort_values("importance_rank")["label"].tolist()
    base = alt.Chart(
        frame, title="What drives the predictions", height=alt.Step(24)
    ).encode(y=alt.Y("label:N", sort=order, title=None, axis=LABEL_AXIS))
    bars = base.mark_bar().encode(
        x=alt.X("effect:Q", title=axis),
        color=alt.Color("direction:N", scale=DIRECTION_SCALE, title="Direction"),
        tooltip=[
            alt.Tooltip("label:N", title="Feature"),
            alt.Tooltip("direction:N", title="Direction"),
            alt.Tooltip("direction_reason:N", title="Why"),
            alt.Tooltip("effect:Q", format=",.2f", title="Average effect"),
            alt.Tooltip("effect_lower:Q", format=",.2f", title="From"),
            alt.Tooltip("effect_upper:Q", format=",.2f", title="To"),
            alt.Tooltip("importance_share:Q", format=".1%", title="Share of all"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(
        x="effect_lower:Q", x2="effect_upper:Q"
    )
    return alt.layer(bars, whiskers)


def _zero_rule() -> alt.Chart:
    return (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color="#555", strokeDash=[4, 4])
        .encode(x="x:Q")
    )


def level_effects(
    effects: pd.DataFrame, feature: str, *, title: str, axis: str
) -> alt.LayerChart:
    """One feature's average effect per level, with intervals and head counts."""
    frame = effects[effects["feature"] == feature]
    frame = frame.assign(
        level=[
            f"{label} ({count:,} people)"
            for label, count in zip(
                frame["level_label"], frame["entity_count"], strict=True
            )
        ]
    )
    order = frame.sort_values("level_order")["level"].tolist()
    base = alt.Chart(frame, title=title, height=alt.Step(26)).encode(
        y=alt.Y("level:N", sort=order, title=None, axis=LABEL_AXIS)
    )
    bars = base.mark_bar().encode(
        x=alt.X("effect:Q", title=f"{axis}, average of the level (95% interval)"),
        color=alt.condition("datum.effect > 0", alt.value(RAISES), alt.value(LOWERS)),
        tooltip=[
            alt.Tooltip("level_label:N", title="Level"),
            alt.Tooltip("entity_count:Q", format=",", title="People"),
            alt.Tooltip("effect:Q", format=",.2f", title="Average effect"),
            alt.Tooltip("effect_lower:Q", format=",.2f", title="From"),
            alt.Tooltip("effect_upper:Q", format=",.2f", title="To"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(
        x="effect_lower:Q", x2="effect_upper:Q"
    )
    return alt.layer(bars, whiskers, _zero_rule())


def beeswarm(points: pd.DataFrame, features: list[str], *, axis: str) -> alt.Chart:
    """A beeswarm: each dot a person; right of zero raises the prediction.

    Shade is the person's value of the feature, as a percentile among
    everyone (viridis: dark low, yellow high), never red or blue, which mean
    raises and lowers; categories and missing values are grey. The dots are
    anonymous: a chart embeds every column of its frame in the page (the page
    is for any reader), so only the drawn columns go, sorted by value, with a
    jitter that links no two dots of one person.
    """
    drawn = ["feature_label", "effect", "value_percentile", "jitter"]
    # Only what is drawn, in an order set by the values alone.
    points = points[drawn].sort_values(["feature_label", "effect"])
    base = alt.Chart(
        points,
        title="How each driver's values push the prediction",
        height=alt.Step(46),
    )
    position = {
        "x": alt.X("effect:Q", title=axis),
        "y": alt.Y("feature_label:N", sort=features, title=None, axis=LABEL_AXIS),
        "yOffset": alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.6, 0.6])),
        "tooltip": [
            alt.Tooltip("feature_label:N", title="Feature"),
            alt.Tooltip("effect:Q", format=",.2f", title="Effect"),
        ],
    }
    # Two layers, so categories and missing values are grey rather than read
    # as low numbers by the colour scale.
    numbers = (
        base.mark_circle(size=18, opacity=0.75)
        .transform_filter("isValid(datum.value_percentile)")
        .encode(
            color=alt.Color(
                "value_percentile:Q",
                title="Value (percentile)",
                scale=alt.Scale(scheme="viridis", domain=[0, 1]),
                legend=alt.Legend(format=".0%"),
            ),
            **position,
        )
    )
    others = (
        base.mark_circle(size=18, opacity=0.6, color=NEUTRAL)
        .transform_filter("!isValid(datum.value_percentile)")
        .encode(**position)
    )
    return alt.layer(numbers, others, _zero_rule())


def person_drivers_bar(drivers: pd.DataFrame, *, axis: str) -> alt.Chart:
    """A person's strongest drivers as signed bars (vermillion raises)."""
    frame = drivers.assign(
        label=_label_column(drivers) + ": " + drivers["display_value"]
    )
    return (
        alt.Chart(frame, title="This person's drivers", height=alt.Step(28))
        .mark_bar()
        .encode(
            x=alt.X("effect:Q", title=axis),
            y=alt.Y(
                "label:N",
                sort=alt.SortField("driver_rank"),
                title=None,
                axis=LABEL_AXIS,
            ),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(
                    domain=["raises", "lowers", "neutral"],
                    range=[RAISES, LOWERS, NEUTRAL],
                ),
                title="Effect",
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Feature"),
                alt.Tooltip("effect:Q", format=",.2f", title="Effect"),
            ],
        )
    )


def what_if_drivers(table: pd.DataFrame, *, axis: str) -> alt.Chart:
    """A person's drivers before and after a what-if, changed ones marked."""
    rows = []
    for row in table.itertuples():
        mark = " (changed)" if row.is_changed else ""
        for when, effect, value in (
            ("Now", row.effect_before, row.Before),
            ("After the change", row.effect_after, row.After),
        ):
            rows.append(
                {
                    "feature": f"{row.Feature}{mark}",
                    "when": when,
                    "effect": float(effect),
                    "value": value,
                }
            )
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["feature"]))
    return (
        alt.Chart(frame, title="Drivers now and after the change", height=alt.Step(14))
        .mark_bar()
        .encode(
            x=alt.X("effect:Q", title=axis),
            y=alt.Y("feature:N", sort=order, title=None, axis=LABEL_AXIS),
            yOffset=alt.YOffset("when:N", sort=["Now", "After the change"]),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(
                    domain=["Now", "After the change"], range=[NEUTRAL, PRIMARY]
                ),
                title=None,
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("feature:N", title="Feature"),
                alt.Tooltip("when:N", title="When"),
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("effect:Q", format="+,.2f", title="Effect"),
            ],
        )
    )


def history_line(history: pd.DataFrame) -> alt.Chart:
    """A person's prediction across deployed runs."""
    return (
        alt.Chart(history, title="Risk across deployed runs", height=180)
        .mark_line(point=True)
        .encode(
            x=alt.X("sample_date:T", title="As of"),
            y=alt.Y(
                "prediction:Q", title="Predicted risk", axis=alt.Axis(format=".0%")
            ),
            tooltip=[
                "run_number:Q",
                "sample_date:T",
                alt.Tooltip("prediction:Q", format=".1%"),
            ],
        )
    )


METRIC_NAMES = {
    "roc_auc": "ROC AUC (ranking; 0.5 is chance)",
    "pr_auc": "PR AUC (finding leavers)",
    "brier": "Brier score (lower is better)",
    "mae": "Mean absolute error",
    "rmse": "Root mean squared error",
    "r2": "R² (share of the spread explained)",
}
SPLIT_NAMES = {"cv": "Cross-validation", "test": "Test period"}


def metric_bars(metrics: pd.DataFrame, title: str) -> alt.FacetChart:
    """Test against cross-validation values, one row and scale per metric."""
    frame = metrics.assign(
        metric=metrics["metric"].map(METRIC_NAMES).fillna(metrics["metric"]),
        split=metrics["split"].map(SPLIT_NAMES).fillna(metrics["split"]),
    )
    return (
        alt.Chart(frame, height=alt.Step(18))
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("split:N", title=None, axis=LABEL_AXIS),
            color=alt.Color(
                "split:N",
                title=None,
                scale=alt.Scale(
                    domain=list(SPLIT_NAMES.values()), range=[NEUTRAL, PRIMARY]
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("metric:N", title="Metric"),
                alt.Tooltip("split:N", title="Where"),
                alt.Tooltip("value:Q", format=".3f", title="Value"),
            ],
        )
        .facet(
            row=alt.Row(
                "metric:N",
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=260),
            ),
            title=title,
        )
        .resolve_scale(x="independent")
    )


def pay_scatter(pay: pd.DataFrame) -> alt.Chart:
    """Actual against expected pay; the diagonal is pay as the model expects."""
    high = float(
        max(pay["actual_base_salary"].max(), pay["expected_base_salary"].max())
    )
    low = float(min(pay["actual_base_salary"].min(), pay["expected_base_salary"].min()))
    dots = (
        alt.Chart(pay, title="Actual against expected base salary", height=380)
        .mark_circle(size=16, opacity=0.5)
        .encode(
            x=alt.X(
                "expected_base_salary:Q", title="Expected", scale=alt.Scale(zero=False)
            ),
            y=alt.Y(
                "actual_base_salary:Q", title="Actual", scale=alt.Scale(zero=False)
            ),
            color=alt.Color(
                "job_level:N", title="Job level", scale=alt.Scale(scheme="viridis")
            ),
            tooltip=[
                alt.Tooltip("worker_id:N", title="Worker"),
                alt.Tooltip("job_family:N", title="Job family"),
                alt.Tooltip("job_level:N", title="Job level"),
                alt.Tooltip("actual_base_salary:Q", format=",.0f", title="Actual"),
                alt.Tooltip("expected_base_salary:Q", format=",.0f", title="Expected"),
                alt.Tooltip("pay_residual_share:Q", format="+.1%", title="Gap"),
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [low, high], "y": [low, high]}))
        .mark_line(color="#555", strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    return alt.layer(dots, diagonal)


def pay_gap_bar(frame: pd.DataFrame, column: str, label: str) -> alt.LayerChart:
    """The average gap to expected pay per group, its 95% interval and head
    count (vermillion above expectation, blue below, as everywhere)."""
    frame = frame.assign(
        group=[
            f"{name} ({count:,} people)"
            for name, count in zip(frame[column], frame["headcount"], strict=True)
        ]
    )
    base = alt.Chart(
        frame, title=f"Pay against expectation by {label.lower()}", height=alt.Step(28)
    ).encode(y=alt.Y("group:N", title=None, sort=None, axis=LABEL_AXIS))
    bars = base.mark_bar().encode(
        x=alt.X(
            "average_residual_share:Q",
            title="Average gap to expected pay (95% interval)",
            axis=alt.Axis(format="+.0%"),
        ),
        color=alt.condition(
            "datum.average_residual_share < 0", alt.value(LOWERS), alt.value(RAISES)
        ),
        tooltip=[
            alt.Tooltip(f"{column}:N", title=label),
            alt.Tooltip("headcount:Q", format=",", title="People"),
            alt.Tooltip("average_residual_share:Q", format="+.2%", title="Gap"),
            alt.Tooltip("gap_lower:Q", format="+.2%", title="From"),
            alt.Tooltip("gap_upper:Q", format="+.2%", title="To"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(x="gap_lower:Q", x2="gap_upper:Q")
    return alt.layer(bars, whiskers, _zero_rule())


SPLIT_SCALE = alt.Scale(domain=["Test period", "Predict set"], range=[NEUTRAL, PRIMARY])


def group_interval_chart(
    points: pd.DataFrame, title: str, value_title: str, *, share: bool = True
) -> alt.LayerChart:
    """A figure per group and split, with its 95% interval as an error bar."""
    axis_format = ".0%" if share else "+,.0f"
    tooltip_format = ".1%" if share else "+,.0f"
    base = alt.Chart(points, title=title, height=alt.Step(20)).encode(
        y=alt.Y("group:N", title=None, sort=None),
        yOffset=alt.YOffset("split:N", sort=list(SPLIT_SCALE.domain)),
        color=alt.Color(
            "split:N",
            scale=SPLIT_SCALE,
            title=None,
            legend=alt.Legend(orient="top", direction="horizontal"),
        ),
        tooltip=[
            alt.Tooltip("group:N", title="Group"),
            alt.Tooltip("split:N", title="Where"),
            alt.Tooltip("people:Q", title="People", format=","),
            alt.Tooltip("value:Q", title=value_title, format=tooltip_format),
            alt.Tooltip("ci_low:Q", title="95% interval from", format=tooltip_format),
            alt.Tooltip("ci_high:Q", title="95% interval to", format=tooltip_format),
        ],
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=value_title, axis=alt.Axis(format=axis_format)),
        x2="ci_high:Q",
    )
    dots = base.mark_point(filled=True, size=60).encode(x="value:Q")
    return alt.layer(bars, dots)


def band_move_heatmap(moves: pd.DataFrame) -> alt.LayerChart:
    """People per band shown now and band this run would give them."""
    order = ["low", "medium", "high"]
    base = alt.Chart(moves).encode(
        x=alt.X("to_band:N", sort=order, title="This run", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("from_band:N", sort=order, title="BI shows now"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "people:Q",
            scale=alt.Scale(type="symlog", range=["#f4f8fb", "#7fb3d5"]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("from_band:N", title="BI shows now"),
            alt.Tooltip("to_band:N", title="This run"),
            alt.Tooltip("people:Q", title="People", format=","),
        ],
    )
    labels = base.mark_text(fontSize=14).encode(
        text=alt.Text("people:Q", format=","),
        color=alt.condition("datum.people > 0", alt.value("#111"), alt.value("#999")),
    )
    return alt.layer(cells, labels).properties(
        title="People per risk band: BI now and with this run",
        height=alt.Step(44),
    )


LEAVER_SCALE = alt.Scale(
    domain=["Actual leavers", "Expected leavers"], range=[PRIMARY, NEUTRAL]
)


def leaver_trend_chart(trend: pd.DataFrame, horizon: int) -> alt.LayerChart:
    """Actual against expected leavers to date, the 95% band shaded.

    ``trend`` is :func:`people_ml.storyboard.data.leaver_trend`; the x axis
    runs to the last month with outcomes (at most the ``horizon``).
    """
    last = int(trend["months_since_prediction"].max()) if len(trend) else horizon
    x = alt.X(
        "months_since_prediction:Q",
        title="Months since the prediction",
        scale=alt.Scale(domain=[0, max(last, 1)], nice=False),
        axis=alt.Axis(tickMinStep=1, format="d"),
    )
    when = alt.Tooltip("observed_through_date:T", title="Outcomes through")
    band = (
        alt.Chart(trend)
        .mark_area(color=LOWERS, opacity=0.15)
        .encode(
            x=x,
            y=alt.Y("lower:Q", title="Leavers to date"),
            y2="upper:Q",
            tooltip=[
                when,
                alt.Tooltip("lower:Q", title="Band from", format=",.1f"),
                alt.Tooltip("upper:Q", title="Band to", format=",.1f"),
            ],
        )
    )
    lines = (
        alt.Chart(trend)
        .transform_fold(["actual", "expected"], as_=["series_key", "leavers"])
        .transform_calculate(
            series="datum.series_key == 'actual' ? 'Actual leavers' : "
            "'Expected leavers'"
        )
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("leavers:Q", title="Leavers to date"),
            color=alt.Color(
                "series:N",
                scale=LEAVER_SCALE,
                title=None,
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            strokeDash=alt.condition(
                "datum.series_key == 'expected'",
                alt.value([5, 4]),
                alt.value([1, 0]),
            ),
            tooltip=[
                when,
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("leavers:Q", title="Leavers", format=",.1f"),
            ],
        )
    )
    return alt.layer(band, lines).properties(
        title="Leavers to date: actual against expected (shaded: the 95% band)",
        height=320,
    )


def test_events_bar(events: pd.DataFrame) -> alt.LayerChart:
    """Expected against actual leavers of the test period, per window."""
    order = list(dict.fromkeys(events["window"]))
    base = alt.Chart(
        events,
        title="The test period: leavers expected and leavers who left",
        height=alt.Step(16),
    ).encode(
        y=alt.Y("window:N", title="Within", sort=order, axis=LABEL_AXIS),
        yOffset=alt.YOffset("series:N", sort=["Expected", "Actual"]),
        x=alt.X("leavers:Q", title="Leavers"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "series:N",
            scale=alt.Scale(domain=["Expected", "Actual"], range=[NEUTRAL, PRIMARY]),
            title=None,
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("window:N", title="Within"),
            alt.Tooltip("series:N", title="Series"),
            alt.Tooltip("leavers:Q", title="Leavers", format=",.1f"),
        ],
    )
    text = base.mark_text(align="left", dx=4, color="#333").encode(
        text=alt.Text("leavers:Q", format=",.0f")
    )
    return alt.layer(bars, text)


DRIFT_SCALE = alt.Scale(domain=["Training data", "Now"], range=[NEUTRAL, LOWERS])


def drift_bins_chart(bins: pd.DataFrame, title: str) -> alt.Chart:
    """One feature's share of people per bin: the training data against now."""
    order = list(dict.fromkeys(bins["bin_label"]))
    return (
        alt.Chart(bins, title=title, height=alt.Step(14))
        .mark_bar()
        .encode(
            x=alt.X(
                "share:Q",
                title="Share of people",
                axis=alt.Axis(format=".0%", tickMinStep=0.01),
            ),
            y=alt.Y("bin_label:N", sort=order, title=None),
            yOffset=alt.YOffset("which:N", sort=list(DRIFT_SCALE.domain)),
            color=alt.Color(
                "which:N",
                scale=DRIFT_SCALE,
                title=None,
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("bin_label:N", title="Values"),
                alt.Tooltip("which:N", title="Where"),
                alt.Tooltip("share:Q", title="Share", format=".1%"),
            ],
        )
    )
