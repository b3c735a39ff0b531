"""The framework adapters stay optional: importing semroute loads no framework."""

from __future__ import annotations

import subprocess
import sys


def test_import_semroute_loads_no_framework() -> None:
    code = (
        "import sys, semroute, semroute.integrations, semroute.chat.request; "
        "print(','.join(m for m in ('langchain_core', 'litellm', 'openai') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_importing_an_adapter_loads_only_its_framework() -> None:
    code = (
        "import sys, semroute.integrations.langchain; "
        "print(','.join(m for m in ('langchain_core', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "langchain_core"
