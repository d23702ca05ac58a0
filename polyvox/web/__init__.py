"""The browser app: its built assets (``dist/``, made by ``scripts/build_web.sh``) and how they are served."""
