"""Every command exits through cli.py's one exit path: a bad input gives one `Error:` line, the right exit code,
and never a traceback; a negative verdict (verification FAILED, validation errors) only sets the exit code."""

import subprocess
import sys

from click.testing import CliRunner

from stages import CONFIG, SMALL, write
from twinsplit.cli import main
from twinsplit.commands import COMMANDS


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="twinsplit")


def _bad_inputs(tmp_path):
    """One bad input per command: (args, exit code, text the one error line must contain)."""
    bad = write(tmp_path, "#usda 1.0\n(((garbage", "bad.usda")
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("randomize: [:\n")
    keys = tmp_path / "keys"
    assert CliRunner().invoke(main, ["keygen", "--out", str(keys)]).exit_code == 0
    return {
        "init": (["init", tmp_path / "missing.usda"], 2, "cannot open stage"),
        "generate": (["generate", write(tmp_path), "--config", cfg, "--out", tmp_path / "o", "--train", 2,
                      "--holdout", 1], 2, "cannot parse config"),
        "verify": (["verify", tmp_path / "nowhere"], 1, "no such output directory"),
        "validate": (["validate", bad], 2, "cannot open stage"),
        "audit": (["audit", bad, "--against", write(tmp_path)], 2, "cannot open stage"),
        "simcheck": (["simcheck", tmp_path / "missing.usda"], 2, "does not exist"),
        "report": (["report", tmp_path / "nowhere"], 1, "no such output directory"),
        "score": (["score", tmp_path / "nowhere", tmp_path / "results.csv"], 1, "no such output directory"),
        "keygen": (["keygen", "--out", keys], 1, "already exists; refusing to overwrite"),
        "schema": (["schema", "bogus"], 2, "'bogus' is not one of 'config', 'manifest'"),
    }


def test_every_command_reports_a_bad_input_as_one_line(tmp_path):
    cases = _bad_inputs(tmp_path)
    assert sorted(cases) == sorted(COMMANDS)  # a new command needs its bad-input case here
    for name, (args, code, needle) in cases.items():
        result = _run(*args)
        assert isinstance(result.exception, SystemExit), (name, repr(result.exception))  # not an uncaught error
        assert result.exit_code == code, (name, result.exit_code, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], (name, result.stderr)
        assert "Traceback" not in result.output, name
        if name != "validate":  # validate still prints its report (the unreadable file) on stdout
            assert result.stdout == "", (name, result.stdout)


def test_usage_errors_are_one_line_with_a_help_pointer():
    for args, line in ((["frobnicate"], "No such command 'frobnicate'. (see 'twinsplit --help')"),
                       (["generate", "x.usda", "--out", "o", "--train", "2"],
                        "Missing option '--holdout'. (see 'twinsplit generate --help')"),
                       (["schema"],  # click's choice list spans lines: joined into one
                        "Missing argument '{config|manifest}'. Choose from: config, manifest "
                        "(see 'twinsplit schema --help')")):
        result = _run(*args)
        assert result.exit_code == 2 and result.stderr.splitlines() == [f"Error: {line}"], result.stderr


def test_bare_twinsplit_still_prints_the_help():
    result = _run()
    assert "Commands:" in result.output and "generate" in result.output and "Error" not in result.output


def test_negative_verdicts_set_the_exit_code_and_add_nothing(tmp_path):
    src = write(tmp_path)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    assert _run("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2).exit_code == 0
    (out / "train" / "train-00000.usdc").write_text("#usda 1.0\n")
    heavy = write(tmp_path, SMALL.replace("float physics:mass = 5", "float physics:mass = -5"), "negative.usda")
    for args, last in ((["verify", out], "verification FAILED"),
                       (["report", out, "-o", tmp_path / "r.html"],
                        "verification FAILED (see the report's check table)"),
                       (["validate", "--skip", "nvidia:*", heavy], "1 file, 1 error, 0 warnings")):
        result = _run(*args)
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, (args, result.output)
        assert result.stderr == "" and result.stdout.splitlines()[-1].startswith(last), (args, result.output)


def test_the_installed_entry_point_exits_the_same_way(tmp_path):
    """A real process: stderr is exactly one line and the exit status is the error's code."""
    proc = subprocess.run([sys.executable, "-c", "from twinsplit.cli import main; main()", "init",
                           str(tmp_path / "missing.usda")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [f"Error: cannot open stage {tmp_path / 'missing.usda'}: no such file"]
