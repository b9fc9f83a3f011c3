"""Who is in the movie: the release name, sidecars (.nfo/.json) and TMDB
(client, lookup, the stage), with its shared request rate."""
