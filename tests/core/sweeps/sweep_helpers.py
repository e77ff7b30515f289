"""Paths shared by the sweep tests: the species sample and its data source."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SPECIES = ROOT / "resources" / "samples" / "species.csv"
SPECIES_DATA = {"kind": "csv", "path": str(SPECIES), "target_columns": ["species"]}
