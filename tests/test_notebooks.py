"""Literate notebooks: executed from their text source; a failing cell fails in one line."""

import pytest

from anatomy.notebooks import NotebookError, execute


def test_execute_writes_executed_notebook_and_html(tmp_path):
    source = tmp_path / "nb.py"
    source.write_text("# %% [markdown]\n# A title\n\n# %%\nprint(6 * 7)\n")
    execute(source, tmp_path / "nb.ipynb", tmp_path / "nb.html", threads=1, timeout_s=120)
    assert '"42\\n"' in (tmp_path / "nb.ipynb").read_text()
    assert "A title" in (tmp_path / "nb.html").read_text()


def test_failing_cell_raises_one_line_and_writes_nothing(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text('# %%\nassert 1 == 2, "the readings disagree"\n')
    with pytest.raises(NotebookError) as error:
        execute(source, tmp_path / "bad.ipynb", tmp_path / "bad.html", threads=1, timeout_s=120)
    assert "the readings disagree" in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "bad.ipynb").exists()
