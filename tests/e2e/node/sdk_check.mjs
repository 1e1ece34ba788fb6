// Drives the official openai Node SDK against Hicap and prints one JSON object of what it
// saw; tests/e2e/test_node_sdk.py asserts on it. Usage: node sdk_check.mjs MODEL
import OpenAI from "openai";

const model = process.argv[2];
const baseURL = process.env.HICAP_BASE_URL;
const key = process.env.HICAP_API_KEY;

// As Hicap's own Node example does: the key in an `api-key` header.
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, defaultHeaders: { "api-key": key, authorization: null } });
const bearer = new OpenAI({ baseURL, apiKey: key, maxRetries: 0 });

const out = {};
const completion = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Say hello" }],
});
out.text = completion.choices[0].message.content;
out.finish = completion.choices[0].finish_reason;

let streamed = "";
let usage = null;
const stream = await bearer.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Tell me a story" }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  if (chunk.choices.length) streamed += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
out.streamed = streamed;
out.usage = usage;

const tool = await bearer.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Weather in Rome?" }],
  tool_choice: "required",
  tools: [{
    type: "function",
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  }],
});
out.tool = tool.choices[0].message.tool_calls?.[0]?.function ?? null;

const models = [];
for await (const m of bearer.models.list()) models.push(m.id);
out.models = models;

try {
  await new OpenAI({ baseURL, apiKey: "hk_live_wrong", maxRetries: 0 }).chat.completions.create({
    model, messages: [{ role: "user", content: "x" }],
  });
  out.badKey = "accepted";
} catch (err) {
  out.badKey = err.constructor.name;
}
console.log(JSON.stringify(out));
