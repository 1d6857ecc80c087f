"""Random numbers per path that do not depend on how the paths are chunked.

Paths are grouped in fixed blocks of `seed_block_paths`. Each (family, stream,
block) gets its own PCG64 generator seeded by `SeedSequence(seed, spawn_key=
(family, stream, block))`, so path p's numbers depend only on the seed, the
family, the stream, p and the array width, never on the chunk size or on the
other streams (adding a pool asset does not change the revenue paths). Family
0 is the valuation's main run; the rating decision draws its rounds from other
families, so they are independent of it and of each other. Arrays are
period-major: `[width, paths]`, so one period of all paths is contiguous.
"""

from __future__ import annotations

import numpy as np

STREAMS = {
    "revenue": 0,  # monthly revenue innovations
    "licensee_loss": 1,  # when each large licensee stops buying
    "regulatory": 2,  # whether and when data use is suspended
    "systematic": 3,  # the pool's common factor
    "idiosyncratic": 4,  # each obligor's own factor
    "data_value": 5,  # realised value of pledged data in a workout
    "guarantor": 6,  # each guarantor's own factor
    "mixture": 7,  # whether a path of a defensive importance sample is drawn tilted
}


class PathDraws:
    """Normal and uniform draws for paths [start, stop) of any stream, identical for any chunking."""

    def __init__(self, *, seed: int, block_paths: int, family: int = 0) -> None:
        if seed < 0 or family < 0:
            raise ValueError("seed and family must be >= 0")
        self.seed = int(seed)
        self.family = int(family)
        self.block_paths = int(block_paths)
        self._cache: dict[tuple[str, str, int, int], np.ndarray] = {}

    def _block(self, kind: str, stream: str, block: int, width: int) -> np.ndarray:
        key = (kind, stream, block, width)
        cached = self._cache.get(key)
        if cached is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=(self.family, STREAMS[stream], block))
            generator = np.random.Generator(np.random.PCG64(sequence))
            shape = (width, self.block_paths)
            cached = generator.standard_normal(shape) if kind == "normal" else generator.random(shape)
            # Keep only the blocks of the current chunk's neighbourhood: a chunk edge may split a block.
            if len(self._cache) > 4 * len(STREAMS):
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def _draw(self, kind: str, stream: str, start: int, stop: int, width: int) -> np.ndarray:
        if width == 0 or stop <= start:
            return np.zeros((width, max(stop - start, 0)))
        first, last = start // self.block_paths, (stop - 1) // self.block_paths
        pieces = []
        for block in range(first, last + 1):
            base = block * self.block_paths
            lo, hi = max(start, base) - base, min(stop, base + self.block_paths) - base
            pieces.append(self._block(kind, stream, block, width)[:, lo:hi])
        return np.ascontiguousarray(pieces[0]) if len(pieces) == 1 else np.concatenate(pieces, axis=1)

    def normal(self, stream: str, start: int, stop: int, width: int) -> np.ndarray:
        """Standard normals, shape [width, stop - start]."""
        return self._draw("normal", stream, start, stop, width)

    def uniform(self, stream: str, start: int, stop: int, width: int) -> np.ndarray:
        """Uniforms on [0, 1), shape [width, stop - start]."""
        return self._draw("uniform", stream, start, stop, width)
