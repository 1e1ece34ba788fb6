"""hicap.ingress: the public HTTP edge (OpenAI- and Anthropic-compatible APIs, admin API)."""
