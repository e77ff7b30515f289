"""Growing NumPy buffers the live charts append to (amortised O(1), one ``setData`` per
redraw)."""

from __future__ import annotations

import numpy as np


class GrowingBuffer:
    """``x``/``y`` float arrays that double their capacity as points are appended."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        """Add one point."""
        if self.n == len(self._x):
            self._grow(2 * self.n)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Add many points."""
        k = len(xs)
        if self.n + k > len(self._x):
            self._grow(max(2 * len(self._x), self.n + k))
        self._x[self.n : self.n + k] = xs
        self._y[self.n : self.n + k] = ys
        self.n += k

    def _grow(self, capacity: int) -> None:
        for name in ("_x", "_y"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=np.float64)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    @property
    def x(self) -> np.ndarray:
        """The x values so far (a view)."""
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        """The y values so far (a view)."""
        return self._y[: self.n]

    def clear(self) -> None:
        """Forget every point (the capacity stays)."""
        self.n = 0
