"""Altair charts of the storyboard: frames from :mod:`.data` in, charts out."""

from __future__ import annotations

import altair as alt
import pandas as pd

RAISES = "#c0392b"
LOWERS = "#2e86c1"
NEUTRAL = "#95a5a6"
MIXED = "#8e44ad"
DIRECTION_SCALE = alt.Scale(
    domain=["higher raises", "higher lowers", "mixed", "unclear"],
    range=[RAISES, LOWERS, MIXED, NEUTRAL],
)
BAND_SCALE = alt.Scale(
    domain=["high", "medium", "low"], range=[RAISES, "#f5b041", "#58d68d"]
)


def risk_by_group(
    frame: pd.DataFrame, column: str, title: str, *, sort: str | list[str] = "-x"
) -> alt.Chart:
    """Expected leavers per group, coloured by the share at high risk."""
    return (
        alt.Chart(frame, title=title, height=alt.Step(26))
        .mark_bar()
        .encode(
            x=alt.X("expected_leavers:Q", title="Expected leavers (sum of risk)"),
            y=alt.Y(f"{column}:N", sort=sort, title=None),
            color=alt.Color(
                "high_risk_share:Q",
                title="High-risk share",
                scale=alt.Scale(scheme="orangered"),
                legend=alt.Legend(format=".0%"),
            ),
            tooltip=[
                alt.Tooltip(f"{column}:N"),
                alt.Tooltip("headcount:Q", format=","),
                alt.Tooltip("expected_leavers:Q", format=",.1f"),
                alt.Tooltip("high_risk_headcount:Q", format=","),
                alt.Tooltip("high_risk_share:Q", format=".1%"),
            ],
        )
    )


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


