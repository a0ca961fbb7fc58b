"""The two jobs: training (every training asset and its checks) and the weekly scoring of the call list."""

from __future__ import annotations

import dagster as dg

from churn.pipeline.assets import GROUP
from churn.pipeline.scoring_assets import SCORING_GROUP

# --8<-- [start:jobs]
# --8<-- [start:training_job]
training_job = dg.define_asset_job("churn_training", selection=dg.AssetSelection.groups(GROUP),
                                   description="ingest, validate, train, evaluate, register, gate")
# --8<-- [end:training_job]

scoring_job = dg.define_asset_job("churn_scoring", selection=dg.AssetSelection.groups(SCORING_GROUP),
                                  description="score the latest snapshot with the champion: Monday's call list")
# --8<-- [end:jobs]
