"""Names spelt right: pre_ner (the cast and entities before ASR, its prompt and
bias), post_ner (the corrected transcript) and the name check."""
