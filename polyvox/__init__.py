"""polyvox: a self-hosted voice AI platform that speaks the ElevenLabs API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
