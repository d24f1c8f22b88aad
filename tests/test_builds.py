"""Two builds compared number by number: a changed number is found, the run's own facts are not."""

import json

import pandas as pd

from anatomy.pipeline.builds import differences, macro_changes, main


def build(root, macro="\\newcommand{\\x}{0.91}", commit="abc", value=1.0):
    (root / "paper/generated/macros").mkdir(parents=True)
    (root / "paper/generated/tables").mkdir(parents=True)
    (root / "data/results/zoo").mkdir(parents=True)
    (root / "paper/generated/macros/zoo.tex").write_text(macro)
    (root / "paper/generated/tables/provenance.tex").write_text(commit)
    pd.DataFrame({"value": [value]}).to_parquet(root / "data/results/zoo/accuracy.parquet")
    meta = {"git_commit": commit, "wall_time_s": 3.2, "settings": {"steps": 10}, "seed": 0}
    (root / "data/results/zoo/accuracy.json").write_text(json.dumps(meta))
    return root


def test_the_same_numbers_from_another_commit_are_the_same_build(tmp_path):
    a = build(tmp_path / "a")
    b = build(tmp_path / "b", commit="def")  # provenance and metadata name another commit
    assert differences(a, b) == []
    assert main([str(a), str(b)]) == 0


def test_a_changed_number_a_changed_setting_and_a_missing_file_are_each_named(tmp_path):
    a = build(tmp_path / "a")
    b = build(tmp_path / "b", macro="\\newcommand{\\x}{0.92}", value=1.0 + 1e-12)
    meta = json.loads((b / "data/results/zoo/accuracy.json").read_text())
    meta["settings"]["steps"] = 11
    (b / "data/results/zoo/accuracy.json").write_text(json.dumps(meta))
    (b / "data/results/zoo/extra.parquet").write_bytes(b"")
    assert differences(a, b) == [
        f"only in {b}: data/results/zoo/extra.parquet",
        "differs: data/results/zoo/accuracy.json",
        "differs: data/results/zoo/accuracy.parquet",
        "differs: paper/generated/macros/zoo.tex",
    ]
    assert main([str(a), str(b)]) == 1


def test_each_changed_macro_is_listed_with_both_values(tmp_path, capsys):
    a = build(tmp_path / "a", macro="\\newcommand{\\x}{0.91}\n\\newcommand{\\y}{\\pm 0.1}\n")
    b = build(tmp_path / "b", macro="\\newcommand{\\x}{0.91}\n\\newcommand{\\y}{\\pm 0.2}\n")
    (b / "paper/generated/macros/vit.tex").write_text("\\newcommand{\\z}{3}\n")
    assert macro_changes(a, b) == ["\\y: \\pm 0.1 -> \\pm 0.2", "\\z: (none) -> 3"]
    assert macro_changes(a, a) == []
    assert main([str(a), str(b), "--macros"]) == 1
    assert capsys.readouterr().out.endswith("2 macros in " + str(a) + ", 2 changed\n")
