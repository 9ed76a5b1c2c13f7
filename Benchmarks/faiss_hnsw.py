#!/usr/bin/env python3
"""FAISS's HNSW (IndexHNSWFlat) on the vectors `reel bench ann --export DIR` wrote, for a side-by-side figure.

Single thread, queries one at a time (as `reel bench ann` does). Prints one JSON object:
{"buildSeconds", "points": [{"ef", "recallAt10", "queriesPerSecond"}]}.
Needs `pip install faiss-cpu numpy`.
"""
import argparse, json, sys, time
import numpy as np
import faiss


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    rows = raw.reshape(-1, d + 1)[:, 1:]
    return rows.view(dtype) if dtype == np.float32 else rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=40)
    ap.add_argument("--ef", default="16,32,64,128,256")
    a = ap.parse_args()
    faiss.omp_set_num_threads(1)
    base = np.ascontiguousarray(read_vecs(f"{a.dir}/base.fvecs", np.float32))
    queries = np.ascontiguousarray(read_vecs(f"{a.dir}/queries.fvecs", np.float32))
    truth = read_vecs(f"{a.dir}/truth.ivecs", np.int32)
    index = faiss.IndexHNSWFlat(base.shape[1], a.m)
    index.hnsw.efConstruction = a.ef_construction
    t = time.perf_counter()
    index.add(base)
    build = time.perf_counter() - t
    points = []
    for ef in [int(x) for x in a.ef.split(",")]:
        index.hnsw.efSearch = ef
        found = 0
        t = time.perf_counter()
        results = [index.search(queries[i : i + 1], 10)[1][0] for i in range(len(queries))]
        seconds = time.perf_counter() - t
        for i, r in enumerate(results):
            found += len(set(r.tolist()) & set(truth[i][:10].tolist()))
        points.append({"ef": ef, "recallAt10": round(found / (10 * len(queries)), 4), "queriesPerSecond": round(len(queries) / seconds)})
        print(f"faiss ef {ef}: recall@10 {points[-1]['recallAt10']}, {points[-1]['queriesPerSecond']} queries/s", file=sys.stderr)
    print(json.dumps({"buildSeconds": round(build, 2), "points": points}))


if __name__ == "__main__":
    main()
