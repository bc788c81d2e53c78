"""Plan 171 digital-infrastructure analytics."""
import sys

__version__ = "0.1.0"

# jsonschema imports rfc3987-syntax whenever it is installed (JupyterLab's jupyter-events asks for it), and that
# package compiles an Earley grammar at import: 2.6 s of CPU in every process that imports altair, nbformat's
# validator or Great Expectations (8.5 s -> 5.9 s for GX's import here). Nothing in this project validates a
# schema's 'iri' format, the only thing it serves; marked absent, jsonschema skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
