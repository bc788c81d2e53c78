"""Plan 171 digital-infrastructure analytics."""
import sys

__version__ = "0.1.0"

# jsonschema imports rfc3987-syntax whenever it is installed (JupyterLab's jupyter-events asks for it), and that
# package compiles an Earley grammar at import: 2.6 s of CPU in every process that imports altair, nbformat's
# validator or Great Expectations (GX's import 6.7 s -> 4.9 s, altair's 2.9 s -> 0.7 s, measured side by side).
# Nothing in this project validates a schema's 'iri' format, the only thing it serves; marked absent, jsonschema
# skips that format.
sys.modules.setdefault("rfc3987_syntax", None)
