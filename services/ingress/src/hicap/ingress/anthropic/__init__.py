"""The Anthropic-compatible routes of ingress (`/v1/messages`, `/v1/messages/count_tokens`)."""
