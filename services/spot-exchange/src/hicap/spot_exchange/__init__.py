"""hicap.spot_exchange: the spot call auction per model per window."""
