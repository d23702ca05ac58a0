// The official JS SDK (npm `elevenlabs` 1.54) against a live polyvox: prints a JSON report.
import { ElevenLabsClient } from "elevenlabs";

const [baseUrl, apiKey] = process.argv.slice(2);
const client = new ElevenLabsClient({ apiKey, baseUrl });
const report = {};
const stream = await client.textToSpeech.convert("JBFqnCBsd6RMkjVDRZzb", {
  text: "Hello from JavaScript.",
  model_id: "eleven_multilingual_v2",
  output_format: "mp3_44100_128",
});
let bytes = 0;
for await (const chunk of stream) bytes += chunk.length;
report.convert_bytes = bytes;
const voices = await client.voices.getAll();
report.voices = voices.voices.length;
const models = await client.models.getAll();
report.models = models.map((m) => m.model_id);
try {
  await client.voices.get("no-such-voice");
} catch (e) {
  report.error_status = e.statusCode;
}
console.log(JSON.stringify(report));
