"""The weekly scoring job as a Dagster asset: ``churn score``'s function on the latest snapshot.

One asset, ``weekly_scores``: the champion (``models:/churn@champion``, read when the run starts,
so a promotion needs no change here) scores the file ``CHURN_SCORING_INPUT`` names, the latest
snapshot of active customers, into ``CHURN_SCORING_OUTPUT``; Monday's call list is every row with
``churn`` true. The rules are ``churn score``'s ([`churn.scoring`][churn.scoring]): a record that
breaks the contract fails the run naming it, and last week's file stays as it was.
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
def weekly_scores(context: dg.AssetExecutionContext, settings: ChurnSettings) -> ScoringResult:
    """Every active customer scored by the champion; the rows with ``churn`` true are Monday's call list."""
    if not settings.scoring_input:
        raise dg.Failure(description="no snapshot to score: set CHURN_SCORING_INPUT (or the settings' "
                                     "scoring_input) to the latest customer file", allow_retries=False)
    tracking = settings.experiment().tracking
    try:
        predictor = load_champion(tracking.uri, tracking.registered_model)
        result = score_file(settings.scoring_input, settings.scoring_output, predictor, run_id=context.run_id)
    except (DataError, PredictionInputError, LookupError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.add_output_metadata({"rows": result.rows, "call_list": result.at_or_above_threshold,
                                 "model_version": result.model_version, "output": result.output,
                                 "seconds": round(result.seconds, 1)})
    return result
# --8<-- [end:asset]
