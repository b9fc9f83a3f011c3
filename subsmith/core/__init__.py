"""The ground floor every wing stands on: errors, JSON files written atomically,
config sections (settings), language codes, the embedded models' cache and names,
process liveness, free disk space. Imports nothing else of subsmith."""
