"""The benchmark's pure-Python per-path loop computes the same numbers as the engine (so its ratio is fair)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from deals.valuation import evaluate_structure, simulate_collections

BENCH = Path(__file__).resolve().parents[3] / "bench" / "valuation.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_valuation", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pure_python_loop_matches_the_engine_path_by_path():
    bench = load_bench()
    inputs = bench.bench_inputs()
    paths = 60
    losses, wals, shortfalls = bench.python_loop(inputs, paths)
    sim = simulate_collections(inputs, n_paths=paths, seed=bench.SEED)
    structure = bench.bench_structure(inputs)
    outcome = evaluate_structure(sim, structure, chunk_size=paths, with_irr=False)
    np.testing.assert_allclose(losses, outcome.loss, atol=1e-9)
    np.testing.assert_allclose(wals, outcome.wal_years, atol=1e-9)
    np.testing.assert_array_equal(shortfalls, outcome.shortfall)
    assert outcome.loss.any()  # the comparison covers paths with losses, not only clean ones
    assert (outcome.trigger_period < structure.scheduled_periods).any()  # ... and paths where the trigger trips
