"""The movie file: probing it, choosing its tracks, the 16 kHz wav every stage
reads (audio), ffmpeg runs, and muxing the subtitles back in (mux)."""
