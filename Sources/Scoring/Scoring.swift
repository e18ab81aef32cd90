// Scoring: scores cache, ranking, playlists, report.
