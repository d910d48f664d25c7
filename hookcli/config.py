"""The user's config file: secrets per provider, template folders, hmac scheme options.

TOML at ``$HOOKCLI_CONFIG`` or ``<user config dir>/hookcli/config.toml``::

    keep = 500                       # default for `listen --keep` (retention)

    [secrets]
    stripe = "whsec_..."
    github = "..."

    [templates]
    dirs = ["~/hooks/templates"]     # relative paths are relative to the config file

    [providers.acme]                 # a provider described as data (docs/providers/profiles.md)
    signature_header = "X-Acme-Signature"

    [hmac]
    header = "X-Signature"
    algorithm = "sha256"             # sha1 | sha256 | sha512
    encoding = "hex"                 # hex | base64
    prefix = "sha256="
    timestamp_header = "X-Timestamp"

The file is only ever read: secrets found here are never written anywhere.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from hookcli.errors import HookcliError

ENV_CONFIG = "HOOKCLI_CONFIG"
ENV_SECRET_PREFIX = "HOOKCLI_SECRET_"
_ALIASES = {"svix": "standard"}
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    secrets: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    template_dirs: tuple[Path, ...] = ()
    hmac: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    #: ``[providers.NAME]`` tables as written; hookcli.signing.profile validates them
    providers: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    keep: int | None = None  # default for `listen --keep`

    def __repr__(self) -> str:  # never show secrets in a traceback or log
        names = ", ".join(sorted(self.secrets))
        return (
            f"Config(path={self.path!r}, secrets=[{names}], template_dirs={self.template_dirs!r})"
        )


def config_path() -> Path:
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("hookcli")) / "config.toml"


def _canonical(provider: str) -> str:
    low = provider.strip().lower()
    return _ALIASES.get(low, low)


def _table(doc: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise HookcliError(f"config file {path}: [{key}] must be a table")
    return value


def _parse(doc: Mapping[str, Any], path: Path) -> Config:
    secrets: dict[str, str] = {}
    for name, value in _table(doc, "secrets", path).items():
        if not isinstance(value, str):
            raise HookcliError(f"config file {path}: secrets.{name} must be a string")
        secrets[_canonical(name)] = value
    dirs = _table(doc, "templates", path).get("dirs", [])
    if isinstance(dirs, str):
        dirs = [dirs]
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise HookcliError(f"config file {path}: templates.dirs must be a list of paths")
    base = path.parent
    template_dirs = tuple(base / Path(d).expanduser() for d in dirs)
    hmac_opts = dict(_table(doc, "hmac", path))
    providers = dict(_table(doc, "providers", path))
    keep = doc.get("keep")
    if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 1):
        raise HookcliError(f"config file {path}: keep must be a whole number of 1 or more")
    return Config(
        path,
        MappingProxyType(secrets),
        template_dirs,
        MappingProxyType(hmac_opts),
        MappingProxyType(providers),
        keep,
    )


def load(path: Path | None = None) -> Config:
    """The config at PATH (default :func:`config_path`); an empty Config when absent."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise HookcliError(f"cannot read config file {path}: {exc}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HookcliError(
            f"malformed config file {path}: {exc}", "fix the TOML or set HOOKCLI_CONFIG"
        ) from None
    return _parse(doc, path)


def env_name(provider: str) -> str:
    """``HOOKCLI_SECRET_<PROVIDER>``: upper case, with ``-`` (allowed in profile names, not
    in shell variable names) as ``_``."""
    return ENV_SECRET_PREFIX + provider.upper().replace("-", "_")


def secret_for(
    provider: str, cli_value: str | None = None, config: Config | None = None
) -> str | None:
    """The secret for PROVIDER: --secret, else $HOOKCLI_SECRET_<PROVIDER>, else config."""
    if cli_value:
        return cli_value
    name = _canonical(provider)
    env = os.environ.get(env_name(name))
    if env:
        return env
    cfg = config if config is not None else load()
    return cfg.secrets.get(name)


def secrets_for(names: Iterable[str], cli: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every provider of NAMES that has a secret (CLI, environment or config), loading the
    config file at most once."""
    cli = cli or {}
    cfg: Config | None = None
    out: dict[str, str] = {}
    for name in names:
        value = cli.get(name) or os.environ.get(env_name(name))
        if not value:
            cfg = cfg if cfg is not None else load()
            value = cfg.secrets.get(name)
        if value:
            out[name] = value
    return out
