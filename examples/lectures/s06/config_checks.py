"""Lecture 6.3: four config mistakes, through Hydra alone and through Hydra plus the project's schema.

Run it from the repository root::

    python examples/lectures/s06/config_checks.py

Hydra (``hydra-core``; in this project it comes with DVC, the ``versioning`` extra) composes
``examples/configs/default.yaml`` with command-line style overrides. For each case the script prints
what Hydra alone does with it, and what the project's pydantic schema (``churn.config``) says when it
validates Hydra's result. A second table puts a typo'd override, the same typo and the same value
through an OmegaConf structured config (a dataclass schema), Hydra's own way to check a config.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from churn.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


# --8<-- [start:compose]
def compose_config(config_dir: Path, name: str, overrides: list[str]) -> dict[str, Any]:
    """Compose ``<config_dir>/<name>.yaml`` with Hydra's compose API and overrides; return a plain dict."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    with initialize_config_dir(version_base="1.3", config_dir=str(config_dir.resolve())):
        config = compose(config_name=name, overrides=overrides)
    return OmegaConf.to_container(config, resolve=True)


def schema_verdict(composed: dict[str, Any]) -> str:
    """Validate what Hydra composed with the project's schema: the same checks as ``churn train --config``."""
    try:
        config = load_config(None, **composed)
    except ConfigError as error:
        return f"refused: {error}".replace("configuration: ", "")
    return f"accepted: threshold {config.threshold:g}, C {config.model.params.get('C')}"
# --8<-- [end:compose]


# --8<-- [start:structured]
@dataclass
class Experiment:
    """A two-field structured config: OmegaConf checks names and types against it, not ranges."""

    seed: int = 42
    threshold: float = 0.35


def structured_verdict(values: dict[str, Any]) -> str:
    """Merge ``values`` into the dataclass schema, as Hydra does with a structured config."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        merged = OmegaConf.merge(OmegaConf.structured(Experiment), values)
    except OmegaConfBaseException as error:
        return f"refused: {str(error).splitlines()[0]}"
    return f"accepted: threshold {merged.threshold:g}"


def structured_override_verdict(overrides: list[str]) -> str:
    """Compose the dataclass schema from Hydra's config store with command-line style overrides."""
    from hydra import compose, initialize
    from hydra.core.config_store import ConfigStore
    from hydra.errors import HydraException

    ConfigStore.instance().store(name="experiment", node=Experiment)
    try:
        with initialize(version_base="1.3", config_path=None):
            composed = compose(config_name="experiment", overrides=overrides)
    except HydraException as error:
        return f"refused: {str(error).splitlines()[0]}"
    return f"accepted: threshold {composed.threshold:g}"
# --8<-- [end:structured]


def hydra_verdict(config_dir: Path, name: str, overrides: list[str]) -> tuple[str, dict[str, Any] | None]:
    """What Hydra alone does with a config and overrides, and the composed dict when it accepts them."""
    from hydra.errors import HydraException

    try:
        composed = compose_config(config_dir, name, overrides)
    except HydraException as error:
        return f"refused: {str(error).splitlines()[0]}", None
    keys = "threshold" if "threshold" in composed else "no threshold"
    typo = ", treshold" if "treshold" in composed else ""
    return f"accepted: {keys}{typo} {composed.get('threshold', composed.get('treshold'))}", composed


def rows(config_dir: Path = CONFIGS) -> list[tuple[str, str, str]]:
    """Each case: its name, what Hydra alone does, and what the project's schema says after Hydra."""
    with tempfile.TemporaryDirectory() as folder:
        typo = Path(folder) / "typo.yaml"
        default = (config_dir / "default.yaml").read_text(encoding="utf-8")
        typo.write_text(default.replace("\nthreshold:", "\ntreshold:"), encoding="utf-8")
        cases = [("override model.params.C=0.5", config_dir, "default", ["model.params.C=0.5"]),
                 ("override treshold=0.5 (typo)", config_dir, "default", ["treshold=0.5"]),
                 ("override threshold=1.5", config_dir, "default", ["threshold=1.5"]),
                 ("the file says treshold (typo)", Path(folder), "typo", [])]
        table = []
        for label, folder_of, name, overrides in cases:
            alone, composed = hydra_verdict(folder_of, name, overrides)
            table.append((label, alone, schema_verdict(composed) if composed is not None else "(not reached)"))
    return table


def structured_rows() -> list[tuple[str, str]]:
    """The typo'd override, the typo and the out-of-range value through a structured config instead of our schema."""
    return [("override treshold=0.5", structured_override_verdict(["treshold=0.5"])),
            ("treshold 0.35 (typo)", structured_verdict({"treshold": 0.35})),
            ("threshold 1.5", structured_verdict({"threshold": 1.5}))]


def main() -> int:
    """Print both tables; exit 2 with one line if Hydra is not installed."""
    try:
        import hydra
    except ImportError:
        print("error: this script needs hydra-core; install the versioning extra: "
              "pip install -e 'examples[versioning]'", file=sys.stderr)
        return 2
    print(f"hydra-core {hydra.__version__}")
    for label, alone, checked in rows():
        print(f"{label}\n  Hydra alone:   {alone}\n  + our schema:  {checked}")
    print("structured config (a dataclass), no pydantic")
    for label, verdict in structured_rows():
        print(f"  {label:24}{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
