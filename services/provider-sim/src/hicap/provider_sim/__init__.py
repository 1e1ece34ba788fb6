"""hicap.provider_sim: a development stand-in for OpenAI, Anthropic and Gemini."""
