"""The command line: options before the script, the script's own arguments after it."""
import pytest

from pynn_bss2.compare.cli import main, parser, split_script


def parse(*argv):
    return parser().parse_args(split_script(["compare", *argv]))


def test_seeds_stop_at_the_script_and_its_options_stay_its_own():
    ns = parse("--seeds", "1", "2", "3", "--out", "rep", "net.py", "--seeds", "9", "--out", "x")
    assert ns.seeds == [1, 2, 3] and ns.out == "rep"
    assert ns.script == "net.py" and ns.script_args == ["--seeds", "9", "--out", "x"]


def test_flags_and_equals_forms_take_no_extra_word():
    ns = parse("-q", "--imperfections=none", "--tau", "2.5", "net.py", "-q")
    assert ns.quiet and ns.imperfections == "none" and ns.tau == 2.5
    assert ns.script == "net.py" and ns.script_args == ["-q"]


def test_an_explicit_double_dash_is_kept():
    assert split_script(["compare", "--seeds", "4", "--", "net.py"]) == [
        "compare", "--seeds", "4", "--", "net.py"]
    assert parse("--seeds", "4", "--", "net.py", "a").script_args == ["a"]


def test_defaults():
    ns = parse("net.py")
    assert (ns.seeds, ns.imperfections, ns.out, ns.script_args) == (
        None, "realistic", "compare_report", [])


def test_unknown_imperfections_is_refused(capsys):
    with pytest.raises(SystemExit):
        parse("--imperfections", "some", "net.py")
    assert "invalid choice: 'some'" in capsys.readouterr().err


def test_a_missing_script_is_an_error_message_and_status_1(tmp_path, capsys):
    assert main(["compare", "--out", str(tmp_path / "rep"), str(tmp_path / "nope.py")]) == 1
    err = capsys.readouterr().err
    assert "pynn-bss2 compare: error: compare: the script" in err
    assert "nope.py' does not exist; pass the path of a PyNN script" in err
    assert not (tmp_path / "rep").exists()   # nothing started, nothing written
