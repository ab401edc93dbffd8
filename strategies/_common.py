"""Helpers shared by the built-in strategies: parameter checks, finite spaces, sampling.

Private: strategies import from here; plug-ins should use the public space API.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import tempfile
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from tunebench.strategies.space import Float, Int, Param, SearchSpace

__all__ = [
    "RandomConfigs",
    "UnseenConfigs",
    "check_bool",
    "check_choice",
    "check_fraction",
    "check_int",
    "check_kwargs",
    "check_real",
    "complete_config",
    "construct",
    "finite_configs",
    "finite_size",
    "import_class",
    "probe_once",
    "takes_argument",
]

# A finite space with more configs than this is treated as infinite: enumerating it would
# cost more than it saves, and a run never gets near covering it.
_ENUMERATION_LIMIT = 100_000


# ---------------------------------------------------------------------------------------------
# Parameter checks: one-line ValueErrors naming the strategy, the parameter and what is allowed
# ---------------------------------------------------------------------------------------------


#: Repeated proposals in a row on a finite space before a strategy that repeats itself
#: gets an unseen config picked at random (the optuna and syne-tune adapters).
FINITE_REPEATS = 3


def require_modules(strategy: str, modules: tuple[str, ...], install: str) -> None:
    """Raise ImportError naming the first missing module and ``install``, importing nothing."""
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f"strategy {strategy!r} needs the Python package {module!r}, which is not "
                f"installed; {install}"
            )


def library_seed(seed: int) -> int:
    """A strategy seed as the libraries take one (numpy and ConfigSpace: below 2**31)."""
    return seed % (2**31 - 1)


def scratch_folder(scratch_dir: Path | None, prefix: str) -> Path:
    """Where a library writes its files: the run's scratch folder, else a temporary one."""
    if scratch_dir is None:
        return Path(tempfile.mkdtemp(prefix=prefix))
    scratch_dir.mkdir(parents=True, exist_ok=True)
    return scratch_dir


class Promotions:
    """Which ended trial a promoted config continues from (DEHB, SMAC-HB).

    Such libraries promote a config by asking it again at a larger fidelity under the
    same key; the trial continues the key's latest trial when that one ended with kept
    weights and fewer epochs.

    Args:
        resume: Continue from weights (``True``) or retrain promotions from scratch.
    """

    def __init__(self, resume: bool) -> None:
        self.resume = resume
        self._latest: dict[Any, int] = {}  # key -> our latest trial of it
        self._epochs: dict[int, int] = {}  # ended trial -> epochs its weights have seen
        self._promotable: set[int] = set()

    def propose(self, trial_id: int, key: Any, target: int, promotable: bool) -> int | None:
        """Record a new trial of ``key``; return the trial it resumes, if any."""
        previous = self._latest.get(key)
        source = None
        if self.resume and previous in self._promotable and previous in self._epochs:
            source = previous if self._epochs[previous] < target else None
        self._latest[key] = trial_id
        if promotable:
            self._promotable.add(trial_id)
        return source

    def rekey(self, trial_id: int, key: Any) -> None:
        """The trial is evaluated as another config: a promotion of ``key`` continues it."""
        for old, latest in list(self._latest.items()):
            if latest == trial_id:
                del self._latest[old]
        self._latest[key] = trial_id

    def ended(self, trial_id: int, epochs: int, failed: bool) -> None:
        """A trial ended (the harness keeps no weights of a failed one)."""
        self._epochs[trial_id] = epochs
        if failed:
            self._promotable.discard(trial_id)

    def keeps(self, trial_id: int) -> bool:
        """Whether the trial's weights should be kept for a promotion."""
        return self.resume and trial_id in self._promotable


def _refuse(strategy: str, param: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"{strategy}: {param} = {value!r} is not allowed; allowed: {allowed}")


def check_int(strategy: str, param: str, value: Any, low: int, high: int | None = None) -> None:
    """Raise unless ``value`` is an int (not a bool) in ``[low, high]``."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        upper = f", {high}]" if high is not None else ", inf)"
        raise _refuse(strategy, param, value, f"an int in [{low}{upper}")


def check_real(strategy: str, param: str, value: Any, low: float = 0.0) -> None:
    """Raise unless ``value`` is a finite real number (not a bool) ``>= low``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (ok and math.isfinite(value) and value >= low):
        raise _refuse(strategy, param, value, f"a finite number >= {low}")


