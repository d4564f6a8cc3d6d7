"""Chaos run orchestration: simulator and engine as processes, faults, kills, final checks."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from arbcore.chaos.invariants import DatabaseView, Verdict, check, count_trades
from arbcore.chaos.operator import play_operator
from arbcore.chaos.schedule import ChaosSchedule
from arbcore.chaos.simctl import NakedTracker, SimControl, SimUnavailable, sample_naked
from arbcore.core.enums import Venue
from arbcore.sim.process import (
    ARBCORE,
    credentials_env,
    die_with_parent,
    exchanges_section,
    start_sim_process,
)

log = logging.getLogger(__name__)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
VOLUME_BASE = {"BTCUSDT": "0.02", "ETHUSDT": "0.4", "SOLUSDT": "8"}
PARTS = {"BTCUSDT": 2, "ETHUSDT": 1, "SOLUSDT": 1}


@dataclass(frozen=True, slots=True)
class ChaosOptions:
    cycles: int
    seed: int
    kill_every: int | None
    venues: tuple[Venue, ...]
    workdir: Path
    max_minutes: float = 60.0
    stall_minutes: float = 3.0  # no new closed trade this long: give up


@dataclass(slots=True)
class ChaosOutcome:
    """Everything the report prints."""

    options: ChaosOptions
    cycles_completed: int = 0
    trades_by_state: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    crashes: list[str] = field(default_factory=list)
    final_exit_code: int | None = None
    faults_applied: dict[str, int] = field(default_factory=dict)
    faults_armed_by_schedule: dict[str, int] = field(default_factory=dict)
    episodes_forced: int = 0
    operator_clears: int = 0  # `pairs clear-error` issued for Pairs found in ERROR
    naked: NakedTracker = field(default_factory=NakedTracker)
    verdict: Verdict = field(default_factory=Verdict)
    duration_s: float = 0.0
    error_log_lines: int = 0
    problems: list[str] = field(default_factory=list)  # the run itself went wrong

    @property
    def failures(self) -> list[str]:
        return [*self.problems, *self.crashes, *self.verdict.failures]


def sim_config(seed: int) -> dict[str, Any]:
    """Forced episodes drive the trades; the model's own episodes are rare."""
    return {
        "seed": seed,
        "coins": [s.removesuffix("USDT") for s in SYMBOLS],
        "divergence": {
            "noise_bps_per_sqrt_s": 1.0,
            "half_life_s": 1.5,
            "episode_every_s": 120.0,
            "episode_size_bps": 40.0,
            "episode_duration_s": 3.0,
        },
        "updates_per_s": 20.0,
    }


def app_config(workdir: Path, endpoints: dict[Venue, dict[str, Any]]) -> dict[str, Any]:
    exchanges = exchanges_section({v.value: info for v, info in endpoints.items()})
    pairs = [
        {
            "symbol": symbol,
            "exchanges": [v.value for v in endpoints],
            "volume_base": VOLUME_BASE[symbol],
            "entry_parts": PARTS[symbol],
            "exit_parts": PARTS[symbol],
            "entry_spread_pct": "0.15",
            "take_profit_pct": "0.05",
            "stop_loss_pct": "1.5",
            "leverage": 5,
            "max_slippage_pct": "0.1",
        }
        for symbol in SYMBOLS
    ]
    return {
        "database": {"url": f"sqlite+aiosqlite:///{workdir / 'arbcore.db'}"},
        "exchanges": exchanges,
        "engine": {
            "on_start": "close",
            "close_on_shutdown": True,
            "max_concurrent_arbitrages": 3,
            "shutdown_timeout_s": 60.0,
        },
        "pairs": pairs,
        "logging": {"file_path": str(workdir / "engine.log"), "stderr": False},
        "metrics": {"enabled": False},
        "api": {"enabled": False},
    }


