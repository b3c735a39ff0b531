"""Prices: the shipped LiteLLM table, overrides, unknown models, the refresh script."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

from semroute.errors import ConfigError, InputError
from semroute.ledger import PriceBook, price_of, shipped_prices_info, use_prices

ROOT = Path(__file__).resolve().parents[2]


def _script() -> object:
    spec = importlib.util.spec_from_file_location(
        "refresh_prices", ROOT / "models" / "scripts" / "refresh_prices.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_table_is_dated_sourced_and_keeps_the_mit_notice() -> None:
    meta = shipped_prices_info()
    assert meta["license"] == "MIT"
    assert "Copyright (c) 2023 Berri AI" in meta["license_notice"]
    assert "Permission is hereby granted" in meta["license_notice"]
    assert meta["litellm_version"] and meta["generated"][:2] == "20"
    assert meta["units"] == "US dollars per million tokens"


def test_shipped_table_is_package_data_and_setup_installs_it() -> None:
    text = resources.files("semroute.ledger").joinpath("prices.json").read_text("utf-8")
    models = json.loads(text)["models"]
    assert len(models) > 500
    assert all(set(v) == {"input_per_mtok", "output_per_mtok", "provider"} for v in models.values())
    assert '"semroute.ledger": ["prices.json"]' in (ROOT / "setup.py").read_text()


def test_known_models_are_priced_per_token() -> None:
    # gpt-4o-mini: 0.15 / 0.60 dollars per million tokens in the shipped table.
    assert price_of("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    assert price_of("gpt-4o-mini", 0, 1_000_000) == pytest.approx(0.60)
    assert price_of("openai/gpt-4o-mini", 1000, 200) == pytest.approx(
        price_of("gpt-4o-mini", 1000, 200)
    )
    assert price_of("GPT-4o-mini", 1000, 200) == pytest.approx(price_of("gpt-4o-mini", 1000, 200))


def test_unknown_model_costs_none_never_zero() -> None:
    assert price_of("house-model-7b", 1000, 200) is None
    assert price_of(None, 1000, 200) is None
    assert price_of("", 1000, 200) is None


def test_own_table_overrides_shipped_and_adds_models() -> None:
    book = PriceBook(
        {"gpt-4o-mini": [1.0, 1.0], "house-model-7b": {"input_per_mtok": 2, "output_per_mtok": 4}}
    )
    assert book.cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(1.0)
    assert book.cost("house-model-7b", 500_000, 500_000) == pytest.approx(3.0)
    assert book.cost("gpt-4o", 1_000_000, 0) == pytest.approx(2.5)  # still shipped


def test_own_table_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"house-model-7b": [2.0, 4.0]}))
    assert PriceBook(path).cost("house-model-7b", 1_000_000, 0) == pytest.approx(2.0)


def test_use_prices_changes_price_of_process_wide() -> None:
    try:
        use_prices({"house-model-7b": [2.0, 4.0]})
        assert price_of("house-model-7b", 1_000_000, 0) == pytest.approx(2.0)
    finally:
        use_prices(None)
    assert price_of("house-model-7b", 1_000_000, 0) is None


@pytest.mark.parametrize("table", [{"m": [-1, 1]}, {"m": "cheap"}, {"m": {"input_per_mtok": 1}}])
def test_bad_tables_raise_config_error(table: object) -> None:
    with pytest.raises(ConfigError):
        PriceBook(table)  # type: ignore[arg-type]


@pytest.mark.parametrize("tokens", [(-1, 0), (0, 1.5), (True, 0)])
def test_bad_token_counts_raise_input_error(tokens: tuple[object, object]) -> None:
    with pytest.raises(InputError):
        price_of("gpt-4o", *tokens)  # type: ignore[arg-type]


def test_refresh_script_keeps_only_chat_models_with_both_prices() -> None:
    raw = {
        "sample_spec": {"mode": "chat", "input_cost_per_token": 0, "output_cost_per_token": 0},
        "chat-model": {
            "mode": "chat",
            "input_cost_per_token": 1.5e-07,
            "output_cost_per_token": 6e-07,
            "litellm_provider": "openai",
            "max_tokens": 100,
            "supports_vision": True,
        },
        "resp-model": {
            "mode": "responses",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 2e-06,
            "litellm_provider": "openai",
        },
        "embedder": {
            "mode": "embedding",
            "input_cost_per_token": 1e-08,
            "output_cost_per_token": 0,
        },
        "half-priced": {"mode": "chat", "input_cost_per_token": 1e-06},
        "image": {"mode": "image_generation", "output_cost_per_image": 0.04},
    }
    trimmed = _script().trim(raw)  # type: ignore[attr-defined]
    assert trimmed == {
        "chat-model": {"input_per_mtok": 0.15, "output_per_mtok": 0.6, "provider": "openai"},
        "resp-model": {"input_per_mtok": 1.0, "output_per_mtok": 2.0, "provider": "openai"},
    }