def check_fraction(strategy: str, param: str, value: Any) -> None:
    """Raise unless ``value`` is a real number strictly between 0 and 1."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (ok and 0.0 < value < 1.0):
        raise _refuse(strategy, param, value, "a number in (0, 1), both ends excluded")


def check_bool(strategy: str, param: str, value: Any) -> None:
    """Raise unless ``value`` is ``True`` or ``False``."""
    if not isinstance(value, bool):
        raise _refuse(strategy, param, value, "true or false")


def check_choice(strategy: str, param: str, value: Any, choices: tuple[str, ...]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise _refuse(strategy, param, value, "one of " + ", ".join(repr(c) for c in choices))


def import_class(strategy: str, param: str, path: Any, base: type, what: str) -> type:
    """The class a dotted path names (``"optuna.samplers.CmaEsSampler"``), a subclass of ``base``.

    Importing runs the module's code, as naming a plug-in does: the path is the user's.

    Raises:
        ValueError: One line naming the parameter: not a dotted path, not importable, not a
            class, or not a ``base``.
    """
    if not isinstance(path, str) or "." not in path.strip("."):
        raise _refuse(strategy, param, path, f"the dotted path of {what}, such as 'package.Class'")
    module_name, _, attr = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise ValueError(f"{strategy}: {param} = {path!r} cannot be imported: {exc}") from None
    except AttributeError:
        raise ValueError(
            f"{strategy}: {param} = {path!r} cannot be imported: module {module_name!r} has "
            f"no attribute {attr!r}"
        ) from None
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ValueError(
            f"{strategy}: {param} = {path!r} is not {what} "
            f"(a subclass of {base.__module__}.{base.__qualname__})"
        )
    return found


def check_kwargs(strategy: str, param: str, kwargs: Any) -> dict[str, Any]:
    """``kwargs`` as a dict of keyword arguments (unset: none)."""
    if kwargs is None:
        return {}
    if not isinstance(kwargs, Mapping) or not all(isinstance(k, str) for k in kwargs):
        raise ValueError(
            f"{strategy}: {param} = {kwargs!r} is not allowed; allowed: a table of keyword "
            "arguments, such as { n_startup_trials = 5 }"
        )
    return dict(kwargs)


def construct(
    strategy: str,
    param: str,
    path: str,
    cls: type,
    kwargs: dict[str, Any],
    added: Mapping[str, Any] | None = None,
) -> Any:
    """``cls(**kwargs, **added)``, or a one-line ValueError saying what the class rejected.

    ``added`` are the arguments tunebench supplies (a seed), not named in the message.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optuna's ExperimentalWarning, on every build
            return cls(**kwargs, **(added or {}))
    except Exception as exc:  # a user's class may raise anything
        given = ", ".join(f"{k} = {v!r}" for k, v in kwargs.items()) or "no arguments"
        raise ValueError(
            f"{strategy}: {param} = {path!r} rejects {given}: {type(exc).__name__}: {exc}"
        ) from None


# Classes by name whose probe passed in this process (its runs' setups need not probe again).
_PROBED: set[str] = set()


def probe_once(key: str, probe: Callable[[], None]) -> None:
    """Run ``probe`` (which raises to refuse) unless it already passed for ``key`` here."""
    if key not in _PROBED:
        probe()
        _PROBED.add(key)


def takes_argument(cls: type, name: str) -> bool:
    """Whether ``cls(...)`` names the keyword argument ``name`` in its signature.

    A bare ``**kwargs`` does not count: it may not accept the name after all.
    """
    try:
        return name in inspect.signature(cls).parameters
    except (TypeError, ValueError):  # no signature to read (a C extension): assume not
        return False


# ---------------------------------------------------------------------------------------------
# Finite spaces
# ---------------------------------------------------------------------------------------------


def _every_value(param: Param) -> Param | None:
    """``param`` with a grid of every value it allows, or ``None`` when there are too many."""
    if isinstance(param, Float):
        return None
    if isinstance(param, Int):
        count = (param.high - param.low) // param.step + 1
        if count > _ENUMERATION_LIMIT:
            return None
        return replace(param, grid=tuple(range(param.low, param.high + 1, param.step)))
    return param


def _exact_space(space: SearchSpace) -> SearchSpace | None:
    params = [_every_value(p) for p in space]
    if any(p is None for p in params):
        return None
    exact = SearchSpace([p for p in params if p is not None])
    return exact if exact.grid_size() <= _ENUMERATION_LIMIT else None


