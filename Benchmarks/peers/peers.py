#!/usr/bin/env python3
"""Established open-source recommenders on the split `reel eval --export-split` wrote, judged the way
`reel eval` judges reel, printed beside reel's figures.

    python3 peers.py SPLIT_DIR [--reel-json REEL_EVAL.json] [--json]

Peers, from the PyPI package `implicit` (Frederickson, https://github.com/benfred/implicit, MIT):
- ALS: implicit-feedback matrix factorisation by alternating least squares (Hu, Koren, Volinsky 2008);
- BPR: Bayesian personalised ranking by SGD with sampled negatives (Rendle et al. 2009);
- itemKNN: implicit's CosineRecommender (item-item cosine over the user-item matrix, K neighbours).

Protocol, the same as `reel eval`: one held-out positive per target user; the candidates are every video
published by the target's time minus what the user has in train.csv (the target included); rank = 1 + the
candidates scored higher, ties counted half; NDCG@10 and HR@10 (= Recall@10 with one held-out item), 95 %
bootstrap intervals over users (1,000 resamples). Each peer is trained once on train.csv, which holds other
users' events after a target's time, and each is given a small grid of hyperparameters with the best on the
targets reported: both lean the comparison toward the peers.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np
import scipy.sparse as sp

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def load(split):
    users, videos = {}, {}

    def uid(u):
        return users.setdefault(u, len(users))

    def vid(v):
        return videos.setdefault(v, len(videos))

    published = {}
    with open(os.path.join(split, "catalogue.csv")) as f:
        for row in csv.DictReader(f):
            published[vid(row["video"])] = int(row["published"])
    rows, cols, seen = [], [], {}
    with open(os.path.join(split, "train.csv")) as f:
        for row in csv.DictReader(f):
            u, v = uid(row["user"]), vid(row["video"])
            seen.setdefault(u, set()).add(v)
            if row["kind"] != "skip":
                rows.append(u)
                cols.append(v)
    targets = []
    with open(os.path.join(split, "targets.csv")) as f:
        for row in csv.DictReader(f):
            targets.append((uid(row["user"]), vid(row["video"]), int(row["time"])))
    matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(users), len(videos)))
    matrix.sum_duplicates()
    matrix.data = np.minimum(matrix.data, 1).astype(np.float32)
    pub = np.full(len(videos), np.iinfo(np.int64).max, dtype=np.int64)
    for v, t in published.items():
        pub[v] = t
    return matrix, targets, seen, pub


def ranks(score_fn, targets, seen, pub):
    out = []
    for u, v, t in targets:
        s = score_fn(u)
        allowed = pub <= t
        for j in seen.get(u, ()):
            allowed[j] = False
        allowed[v] = False
        target = s[v]
        cand = s[allowed]
        out.append(1 + np.sum(cand > target) + 0.5 * np.sum(cand == target))
    return np.array(out, dtype=np.float64)


def metrics(r, seed=1, resamples=1000):
    gains = np.where(r <= 10, 1 / np.log2(r + 1), 0.0)
    hits = (r <= 10).astype(np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(r), size=(resamples, len(r)))
    def est(x):
        boot = np.sort(x[idx].mean(axis=1))
        return {"value": float(x.mean()), "low": float(np.quantile(boot, 0.025)), "high": float(np.quantile(boot, 0.975))}
    h = est(hits)
    return {"ndcgAt10": est(gains), "hitRateAt10": h, "recallAt10": h}


def peers(matrix, targets, seen, pub):
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking
    from implicit.nearest_neighbours import CosineRecommender

    results = {}

    def best(name, configs, build):
        chosen = None
        for config in configs:
            model, score = build(**config)
            m = metrics(ranks(score, targets, seen, pub))
            if chosen is None or m["ndcgAt10"]["value"] > chosen[1]["ndcgAt10"]["value"]:
                chosen = (config, m)
        m = dict(chosen[1])
        m["config"] = chosen[0]
        results[name] = m

    def als(factors, regularization, alpha):
        model = AlternatingLeastSquares(factors=factors, regularization=regularization, alpha=alpha, iterations=15, random_state=1, num_threads=1)
        model.fit(matrix, show_progress=False)
        uf, vf = np.asarray(model.user_factors), np.asarray(model.item_factors)
        return model, lambda u: vf @ uf[u]

    def bpr(factors, learning_rate, regularization):
        model = BayesianPersonalizedRanking(factors=factors, learning_rate=learning_rate, regularization=regularization, iterations=100, random_state=1, num_threads=1)
        model.fit(matrix, show_progress=False)
        uf, vf = np.asarray(model.user_factors), np.asarray(model.item_factors)
        return model, lambda u: vf @ uf[u]

    def knn(K):
        model = CosineRecommender(K=K, num_threads=1)
        model.fit(matrix, show_progress=False)
        sim = model.similarity.tocsr()
        return model, lambda u: np.asarray((matrix[u] @ sim).todense()).ravel()

    best("ALS", [dict(factors=f, regularization=r, alpha=a) for f in (32, 64) for r in (0.01, 0.1) for a in (1.0, 10.0)], als)
    best("BPR", [dict(factors=f, learning_rate=lr, regularization=0.01) for f in (32, 64) for lr in (0.01, 0.05)], bpr)
    best("itemKNN.implicit", [dict(K=k) for k in (20, 100)], knn)
    return results


def main():
    p = argparse.ArgumentParser()
    p.add_argument("split")
    p.add_argument("--reel-json", help="`reel eval --json` output to print beside the peers")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    matrix, targets, seen, pub = load(a.split)
    rows = {}
    if a.reel_json:
        with open(a.reel_json) as f:
            report = json.load(f)
        rows.update(report["rankers"])
    rows.update(peers(matrix, targets, seen, pub))
    if a.json:
        print(json.dumps({"users": len(targets), "rankers": rows}, indent=2))
        return
    print(f"{len(targets)} target users, {matrix.shape[1]} videos, {matrix.nnz} training pairs")
    print(f"{'ranker':<18}{'NDCG@10 [95 %]':<28}{'HR@10 = Recall@10 [95 %]':<28}config")
    for name, m in sorted(rows.items(), key=lambda kv: -kv[1]["ndcgAt10"]["value"]):
        def f(e):
            return f"{e['value']:.4f} [{e['low']:.4f}, {e['high']:.4f}]"
        print(f"{name:<18}{f(m['ndcgAt10']):<28}{f(m['hitRateAt10']):<28}{m.get('config', '')}")


if __name__ == "__main__":
    main()
