"""The OpenAI-compatible routes of ingress (`/v1/chat/completions`, `/v1/models`)."""
