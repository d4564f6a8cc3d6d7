"""Operations: logging, metrics, alerts."""
