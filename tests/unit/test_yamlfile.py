"""The project's YAML read through libyaml's parser gives what PyYAML's own gives, and a broken file still says
where it broke."""
from __future__ import annotations

import pytest
import yaml

from analysis import paths, yamlfile


@pytest.mark.parametrize("path", sorted(paths.CONFIG.rglob("*.yml")) + sorted(paths.LOCALE.glob("*.yml")),
                         ids=lambda p: p.name)
def test_every_file_reads_as_pyyaml_s_own_parser_reads_it(path):
    text = path.read_text(encoding="utf-8")
    assert yamlfile.read(path) == yaml.safe_load(text)


def test_plain_data_only_and_errors_with_their_line():
    assert yamlfile.loads("a: 2024-11-01\nb: [1, 'x', 1.5, null, yes]") == {
        "a": __import__("datetime").date(2024, 11, 1), "b": [1, "x", 1.5, None, True]}
    with pytest.raises(yaml.YAMLError):   # the safe constructor: no object is built from a tag
        yamlfile.loads("!!python/object/apply:os.system ['true']")
    with pytest.raises(yaml.YAMLError) as caught:
        yamlfile.loads("a: [1, 2\nb: 3")
    assert caught.value.problem_mark.line == 1
