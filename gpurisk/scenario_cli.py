"""What-if scenarios by name: the engine's presets and the config's [scenarios.NAME] tables."""

from __future__ import annotations

from typing import Any

from engine.scenarios import PRESETS, Scenario, ScenarioResult, run_scenario
from feeds.textsafe import safe_obj

from .config import Config
from .snapshot_json import indicator_json


def scenarios(cfg: Config) -> dict[str, Scenario]:
    """Presets, then the config's scenarios (a config scenario may replace a preset)."""
    out = dict(PRESETS)
    for name, table in cfg.scenarios.items():
        out[name] = Scenario(name=name, **table)
    return out


def scenario_json(session: Any, cfg: Config, name: str) -> dict[str, Any]:
    """The scenario side by side with the base; every string made safe (a description
    comes from the config, an input's source from a server)."""
    sc = scenarios(cfg)[name]  # KeyError: unknown
    res: ScenarioResult = run_scenario(session.engine, sc, cfg.weights)
    return safe_obj({
        "name": sc.name,
        "shocks": sc.describe(),
        "description": sc.description,
        "score": {"base": res.base_score.score, "shocked": res.shocked_score.score},
        "status_changes": [r.name for r in res.changes],
        "indicators": {r.name: {"base": indicator_json(r.base),
                                "shocked": indicator_json(r.shocked)} for r in res.rows},
    })
