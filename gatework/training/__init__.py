"""What a training run leaves behind: metrics, plots, and the leaderboard of a sweep."""