def finite_size(space: SearchSpace) -> int | None:
    """Number of distinct valid configs of ``space``, or ``None`` if it is infinite or huge.

    A space is finite when it has no :class:`Float` parameter; every value of an ``Int``
    counts (not only its grid values). Spaces above 100,000 configs count as infinite.
    """
    exact = _exact_space(space)
    return None if exact is None else exact.grid_size()


def finite_configs(space: SearchSpace) -> list[dict[str, Any]] | None:
    """Every valid config of a finite space (see :func:`finite_size`), or ``None``."""
    exact = _exact_space(space)
    return None if exact is None else exact.grid()


class UnseenConfigs:
    """Random configs of a finite space that were not seen yet.

    The space is enumerated once, on the first draw (:func:`finite_configs`); an infinite
    or huge space has no configs to draw. Each draw is one call on the caller's
    generator, so a seeded strategy proposes the same configs every time.

    Args:
        space: The search space.
    """

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
        self._all: list[dict[str, Any]] | None = None

    def unseen(self, seen: Collection[str]) -> list[dict[str, Any]]:
        """The configs whose keys (``space.config_key``) are not in ``seen``, in space order."""
        if self._all is None:
            self._all = finite_configs(self.space) or []
        return [c for c in self._all if self.space.config_key(c) not in seen]

    def pick(self, rng: np.random.Generator, seen: Collection[str]) -> dict[str, Any]:
        """One unseen config, uniformly at random (one ``rng.integers`` draw).

        Raises:
            ValueError: No config is left unseen.
        """
        unseen = self.unseen(seen)
        return unseen[int(rng.integers(len(unseen)))]

    def pick_many(
        self, rng: np.random.Generator, seen: Collection[str], n: int
    ) -> list[dict[str, Any]]:
        """Up to ``n`` unseen configs in random order (one ``rng.permutation`` draw)."""
        unseen = self.unseen(seen)
        return [unseen[i] for i in rng.permutation(len(unseen))[:n]]


def complete_config(space: SearchSpace, config: dict[str, Any]) -> dict[str, Any]:
    """Make ``config`` valid after a change: drop inactive keys, default new active ones.

    Parameters are visited in space order (parents first), so changing a parent such as
    ``n_layers`` activates or deactivates its children consistently.
    """
    out: dict[str, Any] = {}
    for param in space:
        if space.is_active(param.name, out):
            out[param.name] = config.get(param.name, param.default_value())
    return space.canonical(out)


# ---------------------------------------------------------------------------------------------
# Seeded random configs
# ---------------------------------------------------------------------------------------------


class RandomConfigs:
    """Uniform random configs of a space, seeded (optuna's RandomSampler, define-by-run).

    Args:
        space: The search space.
        seed: Same seed, same sequence of configs.
    """

    def __init__(self, space: SearchSpace, seed: int) -> None:
        self.space = space
        self._rng = np.random.default_rng(seed)
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._study = optuna.create_study(
            sampler=optuna.samplers.RandomSampler(seed=seed),
            study_name=f"tunebench-random-configs-{seed}",
        )
        self._unseen_configs = UnseenConfigs(space)
        self._size = finite_size(space)

    def sample(self) -> dict[str, Any]:
        """One random config (canonical)."""
        trial = self._study.ask()
        config = self.space.suggest_optuna(trial)
        # Close it: the study is only a source of seeded draws.
        self._study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return self.space.canonical(config)

    def distinct(self, n: int, exclude: set[str]) -> list[dict[str, Any]]:
        """Up to ``n`` random configs, distinct and not in ``exclude`` (config keys).

        On a finite space with fewer than ``n`` unseen configs, all of them (shuffled); so the
        result is shorter than ``n`` only when the space runs out. ``exclude`` is updated.
        """
        out: list[dict[str, Any]] = []
        attempts = 0
        while len(out) < n:
            if self._size is not None and len(exclude) >= self._size:
                break
            attempts += 1
            if attempts > 20 * n + 100:
                # Rejection sampling is stuck (finite space nearly covered): pick the rest
                # from the enumeration of the unseen configs.
                picked = self._unseen_configs.pick_many(self._rng, exclude, n - len(out))
                exclude.update(self.space.config_key(c) for c in picked)
                out.extend(self.space.canonical(c) for c in picked)
                break
            config = self.sample()
            key = self.space.config_key(config)
            if key not in exclude:
                exclude.add(key)
                out.append(config)
        return out
