"""Default against tuned model over split seeds: held-out ROC AUC per seed, spread and margin.

Run from the repository root::

    .venv/bin/python benchmarks/model_seeds.py [--seeds 10] [--rows 50000] [--default examples/configs/default.yaml]
        [--tuned examples/configs/tuned.yaml]

For each seed (0, 1, ...) both configurations get the same data (``--rows`` generated rows, with
the configs' generator seed) and the same stratified split (``seed`` sets the split and the models' ``random_state``),
are trained with ``churn.train.train`` and scored on the held-out part. It prints one line per
seed, the mean, minimum and maximum of each, and the margin (tuned minus default) per seed; it
exits 1 if the margin is not positive on every seed. One thread per fit, so the figures do not
depend on how busy the machine's other cores are.

The ``ceiling`` column is the held-out ROC AUC of the generator's true churn probability
(``churn.generate.churn_probability``): no model can expect to do better, and on a small held-out
part even it can lose to the default by chance, which bounds what any margin can promise. That is
why the default is 50,000 rows (10,000 held out) rather than the configs' 10,000 (2,000 held out):
on 2,000 rows the chance difference between two good models is as large as the whole gap between
the default and the ceiling, about 0.004 (``--rows 10000`` shows it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "examples")]

from churn.config import load_config  # noqa: E402
from churn.generate import churn_probability  # noqa: E402
from churn.train import load_training_data, train  # noqa: E402


def held_out_roc_auc(config_path: Path, seed: int, rows: int) -> tuple[float, float]:
    """Train the configuration with this split seed; return its held-out ROC AUC and the ceiling's."""
    from sklearn.metrics import roc_auc_score

    config = load_config(config_path, seed=seed)
    config = config.model_copy(update={"data": config.data.model_copy(update={"generated_rows": rows})})
    data = load_training_data(config)
    columns = {name: data.test[name].to_numpy() for name in data.test.columns}
    ceiling = roc_auc_score(data.test["Churn"] == "Yes", churn_probability(columns))
    return train(config, data).metrics["roc_auc"], float(ceiling)


def main(argv: list[str] | None = None) -> int:
    """Print the seed table; return 1 if the tuned model does not win on every seed."""
    from threadpoolctl import threadpool_limits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="split seeds 0..N-1 (default 10)")
    parser.add_argument("--rows", type=int, default=50_000, help="generated rows for both (default 50000)")
    parser.add_argument("--default", type=Path, default=ROOT / "examples/configs/default.yaml")
    parser.add_argument("--tuned", type=Path, default=ROOT / "examples/configs/tuned.yaml")
    args = parser.parse_args(argv)
    rows = []
    with threadpool_limits(1):
        for seed in range(args.seeds):
            default, ceiling = held_out_roc_auc(args.default, seed, args.rows)
            tuned, _ = held_out_roc_auc(args.tuned, seed, args.rows)
            rows.append((seed, default, tuned, tuned - default, ceiling))
            print(f"seed {seed:2d}: default {default:.4f}  tuned {tuned:.4f}  margin {tuned - default:+.4f}  "
                  f"ceiling {ceiling:.4f}", flush=True)
    for index, name in ((1, "default"), (2, "tuned"), (3, "margin"), (4, "ceiling")):
        values = [row[index] for row in rows]
        sign = "+" if name == "margin" else ""
        print(f"{name:8s} mean {sum(values) / len(values):{sign}.4f}  min {min(values):{sign}.4f}  "
              f"max {max(values):{sign}.4f}")
    wins = sum(row[3] > 0 for row in rows)
    print(f"tuned beats default on {wins} of {len(rows)} seeds")
    return 0 if wins == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
