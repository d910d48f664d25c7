"""Config file loading and secret precedence: --secret > HOOKCLI_SECRET_<P> > config."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookcli import config
from hookcli.errors import HookcliError

TOML = """
[secrets]
stripe = "whsec_from_config"
svix = "whsec_c3ZpeA=="

[templates]
dirs = ["~/hooks/templates", "local"]

[hmac]
header = "X-Sig"
algorithm = "sha512"
"""


@pytest.fixture
def cfg_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(TOML)
    monkeypatch.setenv("HOOKCLI_CONFIG", str(path))
    for name in ("STRIPE", "STANDARD", "GITHUB"):
        monkeypatch.delenv(f"HOOKCLI_SECRET_{name}", raising=False)
    return path


def test_load_reads_all_sections(cfg_file: Path) -> None:
    cfg = config.load()
    assert cfg.path == cfg_file
    assert cfg.secrets == {"stripe": "whsec_from_config", "standard": "whsec_c3ZpeA=="}
    assert cfg.template_dirs == (Path("~/hooks/templates").expanduser(), cfg_file.parent / "local")
    assert cfg.hmac == {"header": "X-Sig", "algorithm": "sha512"}


def test_config_repr_hides_secret_values(cfg_file: Path) -> None:
    assert "whsec_from_config" not in repr(config.load())


def test_missing_file_is_empty_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKCLI_CONFIG", str(tmp_path / "absent.toml"))
    cfg = config.load()
    assert cfg.secrets == {} and cfg.template_dirs == () and cfg.hmac == {}


def test_default_path_is_user_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKCLI_CONFIG", raising=False)
    path = config.config_path()
    assert path.name == "config.toml" and "hookcli" in str(path)


@pytest.mark.parametrize(
    "text",
    [
        "[secrets\nstripe = 1",
        "secrets = 3",
        "[secrets]\nstripe = 42",
        "[templates]\ndirs = [1, 2]",
        "[hmac]\nheader = 'x'\n[hmac]\nheader = 'y'",
    ],
)
def test_malformed_config_names_the_path(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(HookcliError) as err:
        config.load(path)
    assert str(path) in err.value.message


def test_unreadable_config_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe[secrets]")
    with pytest.raises(HookcliError, match=r"bin\.toml"):
        config.load(path)


def test_secret_precedence(cfg_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.secret_for("stripe") == "whsec_from_config"
    monkeypatch.setenv("HOOKCLI_SECRET_STRIPE", "whsec_from_env")
    assert config.secret_for("stripe") == "whsec_from_env"
    assert config.secret_for("stripe", "whsec_from_cli") == "whsec_from_cli"


def test_secret_for_alias_and_absent(cfg_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.secret_for("svix") == "whsec_c3ZpeA=="
    assert config.secret_for("standard") == "whsec_c3ZpeA=="
    assert config.secret_for("github") is None
    monkeypatch.setenv("HOOKCLI_SECRET_STANDARD", "whsec_env")
    assert config.secret_for("svix") == "whsec_env"


def test_secret_for_uses_given_config(cfg_file: Path) -> None:
    given = config.Config(secrets={"github": "from-given"})
    assert config.secret_for("github", config=given) == "from-given"
    assert config.secret_for("stripe", config=given) is None


def test_cli_value_needs_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[[")
    monkeypatch.setenv("HOOKCLI_CONFIG", str(bad))
    assert config.secret_for("stripe", "cli") == "cli"
