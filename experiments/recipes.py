"""The recipe study: which ideas beyond the release learn most without labels, at command 1's
setting from ImageNet, planned in stages from the runs its CSV already holds.

1. each idea alone, and the release;
2. the combination of every idea whose mean rank-1 beat the release's (none if fewer than two did);
3. the release and the best row so far, each with PreciseBN under slim's BatchNorm decay;
4. the two best rows so far at 3x the steps.

A stage is planned only once every run of the stages before it is in the CSV, so which rows it
holds follows from measured means over all seeds rather than from a guess made beforehand.
"""

from __future__ import annotations

import dataclasses
import hashlib

from experiments.tables import _safe, release_flags

SINGLES = (("released", ()), ("parts", ("--parts=4",)), ("augment", ("--augment",)),
           ("contrast", ("--loss=contrast",)), ("clusters", ("--association=clusters",)))
PRECISE_BN = ("--precise_bn=50", "--batchnorm_decay=0")  # 0: slim's decay (MobileNet's 0.9997)
LONGER = 3  # the last stage's steps, as a multiple of command 1's


@dataclasses.dataclass(frozen=True)
class Recipe:
    row: str
    flags: tuple[str, ...]  # on top of the release's recipe at command 1's setting


@dataclasses.dataclass(frozen=True)
class RecipeRun:
    row: str
    seed: int
    flags: tuple[str, ...]  # dal_tf.train's flags but --train_dir, --weights and --seed, as the CSV keeps them
    weights: str

    @property
    def train_flags(self) -> tuple[str, ...]:
        return (*self.flags, f"--weights={self.weights}", f"--seed={self.seed}")

    @property
    def name(self) -> str:
        """Its directory: the flags' digest in the name, so a row whose flags change never resumes
        the checkpoint of its old flags."""
        digest = hashlib.sha256(" ".join(self.flags).encode()).hexdigest()[:8]
        return _safe(f"recipes/{self.row}/seed{self.seed}-{digest}")


def missing(planned: list[RecipeRun], records: list[dict]) -> list[RecipeRun]:
    """The planned runs no record has (the same row, seed and flags)."""
    done = {(r["row"], r["seed"], r["flags"]) for r in records}
    return [run for run in planned if (run.row, run.seed, " ".join(run.flags)) not in done]


def command1_steps(base: tuple[str, ...]) -> int:
    steps = [int(f.split("=", 1)[1]) for f in base if f.startswith("--max_steps=")]
    if not steps:
        raise ValueError("command 1's flags give no --max_steps")
    return steps[-1]


def ranked(summary: dict[str, dict], rows: list[str]) -> list[str]:
    """rows by mean rank-1, then mean mAP, best first."""
    return sorted(rows, key=lambda row: (summary[row]["mean"]["rank1"], summary[row]["mean"]["mAP"]), reverse=True)


def plan(records: list[dict], seeds: tuple[int, ...], weights: str, extra_flags: tuple[str, ...] = (),
         base: tuple[str, ...] | None = None) -> tuple[list[RecipeRun], str]:
    """(the runs of every stage that can be planned, seed by seed within a stage; a line on what
    waits). records: read_records of the study's CSV; a run counts as done when a record has its
    row, seed and flags."""
    from experiments.records import summarize

    base = release_flags() if base is None else base

    def runs(recipes: list[Recipe]) -> list[RecipeRun]:
        return [RecipeRun(recipe.row, seed, (*base, *recipe.flags, *extra_flags), weights)
                for seed in seeds for recipe in recipes]

    def complete(planned: list[RecipeRun]) -> bool:
        return not missing(planned, records)

    summary = summarize(records)  # once a stage is complete, its rows' records are all current
    stage = [Recipe(row, flags) for row, flags in SINGLES]
    planned = runs(stage)
    if not complete(planned):
        return planned, "the combination waits for every seed of the single ideas"
    winners = [recipe for recipe in stage[1:]
               if summary[recipe.row]["mean"]["rank1"] > summary["released"]["mean"]["rank1"]]
    one_x = stage + ([Recipe(" + ".join(r.row for r in winners), tuple(f for r in winners for f in r.flags))]
                     if len(winners) > 1 else [])
    planned = runs(one_x)
    if not complete(planned):
        return planned, "PreciseBN waits for every seed of the combination"
    best = ranked(summary, [r.row for r in one_x])[0]
    flags_of = {r.row: r.flags for r in one_x}
    precise = [Recipe(f"{row}, precise BN", (*flags_of[row], *PRECISE_BN)) for row in dict.fromkeys(["released", best])]
    planned = runs(one_x + precise)
    if not complete(planned):
        return planned, f"the {LONGER}x runs wait for every seed of the PreciseBN rows"
    one_x += precise
    flags_of.update({r.row: r.flags for r in precise})
    steps = LONGER * command1_steps(base)
    longer = [Recipe(f"{row}, {LONGER}x steps", (*flags_of[row], f"--max_steps={steps}"))
              for row in ranked(summary, [r.row for r in one_x])[:2]]
    return runs(one_x + longer), ""


def adopted(records: list[dict], base: tuple[str, ...]) -> tuple[str, ...]:
    """The flags command 1 adds to the release's recipe: those of the best row at command 1's steps
    whose rank-1 spread over the release's seeds (mean ± sample std) lies wholly above the release's;
    none while no row's does, so one lucky seed never changes the demo."""
    from experiments.records import summarize

    summary = summarize([r for r in records if r["steps"] == command1_steps(base)])
    if "released" not in summary:
        return ()

    def spread(row: str) -> tuple[float, float]:
        mean, std = summary[row]["mean"]["rank1"], summary[row]["std"]["rank1"]
        return mean - std, mean + std

    better = [row for row in summary if row != "released" and summary[row]["seeds"] == summary["released"]["seeds"]
              and spread(row)[0] > spread("released")[1]]
    if not better:
        return ()
    flags = next(r["flags"].split() for r in records if r["row"] == ranked(summary, better)[0])
    if tuple(flags[:len(base)]) != base:
        raise ValueError(f"the study's rows were run on other base flags than {' '.join(base)}")
    return tuple(flags[len(base):])
