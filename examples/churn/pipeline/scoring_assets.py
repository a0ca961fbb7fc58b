"""The weekly scoring job as a Dagster asset: ``churn score``'s function on the latest snapshot.

One asset, ``weekly_scores``: the champion (``models:/churn@champion``, read when the run starts,
so a promotion needs no change here) scores the file ``CHURN_SCORING_INPUT`` names, the latest
snapshot of active customers, into ``CHURN_SCORING_OUTPUT``; Monday's call list is every row with
``churn`` true. The rules are ``churn score``'s ([`churn.scoring`][churn.scoring]): a record that
breaks the contract fails the run naming it, and last week's file stays as it was. The asset
materialises as the file and plain metadata (rows, call list, model version, output path); Dagster
stores no object for it.
"""

# No `from __future__ import annotations` here: Dagster reads the annotations of the context and
# the resources when it defines the assets, and a postponed annotation is only a string to it.

import dagster as dg

from churn.ingest import DataError
from churn.pipeline.resources import ChurnSettings
from churn.predict import PredictionInputError, load_champion
from churn.scoring import ScoringResult, score_file

SCORING_GROUP = "churn_scoring"


# --8<-- [start:asset]
@dg.asset(group_name=SCORING_GROUP)
def weekly_scores(context: dg.AssetExecutionContext, settings: ChurnSettings) -> dg.MaterializeResult:
    """Every active customer scored by the champion; the rows with ``churn`` true are Monday's call list."""
    if not settings.scoring_input:
        raise dg.Failure(description="no snapshot to score: set CHURN_SCORING_INPUT (or the settings' "
                                     "scoring_input) to the latest customer file", allow_retries=False)
    tracking = settings.experiment().tracking
    try:
        predictor = load_champion(tracking.uri, tracking.registered_model)
        result = score_file(settings.scoring_input, settings.scoring_output, predictor, run_id=context.run.run_id)
    except (DataError, PredictionInputError, LookupError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    return dg.MaterializeResult(metadata=scores_metadata(result))
# --8<-- [end:asset]


def scores_metadata(result: ScoringResult) -> dict[str, dg.MetadataValue]:
    """What the run records about the scores: plain values, no Python object to unpickle.

    The scores are the file ``score_file`` wrote; the asset returns a ``MaterializeResult``, so no
    I/O manager pickles a [`ScoringResult`][churn.scoring.ScoringResult] next to it (a pickle is
    code to run on load, and only this version of the project could read it).
    """
    return {"rows": dg.MetadataValue.int(result.rows),
            "call_list": dg.MetadataValue.int(result.at_or_above_threshold),
            "model_version": dg.MetadataValue.text(result.model_version),
            "output": dg.MetadataValue.path(result.output),
            "threshold": dg.MetadataValue.float(result.threshold),
            "scoring_run_id": dg.MetadataValue.text(result.run_id),
            "seconds": dg.MetadataValue.float(round(result.seconds, 1))}
