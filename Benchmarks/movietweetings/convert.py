#!/usr/bin/env python3
"""Converts MovieTweetings (real ratings, MIT licence) into Reel's import CSVs.

    python3 Benchmarks/movietweetings/convert.py ../shared/data/movietweetings-100k /tmp/mt

writes /tmp/mt/videos.csv, /tmp/mt/interactions.csv and /tmp/mt/ATTRIBUTION.md. Then:

    reel import videos /tmp/mt/videos.csv --data-dir /tmp/mtd
    reel import interactions /tmp/mt/interactions.csv --data-dir /tmp/mtd
    reel eval --data-dir /tmp/mtd

The mapping (Docs/Performance.md, "Real data"), chosen to invent as little as possible:
- a movie is a video; its genres are its hashtags; its title with the year is its caption (so the year is a
  caption word, the only content a new release has); each movie is its own creator (`m<id>`, a string id:
  the data names no studio or director); no sound; every movie lasts 60 s (the data has no durations, and one
  length for all keeps duration out of the ranking);
- a movie is published at its first rating (the data has no release times; the catalogue grows as the log
  does, and nothing is rated before it exists);
- a rating is one interaction at its time: watch ratio = rating / 10 (so 10 is a completed play and 0 or 1 a
  skip, below 0.2), liked when the rating is 9 or more (the data set's README suggestion).
"""
import collections
import csv
import os
import sys

DURATION_MS = 60_000


def main(source: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    titles = {}
    genres = {}
    with open(os.path.join(source, "movies.dat"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("::")
            if len(parts) < 3:
                continue
            movie = int(parts[0])
            titles[movie] = parts[1]
            genres[movie] = [g for g in parts[2].split("|") if g]
    ratings = []
    with open(os.path.join(source, "ratings.dat"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            user, movie, rating, seconds = line.strip().split("::")
            ratings.append((int(seconds), int(user), int(movie), int(rating), n))
    ratings.sort()
    first = {}
    for seconds, _, movie, _, _ in ratings:
        first.setdefault(movie, seconds)
    with open(os.path.join(out, "videos.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["video_id", "creator_id", "duration_ms", "tags", "sound_id", "caption", "uploaded_at"])
        for movie in sorted(first, key=lambda m: (first[m], m)):
            tags = "|".join(g.lower().replace("-", "") for g in genres.get(movie, []))
            w.writerow([movie, f"m{movie}", DURATION_MS, tags, "", titles.get(movie, f"movie {movie}"), first[movie]])
    with open(os.path.join(out, "interactions.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "video_id", "timestamp", "watch_ratio", "liked"])
        for seconds, user, movie, rating, _ in ratings:
            w.writerow([user, movie, seconds, f"{rating / 10:.1f}", 1 if rating >= 9 else 0])
    with open(os.path.join(out, "ATTRIBUTION.md"), "w", encoding="utf-8") as f:
        f.write(
            "Derived from MovieTweetings (S. Dooms, A. Bellogín, T. De Pessemier, L. Martens, \"A Framework for\n"
            "Dataset Benchmarking and its Application to a New Movie Rating Dataset\", ACM TIIS 2016), 100K\n"
            "snapshot, MIT licence, Copyright (c) 2013 Simon Dooms. Converted by Benchmarks/movietweetings/convert.py.\n")
    counts = collections.Counter(r[3] for r in ratings)
    print(f"{len(first)} videos, {len(ratings)} interactions, {len({r[1] for r in ratings})} users; "
          f"liked {sum(v for k, v in counts.items() if k >= 9)}, skips {counts[0] + counts[1]}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert.py MOVIETWEETINGS_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