class SimProcess:
    """`arbcore sim` in its own process; `endpoints` from the lines it prints."""

    def __init__(self, options: ChaosOptions) -> None:
        path = options.workdir / "sim.yaml"
        path.write_text(yaml.safe_dump(sim_config(options.seed)), encoding="utf-8")
        venues = ",".join(v.value for v in options.venues)
        self._stderr = (options.workdir / "sim.stderr").open("w", encoding="utf-8")
        try:
            self.proc, found = start_sim_process(venues, options.seed, path, self._stderr)
        except RuntimeError:
            self._stderr.close()
            raise RuntimeError(
                f"simulator did not start; see {options.workdir / 'sim.stderr'}"
            ) from None
        self.endpoints: dict[Venue, dict[str, Any]] = {Venue(v): i for v, i in found.items()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()


class EngineProcess:
    """`arbcore run` in its own process; stderr appended to one file across restarts."""

    def __init__(self, config: Path, env: dict[str, str], stderr_path: Path) -> None:
        self.config = config
        self.env = env
        self._stderr: IO[str] = stderr_path.open("a", encoding="utf-8")
        self.proc: subprocess.Popen[str] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self._stderr.write(f"--- engine start {self.starts} at {time.time():.3f}\n")
        self._stderr.flush()
        self.proc = subprocess.Popen(
            [ARBCORE, "run", "--config", str(self.config)],
            env=self.env, stdout=self._stderr, stderr=self._stderr, text=True,
            preexec_fn=die_with_parent,
        )  # fmt: skip

    async def command(self, *args: str) -> bool:
        """Another `arbcore` command on the same config (operator actions); True on exit 0."""
        proc = await asyncio.create_subprocess_exec(
            ARBCORE, *args, "--config", str(self.config), env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await proc.wait() == 0

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=15)

    async def terminate(self, timeout_s: float) -> int | None:
        """SIGTERM and wait; None if it did not exit in time (then it is killed)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = await asyncio.wait_for(asyncio.to_thread(self.proc.wait), timeout_s)
        except TimeoutError:
            code = None
        if code is None:
            self.proc.kill()
            self.proc.wait()
        return code

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


async def _drive_faults(
    control: SimControl, schedule: ChaosSchedule, outcome: ChaosOutcome, stop: asyncio.Event
) -> None:
    for item in schedule.faults():
        try:
            await asyncio.wait_for(stop.wait(), item.delay_s)
            return
        except TimeoutError:
            pass
        try:
            await control.call(item.venue, "POST", "faults", item.spec)
        except SimUnavailable:
            continue  # the port is refused right now; the next round arms it again
        armed = outcome.faults_armed_by_schedule
        armed[item.kind] = armed.get(item.kind, 0) + 1


async def _drive_episodes(
    control: SimControl, schedule: ChaosSchedule, outcome: ChaosOutcome, stop: asyncio.Event
) -> None:
    for item in schedule.episodes():
        try:
            await asyncio.wait_for(stop.wait(), item.delay_s)
            return
        except TimeoutError:
            pass
        body = {"symbol": item.symbol, "size_bps": item.size_bps, "duration_s": item.duration_s}
        try:
            await control.call(item.venue, "POST", "episode", body)
        except SimUnavailable:
            continue
        outcome.episodes_forced += 1


def _cycles(counts: dict[str, int]) -> int:
    return counts.get("closed", 0)


async def run_chaos(options: ChaosOptions) -> ChaosOutcome:
    """The whole campaign; the outcome says which invariants failed (if any)."""
    outcome = ChaosOutcome(options)
    started = time.monotonic()
    sim = SimProcess(options)
    db_path = options.workdir / "arbcore.db"
    config = options.workdir / "app.yaml"
    config.write_text(yaml.safe_dump(app_config(options.workdir, sim.endpoints)), encoding="utf-8")
    engine = EngineProcess(
        config,
        credentials_env(
            {v.value: info for v, info in sim.endpoints.items()},
            dict(os.environ, _TYPER_STANDARD_TRACEBACK="1"),  # plain tracebacks in the log
        ),
        options.workdir / "engine.stderr",
    )
    schedule = ChaosSchedule(options.seed, options.venues, SYMBOLS)
    stop_faults, stop_sampler = asyncio.Event(), asyncio.Event()
    try:
        async with SimControl(sim.endpoints) as control:
            for venue in options.venues:
                await control.call_retrying(venue, "POST", "rates", schedule.rates(venue))
            engine.start()
            sampler = asyncio.create_task(sample_naked(control, outcome.naked, stop_sampler))
            drivers = [
                asyncio.create_task(_drive_faults(control, schedule, outcome, stop_faults)),
                asyncio.create_task(_drive_episodes(control, schedule, outcome, stop_faults)),
                asyncio.create_task(play_operator(engine.command, db_path, outcome, stop_faults)),
            ]
            await _campaign(options, engine, db_path, outcome)
            stop_faults.set()
            await asyncio.gather(*drivers)
            for venue in options.venues:
                await control.call_retrying(venue, "POST", "clear")
            outcome.final_exit_code = await engine.terminate(timeout_s=120.0)
            if outcome.final_exit_code != 0:
                outcome.crashes.append(f"final SIGTERM: exit code {outcome.final_exit_code}")
            await asyncio.sleep(0.3)  # one more sample of the final state
            stop_sampler.set()
            await sampler
            outcome.naked.finish(time.monotonic())
            outcome.faults_applied = await control.applied_faults()
            truth = {v.value: await control.truth(v) for v in options.venues}
        outcome.trades_by_state = count_trades(db_path)
        outcome.cycles_completed = _cycles(outcome.trades_by_state)
        outcome.verdict = check(truth, DatabaseView.read(db_path))
        if outcome.cycles_completed < options.cycles:
            outcome.problems.append(
                f"only {outcome.cycles_completed} of {options.cycles} cycles completed"
            )
    finally:
        engine.close()
        sim.stop()
    _scan_logs(options.workdir, outcome)
    outcome.duration_s = round(time.monotonic() - started, 1)
    return outcome


async def _campaign(
    options: ChaosOptions, engine: EngineProcess, db_path: Path, outcome: ChaosOutcome
) -> None:
    """Wait for cycles; SIGKILL and restart every `kill_every`; restart after crashes."""
    next_kill = options.kill_every
    deadline = time.monotonic() + options.max_minutes * 60
    last_progress, last_cycles = time.monotonic(), 0
    while True:
        await asyncio.sleep(0.25)
        cycles = _cycles(await asyncio.to_thread(count_trades, db_path))
        now = time.monotonic()
        if cycles != last_cycles:
            last_progress, last_cycles = now, cycles
        if cycles >= options.cycles:
            return
        if now > deadline or now - last_progress > options.stall_minutes * 60:
            outcome.problems.append(f"gave up after {cycles} cycles (time limit or no progress)")
            return
        code = engine.exited()
        if code is not None:
            outcome.crashes.append(f"engine exited with code {code} after {cycles} cycles")
            log.error("chaos: engine exited with %s; restarting", code)
            engine.start()
            continue
        if next_kill is not None and cycles >= next_kill:
            engine.kill()
            outcome.kills += 1
            outcome.naked.note_kill(time.monotonic())
            log.info("chaos: SIGKILL after %d cycles; restarting", cycles)
            engine.start()
            next_kill += options.kill_every or 0


def _scan_logs(workdir: Path, outcome: ChaosOutcome) -> None:
    """Tracebacks on the engine's stderr are crashes; ERROR lines in its log are counted."""
    stderr = workdir / "engine.stderr"
    if stderr.exists():
        tracebacks = stderr.read_text(encoding="utf-8", errors="replace").count("Traceback")
        if tracebacks:
            outcome.crashes.append(f"{tracebacks} traceback(s) on the engine's stderr")
    for path in sorted(workdir.glob("engine.log*")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                level = json.loads(line).get("level")
            except (ValueError, AttributeError):
                continue
            if level in ("error", "critical"):
                outcome.error_log_lines += 1
