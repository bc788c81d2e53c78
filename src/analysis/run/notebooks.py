"""Executing one notebook with papermill and turning it into a page a reader can open offline."""
from __future__ import annotations

from pathlib import Path

from analysis import io
from analysis.errors import AnalysisError
from analysis.run.config import ROOT

NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
KERNEL = "plan171"


class NotebookFailed(AnalysisError):
    """A notebook raised: names it, the cell and the error; the executed notebook is kept for inspection."""

    def __init__(self, name: str, cell: int | None, ename: str, evalue: str, kept: Path) -> None:
        self.ename, self.kept = ename, kept
        first = (evalue or "").strip().splitlines()[0] if evalue else ""
        super().__init__(f"cell {cell} failed: {ename}: {first} (kept: {kept})", file=name)


def kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager
    return KERNEL if KERNEL in KernelSpecManager().find_kernel_specs() else "python3"


def execute(name: str, out: Path, parameters: dict) -> Path:
    """Run notebooks/<name> with `parameters` into `out`."""
    import papermill as pm
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters, kernel_name=kernel(),
                            cwd=str(NOTEBOOKS), progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(name, exc.exec_count, exc.ename, exc.evalue, out) from None
    return out


def to_html(notebook: Path, target: Path, title: str) -> Path:
    """Readers get no code: inputs and prompts removed, and a template with no external script."""
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    config = Config()
    # A cell tagged "analyst" (the notebook's own description, for whoever opens it in JupyterLab) is not the page's.
    config.TagRemovePreprocessor.remove_cell_tags = {"analyst"}
    config.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=config, template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(notebook, as_version=4),
                                          resources={"metadata": {"name": title}})
    io.write_text(body, target)
    return target
