"""Running totals for one zone: continuous statistics or per-class pixels and areas.

Weights are coverage: 1/0 for the centre and all-touched rules, the exact fraction for
``coverage="fraction"`` (then count = Σ fraction and sum = Σ fraction · value, as exactextract).
Partial totals from separate tasks merge with ``+=`` in task order, so serial and parallel
runs add the same numbers in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DENSE_BINS = 256  # uint8 classes are counted with one bincount; other integers via np.unique


@dataclass
class ZoneTotals:
    """Totals of one zone."""

    count: float = 0.0
    total: float = 0.0
    low: float = np.inf
    high: float = -np.inf
    dense_pixels: np.ndarray | None = None  # per uint8 class
    dense_area: np.ndarray | None = None
    sparse: dict[int, list[float]] = field(default_factory=dict)  # class → [pixels, area m²]

    def add_values(self, values: np.ndarray, weights: np.ndarray | None) -> None:
        """Continuous statistics of ``values`` (weights None means all 1)."""
        if values.size == 0:
            return
        if weights is None:
            self.count += values.size
            self.total += float(values.sum(dtype=np.float64))
        else:
            self.count += float(weights.sum())
            self.total += float(np.dot(weights, values.astype(np.float64)))
        self.low = min(self.low, float(values.min()))
        self.high = max(self.high, float(values.max()))

    def add_classes(self, codes: np.ndarray, weights: np.ndarray | None, cell_m2: np.ndarray | float) -> None:
        """Per-class pixels (Σ weight) and ground area (Σ weight · cell area, m²).

        ``cell_m2`` is one area per selected cell, or one number for an equal-area grid.
        """
        if codes.size == 0:
            return
        uniform = np.isscalar(cell_m2)
        area_w = None if uniform else (cell_m2 if weights is None else weights * cell_m2)
        if codes.dtype == np.uint8:
            pixels = np.bincount(codes, weights=weights, minlength=DENSE_BINS).astype(np.float64)
            area = pixels * cell_m2 if uniform else np.bincount(codes, weights=area_w, minlength=DENSE_BINS)
            if self.dense_pixels is None:
                self.dense_pixels, self.dense_area = pixels, area
            else:
                self.dense_pixels += pixels
                self.dense_area += area
            return
        uniq, inverse = np.unique(codes, return_inverse=True)
        pixels = np.bincount(inverse, weights=weights, minlength=uniq.size).astype(np.float64)
        area = pixels * cell_m2 if uniform else np.bincount(inverse, weights=area_w, minlength=uniq.size)
        for code, n, m2 in zip(uniq.tolist(), pixels.tolist(), area.tolist()):
            slot = self.sparse.setdefault(int(code), [0.0, 0.0])
            slot[0] += n
            slot[1] += m2

    @staticmethod
    def add_values_by_zone(totals: list[ZoneTotals], owner: np.ndarray, values: np.ndarray,
                           weights: np.ndarray | None) -> None:
        """``add_values`` for many zones at once; ``owner`` (ascending) gives each value's zone
        (None: all belong to the only zone)."""
        n = len(totals)
        if values.size == 0:
            return
        if owner is None:
            totals[0].add_values(values, weights)
            return
        as_float = values.astype(np.float64)
        counts = np.bincount(owner, weights=weights, minlength=n)
        sums = np.bincount(owner, weights=as_float if weights is None else weights * as_float, minlength=n)
        present, first = np.unique(owner, return_index=True)
        lows = np.minimum.reduceat(as_float, first)
        highs = np.maximum.reduceat(as_float, first)
        for k, low, high in zip(present.tolist(), lows.tolist(), highs.tolist()):
            zone = totals[k]
            zone.count += float(counts[k])
            zone.total += float(sums[k])
            zone.low, zone.high = min(zone.low, low), max(zone.high, high)

    @staticmethod
    def add_classes_by_zone(totals: list[ZoneTotals], owner: np.ndarray, codes: np.ndarray,
                            weights: np.ndarray | None, cell_m2: np.ndarray | float) -> None:
        """``add_classes`` for many zones at once; ``owner`` (ascending) gives each cell's zone
        (None: all belong to the only zone)."""
        n = len(totals)
        if codes.size == 0:
            return
        if owner is None:
            totals[0].add_classes(codes, weights, cell_m2)
            return
        if codes.dtype != np.uint8:  # wide codes: zone by zone
            bounds = np.searchsorted(owner, np.arange(n + 1))
            for k in range(n):
                lo, hi = bounds[k], bounds[k + 1]
                if hi > lo:
                    totals[k].add_classes(codes[lo:hi], None if weights is None else weights[lo:hi],
                                          cell_m2 if np.isscalar(cell_m2) else cell_m2[lo:hi])
            return
        key = owner.astype(np.int64) * DENSE_BINS + codes
        pixels = np.bincount(key, weights=weights, minlength=n * DENSE_BINS).astype(np.float64)
        if np.isscalar(cell_m2):
            area = pixels * cell_m2
        else:
            area = np.bincount(key, weights=cell_m2 if weights is None else weights * cell_m2,
                               minlength=n * DENSE_BINS)
        pixels, area = pixels.reshape(n, DENSE_BINS), area.reshape(n, DENSE_BINS)
        for k in np.unique(owner).tolist():
            zone = totals[k]
            if zone.dense_pixels is None:
                zone.dense_pixels, zone.dense_area = pixels[k].copy(), area[k].copy()
            else:
                zone.dense_pixels += pixels[k]
                zone.dense_area += area[k]

    def merge(self, other: ZoneTotals) -> None:
        """Add another task's totals of the same zone. The classes are kept sparse (class → [pixels, m²],
        the classes present only): a zone's running totals take a few hundred bytes, not the 4 KB of two
        256-bin arrays, so a run over 10⁶ stands holds ~0.3 GB of totals. Each class's numbers are added
        in task order, as before."""
        self._fold_dense()
        self.count += other.count
        self.total += other.total
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self._add_sparse(other.sparse.items())
        self._add_sparse(other._dense_items())

    def _dense_items(self) -> list[tuple[int, tuple[float, float]]]:
        """The 256-bin totals' classes with pixels > 0, as (class, (pixels, area m²))."""
        if self.dense_pixels is None:
            return []
        present = np.flatnonzero(self.dense_pixels > 0)
        return list(zip(present.tolist(), zip(self.dense_pixels[present].tolist(), self.dense_area[present].tolist())))

    def _add_sparse(self, items) -> None:
        for code, (n, m2) in items:
            slot = self.sparse.setdefault(code, [0.0, 0.0])
            slot[0] += n
            slot[1] += m2

    def _fold_dense(self) -> None:
        """Move this zone's own 256-bin totals (if it was added to directly) into the sparse ones."""
        items = self._dense_items()
        self.dense_pixels = self.dense_area = None
        self._add_sparse(items)

    def __getstate__(self) -> dict:
        """Pickled (a task's totals coming back from a worker) with the dense arrays' non-zero entries only."""
        state = dict(self.__dict__)
        if self.dense_pixels is not None:
            used = np.flatnonzero((self.dense_pixels != 0) | (self.dense_area != 0))
            state.update(dense_pixels=(used, self.dense_pixels[used]), dense_area=self.dense_area[used])
        return state

    def __setstate__(self, state: dict) -> None:
        if state["dense_pixels"] is not None:  # back to DENSE_BINS entries, the others zero (as bincount left them)
            used, pixels = state["dense_pixels"]
            dense_pixels, dense_area = np.zeros(DENSE_BINS), np.zeros(DENSE_BINS)
            dense_pixels[used], dense_area[used] = pixels, state["dense_area"]
            state = {**state, "dense_pixels": dense_pixels, "dense_area": dense_area}
        self.__dict__.update(state)

    def classes(self) -> list[tuple[int, float, float]]:
        """(class, pixels, area m²) for classes with pixels > 0, sorted by class."""
        rows = {code: (n, m2) for code, (n, m2) in self.sparse.items()}
        for code, (n_dense, m2_dense) in self._dense_items():  # a class may be in both (float codes' tasks)
            n, m2 = rows.get(code, (0.0, 0.0))
            rows[code] = (n + n_dense, m2 + m2_dense)
        return [(code, *rows[code]) for code in sorted(rows) if rows[code][0] > 0]
