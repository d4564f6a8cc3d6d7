"""`arbcore pairs` against a simulator process: validation names exchange and limit."""

from __future__ import annotations

from pathlib import Path

from tests.integration.processes import arbcore, sim_process, write_config


def test_pairs_lifecycle_with_validation(tmp_path: Path) -> None:
    with sim_process() as endpoints:
        config = str(write_config(tmp_path / "app.yaml", endpoints))
        common = ["--config", config, "--entry-spread-pct", "0.2", "--take-profit-pct", "0.1"]
        common += ["--stop-loss-pct", "1", "--exchanges", "bybit,bitget"]
        refused = arbcore("pairs", "add", "--symbol", "BTCUSDT", "--volume", "0.0001", *common)
        assert refused.returncode == 1
        assert "bybit: min_qty" in refused.stderr
        assert "bitget: min_qty" in refused.stderr
        assert "minimum order quantity 0.001 BTC" in refused.stderr

        added = arbcore("pairs", "add", "--symbol", "ETHUSDT", "--volume", "0.5", *common)
        assert added.returncode == 0, added.stderr
        assert "pair 1 added" in added.stdout

        assert arbcore("pairs", "pause", "1", "--config", config).returncode == 0
        listed = arbcore("pairs", "list", "--config", config)
        assert "ETHUSDT" in listed.stdout
        assert "no" in listed.stdout  # enabled column

        removed = arbcore("pairs", "remove", "1", "--config", config)
        assert removed.returncode == 0, removed.stderr
        assert "ETHUSDT" not in arbcore("pairs", "list", "--config", config).stdout
        missing = arbcore("pairs", "start", "7", "--config", config)
        assert missing.returncode == 1
        assert "pair 7 does not exist" in missing.stderr
