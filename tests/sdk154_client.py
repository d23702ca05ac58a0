"""Run inside a subprocess with ``elevenlabs==1.54.0`` on the path (see test_sdk154.py).

Exercises the 1.x method names against a live server and prints a JSON report.
"""

import json
import sys

import elevenlabs
from elevenlabs import VoiceSettings
from elevenlabs.client import ElevenLabs

base_url, key = sys.argv[1], sys.argv[2]
client = ElevenLabs(api_key=key, base_url=base_url, timeout=120)
report = {"version": elevenlabs.__version__ if hasattr(elevenlabs, "__version__") else "?"}
audio = b"".join(client.text_to_speech.convert(voice_id="JBFqnCBsd6RMkjVDRZzb", text="Hello from the old client.",
                                               model_id="eleven_multilingual_v2", output_format="mp3_44100_128"))
report["convert_bytes"] = len(audio)
stream = b"".join(client.text_to_speech.convert_as_stream(voice_id="21m00Tcm4TlvDq8ikWAM", text="Streaming works.",
                                                          output_format="pcm_16000"))
report["stream_bytes"] = len(stream)
ts = client.text_to_speech.convert_with_timestamps(voice_id="21m00Tcm4TlvDq8ikWAM", text="Timed words.")
report["alignment_chars"] = "".join(ts.alignment.characters)
chunks = list(client.text_to_speech.stream_with_timestamps(voice_id="21m00Tcm4TlvDq8ikWAM", text="Timed stream."))
report["stream_ts_chunks"] = len(chunks)
report["voices"] = len(client.voices.get_all().voices)
report["voice_name"] = client.voices.get("pNInz6obpgDQGcFmaJgB").name
report["default_settings"] = client.voices.get_default_settings().dict()
client.voices.edit_settings("af_nova", request=VoiceSettings(stability=0.9, similarity_boost=0.5))
report["edited_stability"] = client.voices.get_settings("af_nova").stability
report["models"] = sorted(m.model_id for m in client.models.get_all())
report["subscription_chars"] = client.user.get_subscription().character_count
report["user_id"] = client.user.get().user_id
hist = client.history.get_all(page_size=5)
report["history"] = len(hist.history)
hid = hist.history[0].history_item_id
report["history_audio"] = len(b"".join(client.history.get_audio(hid)))
if len(sys.argv) > 3:  # instant cloning with the 1.x method name, from the sample files given
    added = client.voices.add(name="Old client clone", files=[open(f, "rb") for f in sys.argv[3:]],
                              description="via SDK 1.54")
    report["cloned_voice"] = added.voice_id
    report["cloned_category"] = client.voices.get(added.voice_id).category
    report["cloned_tts_bytes"] = len(b"".join(client.text_to_speech.convert(
        voice_id=added.voice_id, text="A clone made by the old client.", output_format="mp3_44100_128")))
    client.voices.delete(added.voice_id)
print(json.dumps(report))
