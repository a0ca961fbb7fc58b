"""Data drift per feature and prediction drift: has what the model sees moved away from what it learned on?

Pure functions on two windows of model inputs, the **reference** (the champion's training data) and
the **current** window (recent predictions), with NumPy and SciPy only. Each feature gets two numbers:

- **PSI**, the population stability index, says *how far* the distribution moved:
  ``sum((current share - reference share) * ln(current share / reference share))`` over bins.
  Numbers are cut into ``bins`` quantile bins of the reference (about equal shares there; tied
  values such as tenure's many 72s merge bins, so there may be fewer), the outer bins open-ended
  so that current values beyond the reference's range still count. Categories are their own bins.
  0 means the same shares; 0.1 and 0.25 are the usual "watch" and "act" lines (Siddiqi, *Credit
  Risk Scorecards*, 2006; Yurdakul and Naranjo, *Journal of Risk Model Validation*, 2020, show that
  what PSI a chance difference gives depends on the window sizes and the number of bins).
- **A test's p-value** says whether the difference could be *chance*: the two-sample
  Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``) for numbers, the chi-square test of the
  reference-versus-current table of category counts (``scipy.stats.chi2_contingency``) for categories.
  Two details of SciPy's defaults: KS assumes continuous data, and with ties (tenure is whole months)
  its p-values are conservative, too large rather than too small (2,000 pairs of 300-row samples of
  the generator's tenure: 0.7% below 0.01); for a two-category feature (a 2 x 2 table) the chi-square
  test applies Yates' continuity correction, also slightly conservative. Both err towards "no drift".

Why both. A p-value answers "is there any difference at all?", and with large windows the answer is
nearly always yes: 100,000 generated customers against 8,000 (seeds 103 and 3) with every tenure one
month longer (mean 33.2 to 34.3 months) give a KS p-value of 1e-104, and prices 2% higher give 2e-7,
changes no one would act on; their PSI is 0.018 and 0.010. PSI does not grow with the window, so it
measures the size that matters. But on small windows PSI is noisy: two samples of the *same*
distribution give on average about ``(bins - 1) * (1/n_reference + 1/n_current)`` (PSI times the
harmonic size is about chi-square with ``bins - 1`` degrees of freedom), 0.18 for ten bins and 100
rows each; in 400 such pairs of normal samples the mean was 0.197 and 39% reached 0.2, but the rule
below flagged 1% of them, as a p-value threshold of 0.01 should. So there is one rule, with both
thresholds in the config's ``monitoring`` section: **a feature drifted when its PSI is at or above
``psi_threshold`` and its p-value is below ``p_value``**, large enough to matter *and* unlikely to be
chance. The model's scores (``churn_probability``) get the same treatment as a numeric feature, with
``prediction_psi_threshold``: prediction drift, which can show that a drift matters to the model.
The reference scores are the model's on its own training split; for a flexible model they are a
little more extreme than on new customers (PSI 0.02 between the training and held-out scores of a
random forest with min_samples_leaf 5, 0.007 for the default logistic regression, 10,000 rows), far
below the threshold.

Empty bins: a share of 0 makes ``ln`` infinite, so shares below ``EPSILON`` (0.0001, one row in
10,000) are raised to it before the logarithm. A category the reference never saw (a new payment
method) is its own bin with reference share 0: it is listed in ``new_categories`` and adds
``(p - 0.0001) * ln(p / 0.0001)`` to the PSI, about 0.3 for a 5% share (enough alone to cross 0.2) and
about 0 for one stray row in 10,000. The chi-square table includes the new column, so the test sees it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from churn.config import MonitoringConfig
from churn.contract import feature_columns, get_column

EPSILON = 1e-4  # the smallest share the PSI's logarithm sees: one row in 10,000 (see the module docstring)
NUMERIC, CATEGORICAL = "numeric", "categorical"
SCORE_COLUMN = "churn_probability"


@dataclass(frozen=True)
class FeatureDrift:
    """The drift of one feature (or of the scores) between the reference and the current window.

    Attributes:
        feature: The column.
        kind: ``"numeric"`` (quantile-bin PSI and KS) or ``"categorical"`` (category PSI and chi-square).
        psi: Population stability index.
        test: ``"ks"`` or ``"chi2"``.
        statistic: The test's statistic (KS: the largest gap between the two distribution functions).
        p_value: The test's p-value.
        drifted: The module's one rule: ``psi >= threshold and p_value < p_value threshold``.
        new_categories: Values of a categorical feature that the reference never had, most frequent first.
    """

    feature: str
    kind: str
    psi: float
    test: str
    statistic: float
    p_value: float
    drifted: bool
    new_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriftResult:
    """Every feature's drift, in the contract's column order, and the scores' drift (``None`` without scores)."""

    features: list[FeatureDrift]
    prediction: FeatureDrift | None = None
    drifted_features: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drifted_features", [item.feature for item in self.features if item.drifted])

    @property
    def drift(self) -> bool:
        """Whether any feature or the scores drifted."""
        return bool(self.drifted_features) or bool(self.prediction and self.prediction.drifted)


def feature_kind(name: str) -> str:
    """``"categorical"`` for a contract category or a 0/1 flag (SeniorCitizen), else ``"numeric"``.

    A flag has two values: quantile bins would collapse into one, and its shares are what matters.
    """
    column = get_column(name)
    if column.kind == "category" or (column.kind == "integer" and (column.minimum, column.maximum) == (0, 1)):
        return CATEGORICAL
    return NUMERIC


