"""Voice activity detection: where people speak, so later stages look at speech only.

silero.py   the silero_vad stage: Silero's ONNX model, offline, from its package
regions.py  the segments file every VAD stage writes (summary)
"""