def importance_bar(importance: pd.DataFrame) -> alt.LayerChart:
    """Mean |SHAP| per feature with its interval, coloured by direction."""
    frame = importance.copy()
    for column in ("importance_lower", "importance_upper", "direction_reason"):
        if column not in frame:  # a publication made before intervals
            frame[column] = None
    order = frame.sort_values("importance_rank")["feature"].tolist()
    base = alt.Chart(
        frame, title="What drives the predictions", height=alt.Step(24)
    ).encode(y=alt.Y("feature:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("mean_abs_shap_value:Q", title="Mean |SHAP value| (95% interval)"),
        color=alt.Color("direction:N", scale=DIRECTION_SCALE, title="Direction"),
        tooltip=[
            "feature:N",
            "direction:N",
            alt.Tooltip("direction_reason:N", title="Why"),
            alt.Tooltip("mean_abs_shap_value:Q", format=".4f"),
            alt.Tooltip("importance_lower:Q", format=".4f", title="Lower"),
            alt.Tooltip("importance_upper:Q", format=".4f", title="Upper"),
            alt.Tooltip("importance_share:Q", format=".1%", title="Share"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(
        x="importance_lower:Q", x2="importance_upper:Q"
    )
    return alt.layer(bars, whiskers)


def level_effects(effects: pd.DataFrame, feature: str) -> alt.LayerChart:
    """One feature's mean SHAP value per level, with intervals and head counts."""
    frame = effects[effects["feature"] == feature]
    order = frame.sort_values("level_order")["level_label"].tolist()
    base = alt.Chart(
        frame, title=f"Effect of {feature} by level", height=alt.Step(26)
    ).encode(y=alt.Y("level_label:N", sort=order, title=None))
    bars = base.mark_bar().encode(
        x=alt.X(
            "mean_shap_value:Q",
            title="Mean SHAP value of the people at the level (95% interval)",
        ),
        color=alt.condition(
            "datum.mean_shap_value > 0", alt.value(RAISES), alt.value(LOWERS)
        ),
        tooltip=[
            alt.Tooltip("level_label:N", title="Level"),
            alt.Tooltip("entity_count:Q", format=",", title="People"),
            alt.Tooltip("mean_shap_value:Q", format=".3f"),
            alt.Tooltip("mean_shap_lower:Q", format=".3f", title="Lower"),
            alt.Tooltip("mean_shap_upper:Q", format=".3f", title="Upper"),
        ],
    )
    whiskers = base.mark_rule(color="#333").encode(
        x="mean_shap_lower:Q", x2="mean_shap_upper:Q"
    )
    zero = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color="#555", strokeDash=[4, 4])
        .encode(x="x:Q")
    )
    return alt.layer(bars, whiskers, zero)


def beeswarm(points: pd.DataFrame, features: list[str]) -> alt.Chart:
    """SHAP beeswarm: each dot a person; right of zero raises the prediction.

    Colour is the person's value of the feature, as a percentile among
    everyone (red high, blue low); categories and missing values are grey.
    """
    base = alt.Chart(
        points,
        title="How each driver's values push the prediction",
        height=alt.Step(46),
    )
    position = {
        "x": alt.X("shap_value:Q", title="SHAP value (impact on the prediction)"),
        "y": alt.Y("feature:N", sort=features, title=None),
        "yOffset": alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-0.6, 0.6])),
        "tooltip": [
            "worker_id:N",
            "feature:N",
            "feature_value:N",
            alt.Tooltip("shap_value:Q", format=".4f"),
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
                title="Feature value (percentile)",
                scale=alt.Scale(scheme="redblue", reverse=True, domain=[0, 1]),
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
    zero = (
        alt.Chart(pd.DataFrame({"x": [0.0]}))
        .mark_rule(color="#555", strokeDash=[4, 4])
        .encode(x="x:Q")
    )
    return alt.layer(numbers, others, zero)


def person_drivers_bar(drivers: pd.DataFrame) -> alt.Chart:
    """A person's strongest drivers as signed SHAP bars."""
    frame = drivers.assign(label=drivers["feature"] + " = " + drivers["display_value"])
    return (
        alt.Chart(frame, title="This person's drivers", height=alt.Step(28))
        .mark_bar()
        .encode(
            x=alt.X("shap_value:Q", title="SHAP value (impact on the prediction)"),
            y=alt.Y("label:N", sort=alt.SortField("driver_rank"), title=None),
            color=alt.Color(
                "direction:N",
                scale=alt.Scale(
                    domain=["raises", "lowers", "neutral"],
                    range=[RAISES, LOWERS, NEUTRAL],
                ),
                title="Effect",
            ),
            tooltip=[
                "feature:N",
                "feature_value:N",
                alt.Tooltip("shap_value:Q", format=".4f"),
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


def metric_bars(metrics: pd.DataFrame, title: str) -> alt.FacetChart:
    """Test against cross-validation values, one row and scale per metric."""
    return (
        alt.Chart(metrics, height=alt.Step(18))
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("split:N", title=None),
            color=alt.Color("split:N", title="Split"),
            tooltip=["metric:N", "split:N", alt.Tooltip("value:Q", format=".3f")],
        )
        .facet(row=alt.Row("metric:N", title=None), title=title)
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
            color=alt.Color("job_level:N", title="Level"),
            tooltip=[
                "worker_id:N",
                "job_family:N",
                "job_level:N",
                alt.Tooltip("actual_base_salary:Q", format=",.0f"),
                alt.Tooltip("expected_base_salary:Q", format=",.0f"),
                alt.Tooltip("pay_residual_share:Q", format="+.1%"),
            ],
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [low, high], "y": [low, high]}))
        .mark_line(color="#555", strokeDash=[4, 4])
        .encode(x="x:Q", y="y:Q")
    )
    return alt.layer(dots, diagonal)


def pay_gap_bar(frame: pd.DataFrame, column: str) -> alt.Chart:
    """Average pay above or below expectation per group."""
    return (
        alt.Chart(
            frame,
            title=f"Pay against expectation by {column.replace('_', ' ')}",
            height=alt.Step(28),
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "average_residual_share:Q",
                title="Average (actual / expected - 1)",
                axis=alt.Axis(format="+.1%"),
            ),
            y=alt.Y(f"{column}:N", title=None),
            color=alt.condition(
                "datum.average_residual_share < 0",
                alt.value(LOWERS),
                alt.value(NEUTRAL),
            ),
            tooltip=[
                f"{column}:N",
                alt.Tooltip("headcount:Q", format=","),
                alt.Tooltip("average_residual_share:Q", format="+.2%"),
            ],
        )
    )


SPLIT_SCALE = alt.Scale(
    domain=["Test period", "Predict set"], range=["#7f8c8d", "#2e86c1"]
)


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
    domain=["Actual leavers", "Expected leavers"], range=["#c0392b", "#2e86c1"]
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
