"""Who speaks when: diarization (segmentation windows, CAM++ embeddings,
clustering, reconstruction) and its speakers.json."""
