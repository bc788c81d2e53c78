"""Executing one notebook with papermill and turning it into a page a reader can open offline."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from analysis import io, palette, paths
from analysis.errors import AnalysisError

NOTEBOOKS = paths.NOTEBOOKS
TEMPLATES = paths.TEMPLATES
KERNEL = "plan171"


class NotebookFailed(AnalysisError):
    """A notebook raised, or its kernel died under it: names it, the cell and the error (or that the kernel
    died); the executed notebook is kept, as far as it went, for inspection."""

    def __init__(self, name: str, cell: int | None, ename: str, evalue: str, kept: Path) -> None:
        self.ename, self.kept = ename, kept
        first = (evalue or "").strip().splitlines()[0] if evalue else ""
        where = f"cell {cell} failed: {ename}: " if cell is not None else ""
        super().__init__(f"{where}{first} (kept: {kept})", file=name)


KERNEL_DIED = "its kernel died while it ran (out of memory, or killed)"


def kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager
    return KERNEL if KERNEL in KernelSpecManager().find_kernel_specs() else "python3"


def _kernel_manager():
    """Kernels talk to the runner over local sockets (IPC), not TCP: nothing listens on a port, and ipykernel has no
    "running over TCP without encryption" warning to print for every notebook; a finished kernel is shut down
    without an interrupt."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class LocalKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            # A socket path of its own: kernels started side by side would otherwise share "kernel-ipc-N" in the
            # working folder (the notebooks') and read each other's messages.
            import uuid

            from jupyter_core.paths import jupyter_runtime_dir
            os.makedirs(jupyter_runtime_dir(), exist_ok=True)
            return os.path.join(jupyter_runtime_dir(), f"plan171-{uuid.uuid4().hex[:12]}-ipc")

        async def _async_pre_start_kernel(self, **kw):
            # These kernels' notebooks become pages: their charts go out as page figures (spec, static image),
            # not as JupyterLab's Vega-Lite output. Only these kernels: the runner's own environment is untouched.
            from analysis.charts import PAGE_ENV
            kw["env"] = {**os.environ, **(kw.get("env") or {}), PAGE_ENV: "1"}
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts a kernel before shutting it down; after a notebook has finished there is
            # nothing to interrupt, and the kernel would log "KeyboardInterrupt caught in kernel" as an error.
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return LocalKernelManager


def execute(name: str, out: Path, parameters: dict, km=None, each_cell: bool = True) -> Path:
    """Run notebooks/<name> with `parameters` into `out`: in a kernel of its own, or in `km`, a worker's warm
    kernel (`run.kernels`), which stays running for the next notebook. `each_cell`: the notebook is written
    after every cell, so that someone can watch a stage of minutes grow; a page's (False) is written once, when
    it is done, failed or not (papermill would write it before and after each cell: 50-200 ms a page, the
    notebook growing to 2 MB of charts)."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    out.parent.mkdir(parents=True, exist_ok=True)
    how = ({"kernel_manager_class": _kernel_manager()} if km is None else
           {"engine_name": _warm_engine(), "km": km, "kept": str(out)})
    try:
        pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters, kernel_name=kernel(),
                            cwd=str(NOTEBOOKS), progress_bar=False, log_output=False,
                            request_save_on_cell_execute=each_cell, **how)
    except pm.PapermillExecutionError as exc:
        raise NotebookFailed(name, exc.exec_count, exc.ename, exc.evalue, out) from None
    except DeadKernelError:
        # A stage that ran out of memory, or a kernel killed: one line like a failed cell's, not an unexpected
        # error (exit 3, "DeadKernelError: Kernel died").
        raise NotebookFailed(name, None, "DeadKernelError", KERNEL_DIED, out) from None
    return out


def _warm_engine() -> str:
    from analysis.run import kernels   # registers the engine with papermill
    return kernels.ENGINE


def new_kernel():
    """A kernel manager for a warm worker (not started)."""
    return _kernel_manager()(kernel_name=kernel())


def _page_words(lang: str) -> str:
    """Words the stylesheet shows (the hint over a wide table), in the page's language, as CSS strings."""
    import json

    from analysis.text import t
    return f"\n:root {{ --scroll-hint: {json.dumps(t('scroll_hint', lang), ensure_ascii=False)}; }}"


_LOCAL = threading.local()


