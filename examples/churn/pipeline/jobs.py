"""The one job the schedule and the sensor start: every training asset and its checks."""

from __future__ import annotations

import dagster as dg

from churn.pipeline.assets import GROUP

training_job = dg.define_asset_job("churn_training", selection=dg.AssetSelection.groups(GROUP),
                                   description="ingest, validate, train, evaluate, register, gate")
