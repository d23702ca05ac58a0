"""Run inside a subprocess with ``elevenlabs==1.54.0`` on the path (see test_voice_design.py).

Voice design with the 1.x method names: create_previews with a server-written text, then
create_voice_from_preview, then TTS with the new voice. Prints a JSON report.
"""

import base64
import json
import sys

from elevenlabs.client import ElevenLabs

base_url, key, description = sys.argv[1], sys.argv[2], sys.argv[3]
client = ElevenLabs(api_key=key, base_url=base_url, timeout=300)
r = client.text_to_voice.create_previews(voice_description=description, text="", auto_generate_text=True,
                                         output_format="mp3_22050_32", seed=11)
report = {"text": r.text, "previews": [{"generated_voice_id": p.generated_voice_id, "media_type": p.media_type,
                                        "duration_secs": p.duration_secs,
                                        "bytes": len(base64.b64decode(p.audio_base_64))} for p in r.previews]}
voice = client.text_to_voice.create_voice_from_preview(voice_name="Old client design", voice_description=description,
                                                       generated_voice_id=r.previews[1].generated_voice_id,
                                                       labels={"use_case": "test"})
report["voice_id"] = voice.voice_id
report["category"] = voice.category
report["labels"] = dict(voice.labels or {})
report["tts_bytes"] = len(b"".join(client.text_to_speech.convert(
    voice_id=voice.voice_id, text="A voice designed by the old client.", output_format="mp3_44100_128")))
client.voices.delete(voice.voice_id)
print(json.dumps(report))
