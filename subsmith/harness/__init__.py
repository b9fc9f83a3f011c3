"""Running the library: stages and their order, each job's run and status, the
manifest, watchdog, interrupts and shutdown, the library's movies, existing
subtitles, notifications and the checks before anything runs."""
