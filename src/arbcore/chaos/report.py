"""The chaos run's result as a JSON document or as lines for a human."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arbcore.chaos.runner import ChaosOutcome


def _ms(value: float) -> int:
    return round(value)


def as_dict(outcome: ChaosOutcome) -> dict[str, Any]:
    opts = outcome.options
    verdict = outcome.verdict
    naked = outcome.naked
    return {
        "ok": not outcome.failures,
        "seed": opts.seed,
        "cycles_requested": opts.cycles,
        "cycles_completed": outcome.cycles_completed,
        "kill_every": opts.kill_every,
        "venues": [v.value for v in opts.venues],
        "duration_s": outcome.duration_s,
        "trades_by_state": outcome.trades_by_state,
        "kills": outcome.kills,
        "crashes_other_than_kills": len(outcome.crashes),
        "crashes": outcome.crashes,
        "final_exit_code": outcome.final_exit_code,
        "faults_injected": outcome.faults_applied,
        "faults_armed_by_schedule": outcome.faults_armed_by_schedule,
        "divergence_episodes_forced": outcome.episodes_forced,
        "operator_clears": outcome.operator_clears,
        "max_naked_ms": _ms(naked.max_naked_ms),
        "max_naked_outside_kills_ms": _ms(naked.max_naked_outside_kills_ms),
        "naked_periods": naked.periods,
        "longest_naked_periods": naked.longest,
        "exposure_samples": naked.samples,
        "exposure_samples_missed": naked.missed_samples,
        "naked_exposure_at_end": verdict.net_exposure_base,
        "venue_positions_at_end": verdict.venue_positions,
        "open_trades_at_end": verdict.open_trades,
        "executed_orders": verdict.executed_orders,
        "lost_records": len(verdict.lost_records),
        "lost_record_details": verdict.lost_records[:20],
        "phantom_fills": len(verdict.phantom_fills),
        "trades_realized_pnl_usdt": str(verdict.trades_pnl_usdt),
        "ledger_change_usdt": str(verdict.ledger_change_usdt),
        "ledger_by_kind_usdt": {k: str(v) for k, v in verdict.ledger_by_kind_usdt.items()},
        "pnl_difference_usdt": str(verdict.pnl_difference_usdt),
        "untraded_orders_pnl_usdt": str(verdict.untraded_orders_pnl_usdt),
        "open_trades_ledger_usdt": str(verdict.open_trades_pnl_usdt),
        "engine_error_log_lines": outcome.error_log_lines,
        "failures": outcome.failures,
        "workdir": str(opts.workdir),
    }


def as_lines(outcome: ChaosOutcome) -> list[str]:
    data = as_dict(outcome)
    faults = ", ".join(f"{k}={v}" for k, v in sorted(data["faults_injected"].items()) if v)
    pnl = Decimal(data["pnl_difference_usdt"])
    lines = [
        f"chaos seed {data['seed']}: {data['cycles_completed']}/{data['cycles_requested']} "
        f"cycles in {data['duration_s']} s, {data['kills']} kills",
        f"faults injected: {faults or 'none'}",
        f"max naked: {data['max_naked_ms']} ms ({data['max_naked_outside_kills_ms']} ms outside "
        f"kills) over {data['naked_periods']} periods",
        f"naked exposure at end: {data['naked_exposure_at_end'] or 0}",
        f"lost records: {data['lost_records']} of {data['executed_orders']} executed orders; "
        f"phantom fills: {data['phantom_fills']}",
        f"pnl: trades {data['trades_realized_pnl_usdt']} vs ledgers "
        f"{data['ledger_change_usdt']} (difference {pnl})",
        f"crashes other than kills: {data['crashes_other_than_kills']}; "
        f"final exit code {data['final_exit_code']}",
    ]
    if data["failures"]:
        lines.append("FAILED:")
        lines.extend(f"  - {failure}" for failure in data["failures"])
    else:
        lines.append("all invariants hold")
    return lines