def _exporter():
    """The page exporter, one per thread and kept: its templates are compiled once, not for every page (the first
    export in a process took 3.9 s, a later one 0.25–0.7 s). Everything that differs by page goes in `resources`."""
    exporter = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        from traitlets.config import Config
        config = Config()
        # A cell tagged "analyst" (the notebook's description, for whoever opens it in JupyterLab) is not the page's.
        config.TagRemovePreprocessor.remove_cell_tags = {"analyst"}
        config.TagRemovePreprocessor.enabled = True
        # `optimistic_validation`: the notebook is checked against its schema once, after the preprocessors, not
        # after each of the twelve (18 of a district page's 31 ms of export).
        exporter = _LOCAL.exporter = _page_exporter()(
            config=config, template_name="offline", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
            exclude_input_prompt=True, exclude_output_prompt=True, optimistic_validation=True)
    return exporter


def _page_exporter():
    """nbconvert's HTML exporter without its last step, which parses the whole page with BeautifulSoup to give an
    <img> without alt text a placeholder and JupyterLab's cells a tabindex: the offline template writes neither
    (charts are inline SVG with their own titles; no `.jp-Notebook`), so the step changed nothing and took 80% of
    an export (0.17 s of a district page's 0.21 s). The filters are registered as `HTMLExporter` does (nbconvert
    is pinned); headings are written as text, which the pass used to do, and the page's `lang` is its language
    (nbconvert put its own "en" on every page). `test_a_page_is_what_nbconvert_s_full_exporter_writes` checks
    the page is the one the full exporter writes."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from jinja2 import pass_context

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter("highlight_code",
                                 self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

        def _init_resources(self, resources):
            # nbconvert sets the page's language from its own setting ("en"), over the one the page is in.
            lang = (resources or {}).get("language_code")
            resources = super()._init_resources(resources)
            if lang:
                resources["language_code"] = lang
            return resources

        @pass_context
        def markdown2html(self, context, source):
            """HTMLExporter's, with headings written as text (`_Renderer`)."""
            cell = context.get("cell", {})
            renderer = _Renderer(
                escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options)
            return MarkdownWithMath(renderer=renderer).render(source)

    class _Renderer(IPythonRenderer):
        def heading(self, text, level, **attrs):
            return _anchor(super().heading(text, level, **attrs))

    return PageExporter


def _anchor(html: str) -> str:
    """A heading as nbconvert's renderer gave it (with its id and ¶ link), written as text: nbconvert serialises it
    as ASCII, so 'Chất lượng' came out as 'Ch&#7845;t l&#432;&#7907;ng', which its BeautifulSoup pass used to turn
    back into letters."""
    from xml.etree import ElementTree
    try:
        return ElementTree.tostring(ElementTree.fromstring(html), encoding="unicode")
    except ElementTree.ParseError:   # a heading nbconvert could not parse either: as it was
        return html


def warm_exporter() -> None:
    """This thread's page exporter, its templates compiled by exporting an empty notebook: the first page a worker
    exports otherwise compiles them (0.5 s), after the trajectories, when every page waits for the workers."""
    import nbformat
    _exporter().from_notebook_node(nbformat.v4.new_notebook(), resources=_resources("", "vi", True, []))


def to_html(notebook: Path, target: Path, title: str, lang: str = "vi",
            alternates: list[dict] | None = None) -> Path:
    """Readers get no code: inputs and prompts removed, and a template with no external script. A page with charts
    carries the Vega runtime once; `alternates` (lang, label, href) link the page in its other languages."""
    import nbformat
    exporter = _exporter()
    nb = nbformat.read(notebook, as_version=4)
    has_charts = any('class="chart-spec"' in str(o.get("data", {}).get("text/html", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    body, _ = exporter.from_notebook_node(nb, resources=_resources(title, lang, has_charts, alternates or []))
    io.write_text(body, target)
    return target


def _resources(title: str, lang: str, has_charts: bool, alternates: list[dict]) -> dict:
    """What the offline template is given for a page, besides the notebook."""
    from analysis import charts
    return {"metadata": {"name": title}, "language_code": lang, "status_css": palette.css() + _page_words(lang),
            "vega_runtime": charts.runtime() if has_charts else None,
            "vega_locale": charts.script_json(charts.number_locale(lang)), "alternates": alternates}
