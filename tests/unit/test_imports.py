"""What a process pays to start: analysis marks rfc3987-syntax absent, so jsonschema (under altair, nbformat and
Great Expectations) does not compile its IRI grammar, which cost 2.6 s of every process that imported them."""
from __future__ import annotations

import subprocess
import sys


def test_altair_nbformat_and_jsonschema_load_without_the_iri_grammar():
    code = ("import analysis, altair, nbformat, jsonschema, sys; "
            "print(sys.modules['rfc3987_syntax'], 'iri' in jsonschema.FormatChecker().checkers, "
            "jsonschema.Draft7Validator({'type': 'integer'}).is_valid('x'), "
            "altair.Chart(altair.Data(values=[{'a': 1}])).mark_point().encode(x='a:Q').to_dict()['mark']['type'])")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # the grammar's module never loaded, the one format it serves is off, and validation works as before
    assert r.stdout.split() == ["None", "False", "False", "point"]
