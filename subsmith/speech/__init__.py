"""What is said: voice activity (vad/), the Whisper decode (asr), which model
for which language (spoken), and the coverage check of the transcript."""
