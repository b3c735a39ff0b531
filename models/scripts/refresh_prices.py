"""Regenerate ``src/semroute/ledger/prices.json`` from the installed litellm package.

The ledger prices calls with a trimmed copy of LiteLLM's MIT-licensed
``model_prices_and_context_window`` table: chat (and Responses API) models
that give both a per-token input and output price, as dollars per million
tokens, with the provider. Everything else (context windows, feature flags,
batch / priority / cached-input prices, image and audio models) is dropped.
The file keeps LiteLLM's licence notice, its version and the date it was made.

    pip install litellm            # the version you want to take prices from
    python models/scripts/refresh_prices.py [--out PATH]

litellm is never imported: only its JSON data file and licence are read.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parents[1] / "src" / "semroute" / "ledger" / "prices.json"
DATA_FILE = "litellm/model_prices_and_context_window_backup.json"
MODES = ("chat", "responses")


def _package_file(dist: metadata.Distribution, suffix: str) -> Path:
    for file in dist.files or ():
        if str(file).endswith(suffix):
            return Path(str(dist.locate_file(file)))
    raise SystemExit(f"litellm {dist.version} has no file ending in {suffix}")


def _per_mtok(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    # Rounded to 1e-6 $/Mtok so float noise (1.5e-07 * 1e6) does not show in the file.
    return round(float(value) * 1e6, 6)


def trim(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keep chat models with both per-token prices, as dollars per million tokens."""
    models: dict[str, dict[str, Any]] = {}
    for name, spec in sorted(raw.items()):
        if name == "sample_spec" or not isinstance(spec, dict) or spec.get("mode") not in MODES:
            continue
        input_price = _per_mtok(spec.get("input_cost_per_token"))
        output_price = _per_mtok(spec.get("output_cost_per_token"))
        if input_price is None or output_price is None or input_price < 0 or output_price < 0:
            continue
        models[name] = {
            "input_per_mtok": input_price,
            "output_per_mtok": output_price,
            "provider": str(spec.get("litellm_provider", "")),
        }
    return models


def _dump(document: dict[str, Any]) -> str:
    """Readable JSON with one model per line, so a refresh diffs line by line."""
    head = {k: v for k, v in document.items() if k != "models"}
    lines = [json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ',\n "models": {']
    rows = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in document["models"].items()]
    return "\n".join(lines) + "\n" + ",\n".join(rows) + "\n }\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    dist = metadata.distribution("litellm")
    raw = json.loads(_package_file(dist, DATA_FILE).read_text(encoding="utf-8"))
    licence = _package_file(dist, "LICENSE").read_text(encoding="utf-8")
    models = trim(raw)
    document = {
        "source": (
            f"litellm {dist.version}, {DATA_FILE} "
            "(https://github.com/BerriAI/litellm, model_prices_and_context_window.json), "
            f"trimmed to {', '.join(MODES)} models with per-token input and output prices"
        ),
        "litellm_version": dist.version,
        "generated": datetime.now(timezone.utc).date().isoformat(),
        "generated_by": "models/scripts/refresh_prices.py",
        "units": "US dollars per million tokens",
        "license": "MIT",
        "license_notice": licence.strip(),
        "models": models,
    }
    args.out.write_text(_dump(document), encoding="utf-8")
    print(f"wrote {len(models)} models from litellm {dist.version} to {args.out}")


if __name__ == "__main__":
    main()
