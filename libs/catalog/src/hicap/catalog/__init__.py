"""hicap.catalog: the model catalogue (placeholder until the catalogue lands)."""
