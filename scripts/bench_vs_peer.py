"""Runs the peer on each of tunescore's splits and prints both side by side (see bench-vs-peer.sh)."""
import json, os, statistics, subprocess, sys

report_path, data, out, peer = sys.argv[1:5]
report = json.load(open(report_path))
scorers = ["knn_cos_mean", "knn_cos_max", "ocsvm", "iforest"]


def precision_at_10(csv_path, column):
    rows = [line.rstrip("\n").split(",") for line in open(csv_path)][1:]
    header = open(csv_path).readline().rstrip("\n").split(",")
    i, role = header.index(column), header.index("role")
    ranked = sorted(rows, key=lambda r: -float(r[i]))[:10]
    return sum(r[role] == "heldout_liked" for r in ranked) / max(1, len(ranked))


summary = {}
for style, series in sorted(report["styles"].items()):
    rows = []
    for n, run in enumerate(series["runs"]):
        train_list = os.path.join(out, "peer", f"{style}-{n}.train.txt")
        with open(train_list, "w") as fh:
            fh.write("\n".join(run["trainFiles"]) + "\n")
        scores_csv = os.path.join(out, "peer", f"{style}-{n}.scores.csv")
        result = json.loads(subprocess.run(
            [os.path.join(peer, "run.sh"), "--data", data, "--liked", style, "--train-list", train_list, "--json",
             "--quiet", "--scores-out", scores_csv], check=True, capture_output=True, text=True).stdout)
        json.dump(result, open(os.path.join(out, "peer", f"{style}-{n}.json"), "w"), indent=1)
        row = {"tunescore": run["overall"]["track"]["ranked"], "tunescore_p10": run["overall"]["precisionAt10"],
               "tunescore_vs": {g: v["track"]["ranked"] for g, v in run["perGroup"].items()},
               "held_out": run["heldOutTracks"], "trained_on": len(run["trainFiles"])}
        for s in scorers:
            row[s] = result["auroc"][s]["all_others"]
            row[s + "_vs"] = result["auroc"][s]["vs"]
            row[s + "_p10"] = precision_at_10(scores_csv, s)
        rows.append(row)
    summary[style] = rows
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=1)


def spread(values):
    values = [v for v in values if v is not None]
    return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})" if len(values) > 1 else f"{values[0]:.3f}"


styles = sorted(summary)
print("track AUROC of the held-out liked tracks against all other styles (mean over splits, min-max), then precision at 10")
print("liked | tunescore | peer k-NN | peer max cos | peer OC-SVM | peer iForest | tunescore P@10 | peer k-NN P@10")
means = {k: [] for k in ["tunescore"] + scorers + ["tunescore_p10", "knn_cos_mean_p10"]}
for style in styles:
    rows = summary[style]
    for k in means:
        means[k].append(statistics.mean(r[k] for r in rows))
    print(f"{style} | " + " | ".join(spread([r[k] for r in rows]) for k in
                                     ["tunescore"] + scorers + ["tunescore_p10", "knn_cos_mean_p10"]))
print("mean over styles | " + " | ".join(f"{statistics.mean(means[k]):.3f}" for k in means))
print()
print("per other style (tunescore / peer k-NN), mean over splits")
for style in styles:
    rows = summary[style]
    others = sorted(rows[0]["tunescore_vs"])
    print(f"{style}: " + ", ".join(
        f"vs {o} {statistics.mean(r['tunescore_vs'][o] for r in rows):.3f} / "
        f"{statistics.mean(r['knn_cos_mean_vs'][o] for r in rows):.3f}" for o in others))
