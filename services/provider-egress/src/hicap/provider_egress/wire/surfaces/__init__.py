"""The API surfaces callers speak: OpenAI chat completions and Anthropic messages."""
