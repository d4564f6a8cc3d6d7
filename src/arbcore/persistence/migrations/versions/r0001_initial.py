"""Initial schema: pairs, trades, orders, leverage_cache and the append-only events journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from arbcore.persistence.types import ExactDecimal, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_APPEND_ONLY_MESSAGE = "events are append-only"


def _id_column() -> sa.Column[int]:
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def upgrade() -> None:
    op.create_table(
        "pairs",
        _id_column(),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("exchanges", _JSON, nullable=False),
        sa.Column("price_only", _JSON, nullable=False),
        sa.Column("volume_base", ExactDecimal(), nullable=False),
        sa.Column("entry_parts", sa.Integer(), nullable=False),
        sa.Column("exit_parts", sa.Integer(), nullable=False),
        sa.Column("entry_spread_pct", ExactDecimal(), nullable=False),
        sa.Column("take_profit_pct", ExactDecimal(), nullable=False),
        sa.Column("stop_loss_pct", ExactDecimal(), nullable=False),
        sa.Column("leverage", sa.Integer(), nullable=False),
        sa.Column("margin_mode", sa.String(16), nullable=False),
        sa.Column("add_step_pct", ExactDecimal(), nullable=False),
        sa.Column("max_adds", sa.Integer(), nullable=False),
        sa.Column("max_slippage_pct", ExactDecimal(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_pairs"),
    )
    op.create_index("ix_pairs_symbol", "pairs", ["symbol"])

    op.create_table(
        "trades",
        _id_column(),
        sa.Column("pair_id", sa.BigInteger(), nullable=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("long_exchange", sa.String(16), nullable=False),
        sa.Column("short_exchange", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("target_base", ExactDecimal(), nullable=False),
        sa.Column("entered_base", ExactDecimal(), nullable=False),
        sa.Column("exited_base", ExactDecimal(), nullable=False),
        sa.Column("long_entry_avg_px", ExactDecimal(), nullable=True),
        sa.Column("short_entry_avg_px", ExactDecimal(), nullable=True),
        sa.Column("long_exit_avg_px", ExactDecimal(), nullable=True),
        sa.Column("short_exit_avg_px", ExactDecimal(), nullable=True),
        sa.Column("entry_fees_usdt", ExactDecimal(), nullable=False),
        sa.Column("exit_fees_usdt", ExactDecimal(), nullable=False),
        sa.Column("funding_usdt", ExactDecimal(), nullable=False),
        sa.Column("realized_pnl_usdt", ExactDecimal(), nullable=True),
        sa.Column("close_reason", sa.String(32), nullable=True),
        sa.Column("entry_parts", sa.Integer(), nullable=False),
        sa.Column("entry_parts_done", sa.Integer(), nullable=False),
        sa.Column("exit_parts", sa.Integer(), nullable=False),
        sa.Column("exit_parts_done", sa.Integer(), nullable=False),
        sa.Column("adds_done", sa.Integer(), nullable=False),
        sa.Column("entry_spread_pct", ExactDecimal(), nullable=True),
        sa.Column("last_part_spread_pct", ExactDecimal(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_trades"),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_trades_pair_id_pairs", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_trades_pair_id_opened_at", "trades", ["pair_id", "opened_at"])
    op.create_index("ix_trades_state_opened_at", "trades", ["state", "opened_at"])
    op.create_index("ix_trades_opened_at", "trades", ["opened_at"])

    op.create_table(
        "orders",
        _id_column(),
        sa.Column("trade_id", sa.BigInteger(), nullable=True),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("exchange_order_id", sa.String(64), nullable=True),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("tif", sa.String(16), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("leg", sa.String(1), nullable=True),
        sa.Column("part", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("requested_base", ExactDecimal(), nullable=False),
        sa.Column("filled_base", ExactDecimal(), nullable=False),
        sa.Column("avg_price", ExactDecimal(), nullable=True),
        sa.Column("fee_usdt", ExactDecimal(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("acked_at", UtcDateTime(), nullable=True),
        sa.Column("tick_to_order_ns", sa.BigInteger(), nullable=True),
        sa.Column("ack_latency_ns", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name="fk_orders_trade_id_trades", ondelete="RESTRICT"
        ),
        sa.UniqueConstraint("exchange", "client_id", name="uq_orders_exchange_client_id"),
    )
    op.create_index("ix_orders_trade_id_sent_at", "orders", ["trade_id", "sent_at"])
    op.create_index("ix_orders_sent_at", "orders", ["sent_at"])

    op.create_table(
        "leverage_cache",
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("leverage", ExactDecimal(), nullable=False),
        sa.Column("margin_mode", sa.String(16), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("exchange", "symbol", name="pk_leverage_cache"),
    )

    op.create_table(
        "events",
        _id_column(),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("pair_id", sa.BigInteger(), nullable=True),
        sa.Column("trade_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name="fk_events_pair_id_pairs", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["trade_id"], ["trades.id"], name="fk_events_trade_id_trades", ondelete="RESTRICT"
        ),
    )
    op.create_index("ix_events_ts", "events", ["ts"])
    op.create_index("ix_events_trade_id_id", "events", ["trade_id", "id"])
    op.create_index("ix_events_pair_id_id", "events", ["pair_id", "id"])
    _create_append_only_guard()


def _create_append_only_guard() -> None:
    """Refuse UPDATE and DELETE on events inside the database, whatever the client."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY_MESSAGE}'; END; $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    op.drop_table("events")
    op.drop_table("leverage_cache")
    op.drop_table("orders")
    op.drop_table("trades")
    op.drop_table("pairs")
