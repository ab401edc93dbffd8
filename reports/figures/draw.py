"""Draw every figure of the report, and the typed list the document places them from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tunebench.reports.analysis.analyze import Analysis, ProblemAnalysis
from tunebench.reports.figures.cost import _cost
from tunebench.reports.figures.curves import (
    _anytime,
    _concurrency,
    _overall_regret,
    _problem_regret,
    concurrency_groups,
)
from tunebench.reports.figures.evidence import _early, _importance
from tunebench.reports.figures.fidelity import _fidelity
from tunebench.reports.figures.fronts import _fronts, _hv_regret
from tunebench.reports.figures.scores import _cd, _final, _speedup
from tunebench.reports.figures.style import FigureFile, _style, slug

__all__ = ["Figures", "ProblemFigures", "draw_figures"]


@dataclass(frozen=True)
class ProblemFigures:
    """The figures of one problem, in report order.

    Attributes:
        anytime: Best-so-far validation score over budget and over wall-clock time.
        final: Final test scores per strategy.
        regret: Normalized regret and average rank over budget.
        cd: Critical-difference diagram over the problem's seeds; ``None`` in a report
            of one problem (the overall diagram is the same) or with fewer than two
            strategies.
        cost: Cost breakdown.
        importance: Hyperparameter importance; ``None`` without an estimate.
        early: Early-stopping evidence; ``None`` with too few full learning curves.
        hypervolume: A multi-objective problem's hypervolume regret over budget and
            time; ``None`` for a single-objective one.
        fronts: Its final fronts and median attainment surfaces against the table's true
            front; ``None`` for a single-objective one or more than two objectives.
    """

    anytime: FigureFile
    final: FigureFile
    regret: FigureFile
    cd: FigureFile | None
    cost: FigureFile
    importance: FigureFile | None
    early: FigureFile | None
    hypervolume: FigureFile | None = None
    fronts: FigureFile | None = None

    def files(self) -> list[FigureFile]:
        """The figures drawn, in report order."""
        drawn = (self.hypervolume, self.fronts, self.anytime, self.final, self.regret, self.cd)
        return [f for f in (*drawn, self.cost, self.importance, self.early) if f is not None]


@dataclass(frozen=True)
class Figures:
    """Every figure of a report, by what it shows.

    Attributes:
        problems: Problem name -> its figures, in matrix order.
        cd: Critical-difference diagram over all blocks; ``None`` without a test.
        regret: Regret and rank over all problems; ``None`` in a report of one problem.
        speedup: Speedup over random search; ``None`` without random search.
        concurrency: One figure per problem run at several concurrency levels.
        fidelity: A compared pair of modes' key (``FidelityResult.key``) -> its figure.
    """

    problems: dict[str, ProblemFigures]
    cd: FigureFile | None = None
    regret: FigureFile | None = None
    speedup: FigureFile | None = None
    concurrency: list[FigureFile] = field(default_factory=list)
    fidelity: dict[str, FigureFile] = field(default_factory=dict)

    def files(self) -> list[FigureFile]:
        """Every figure, in report order."""
        out = [f for p in self.problems.values() for f in p.files()]
        out += [f for f in (self.cd, self.regret, self.speedup) if f is not None]
        return out + self.concurrency + list(self.fidelity.values())


def _problem_figures(a: Analysis, p: ProblemAnalysis, folder: Path) -> ProblemFigures:
    """Draw one problem's figures (the diagram over its seeds only with several problems)."""
    name = p.info.name
    f = p.fronts
    return ProblemFigures(
        hypervolume=None if f is None else _hv_regret(a, p, f, folder),
        fronts=None if f is None else _fronts(a, p, f, folder),
        anytime=_anytime(a, p, folder),
        final=_final(a, p, folder),
        regret=_problem_regret(a, p, folder),
        cd=(
            _cd(a, p.friedman, f"cd/{name}", f"cd_{slug(name)}", f"seeds of {name}", folder, name)
            if len(a.problems) > 1
            else None
        ),
        cost=_cost(a, p, folder),
        importance=_importance(a, p, folder),
        early=_early(a, p, folder),
    )


def draw_figures(a: Analysis, folder: Path) -> Figures:
    """Draw every figure of the report into ``folder`` (PNG and SVG each).

    Stale ``*.png``/``*.svg`` files in ``folder`` (figures of an earlier report) are
    removed first, so the folder holds exactly this report's figures.

    Returns:
        The figures; :meth:`Figures.files` lists them in report order.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.png")) + sorted(folder.glob("*.svg")):
        old.unlink()
    multi = len(a.problems) > 1
    with _style():
        problems = {name: _problem_figures(a, p, folder) for name, p in a.problems.items()}
        cd = None
        if a.overall_friedman is not None:
            what = "problem x seed" if multi else f"seeds of {next(iter(a.problems))}"
            cd = _cd(a, a.overall_friedman, "cd/overall", "cd_overall", what, folder, None)
        regret = _overall_regret(a, folder)
        speedup = _speedup(a, folder)
        concurrency = [_concurrency(a, k, m, folder) for k, m in concurrency_groups(a).items()]
        fidelity = {r.key: _fidelity(a, r, folder) for r in a.fidelity}
    return Figures(
        problems,
        cd=cd,
        regret=regret,
        speedup=speedup,
        concurrency=concurrency,
        fidelity={key: f for key, f in fidelity.items() if f is not None},
    )