# --8<-- [start:psi]
def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Population stability index of two histograms over the same bins (counts or shares).

    Shares below ``EPSILON`` are raised to it, so an empty bin adds a large but finite term.
    """
    reference = np.asarray(reference_counts, dtype=float) / np.sum(reference_counts)
    current = np.asarray(current_counts, dtype=float) / np.sum(current_counts)
    reference, current = np.maximum(reference, EPSILON), np.maximum(current, EPSILON)
    return float(np.sum((current - reference) * np.log(current / reference)))


def quantile_edges(reference: np.ndarray, bins: int) -> np.ndarray:
    """The inner edges of ``bins`` quantile bins of the reference: values it has; tied quantiles merge into one."""
    return np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1], method="inverted_cdf"))


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: below the first edge, between edges (a value on an edge counts above it), above the last."""
    return np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
# --8<-- [end:psi]


def category_counts(reference: pd.Series, current: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The categories of both windows (the reference's first, then new ones by count) and their counts in each."""
    seen = reference.astype(str).value_counts()
    now = current.astype(str).value_counts()
    new = [name for name in now.index if name not in seen.index]
    categories = sorted(seen.index) + new
    counts = (seen.reindex(categories, fill_value=0).to_numpy(), now.reindex(categories, fill_value=0).to_numpy())
    return categories, *counts


def is_drifted(psi_value: float, p_value: float, psi_threshold: float, p_threshold: float) -> bool:
    """The one drift rule: the PSI crossed its threshold **and** the p-value is below its threshold."""
    return bool(psi_value >= psi_threshold and p_value < p_threshold)


# --8<-- [start:feature_drift]
def numeric_drift(name: str, reference: np.ndarray, current: np.ndarray, bins: int, psi_threshold: float,
                  p_threshold: float) -> FeatureDrift:
    """PSI over the reference's quantile bins and the two-sample Kolmogorov-Smirnov test."""
    reference, current = np.asarray(reference, dtype=float), np.asarray(current, dtype=float)
    edges = quantile_edges(reference, bins)
    value = psi(bin_counts(reference, edges), bin_counts(current, edges))
    test = stats.ks_2samp(reference, current)
    return FeatureDrift(name, NUMERIC, value, "ks", float(test.statistic), float(test.pvalue),
                        is_drifted(value, test.pvalue, psi_threshold, p_threshold))


def categorical_drift(name: str, reference: pd.Series, current: pd.Series, psi_threshold: float,
                      p_threshold: float) -> FeatureDrift:
    """PSI over the categories of both windows and the chi-square test of their count table."""
    categories, seen, now = category_counts(pd.Series(reference), pd.Series(current))
    value = psi(seen, now)
    test = stats.chi2_contingency(np.vstack([seen, now]))
    new = tuple(name for name, count in zip(categories, seen, strict=True) if count == 0)
    return FeatureDrift(name, CATEGORICAL, value, "chi2", float(test.statistic), float(test.pvalue),
                        is_drifted(value, test.pvalue, psi_threshold, p_threshold), new)
# --8<-- [end:feature_drift]


# --8<-- [start:compare]
def data_drift(reference: pd.DataFrame, current: pd.DataFrame, thresholds: MonitoringConfig,
               columns: Sequence[str] | None = None) -> list[FeatureDrift]:
    """The drift of every feature column (default: the model's 19, in the contract's order).

    Both frames hold validated model inputs without missing values (``churn.monitoring.windows``
    reads them so); only the listed columns are compared.

    Raises:
        ValueError: A window has no rows.
    """
    if reference.empty or current.empty:
        raise ValueError(f"cannot compare an empty window ({len(reference)} reference rows, {len(current)} current)")
    names = list(columns) if columns is not None else [name for name in feature_columns() if name in reference]
    results = []
    for name in names:
        if feature_kind(name) == NUMERIC:
            results.append(numeric_drift(name, reference[name].to_numpy(), current[name].to_numpy(),
                                         thresholds.bins, thresholds.psi_threshold, thresholds.p_value))
        else:
            results.append(categorical_drift(name, reference[name], current[name], thresholds.psi_threshold,
                                             thresholds.p_value))
    return results


def prediction_drift(reference_scores: np.ndarray, current_scores: np.ndarray,
                     thresholds: MonitoringConfig) -> FeatureDrift:
    """The drift of the model's scores: a numeric feature of its own, judged by ``prediction_psi_threshold``."""
    return numeric_drift(SCORE_COLUMN, reference_scores, current_scores, thresholds.bins,
                         thresholds.prediction_psi_threshold, thresholds.p_value)


def compare(reference: pd.DataFrame, current: pd.DataFrame, thresholds: MonitoringConfig) -> DriftResult:
    """Data drift of every feature and, when both frames have ``churn_probability``, prediction drift."""
    scores = SCORE_COLUMN in reference.columns and SCORE_COLUMN in current.columns
    prediction = prediction_drift(reference[SCORE_COLUMN].to_numpy(), current[SCORE_COLUMN].to_numpy(),
                                  thresholds) if scores else None
    return DriftResult(data_drift(reference, current, thresholds), prediction)
# --8<-- [end:compare]

