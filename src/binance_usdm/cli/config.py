"""Where the CLI's credentials and endpoint come from: flags, environment, profile, or the demo.

Order: an explicit ``--profile`` (or ``USDM_PROFILE``) wins; otherwise ``BINANCE_API_KEY`` with
``BINANCE_API_SECRET`` or ``BINANCE_PRIVATE_KEY``; otherwise the ``default`` profile of the config file;
otherwise nothing, and the CLI runs against the emulator's demo account. Flags (``--base-url``,
``--testnet``, ``--recv-window``) override what the profile says. A config file that
``$USDM_CONFIG`` names must exist.

The config file is ``$USDM_CONFIG``, else ``$XDG_CONFIG_HOME/usdm/config.toml``
(``~/.config/usdm/config.toml``), one TOML table per profile::

    [default]
    api_key = "..."
    api_secret = "..."

    [test]
    api_key = "..."
    private_key_file = "~/.config/usdm/test-ed25519.pem"
    testnet = true
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from pathlib import Path

PROFILE_KEYS = frozenset(
    {"api_key", "api_secret", "private_key_file", "private_key_passphrase", "base_url", "testnet", "recv_window"}
)


class ConfigError(Exception):
    """The config file or profile cannot be used (a usage error: exit code 2)."""


class Credentials(msgspec.Struct, frozen=True):
    """What the client signs with. ``repr`` never shows the secret."""

    api_key: str
    api_secret: str | None = None
    private_key: Path | str | None = None  # a PEM file's path, or PEM text from BINANCE_PRIVATE_KEY
    private_key_passphrase: str | None = None
    source: str = "environment"

    @property
    def auth(self) -> str:
        """How requests are signed, for display (never the key material)."""
        if self.api_secret:
            return "hmac"
        from pathlib import Path

        if isinstance(self.private_key, Path):
            return f"private key {self.private_key}"
        return "private key (PEM from BINANCE_PRIVATE_KEY)"

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key[:4]}…, auth={self.auth}, source={self.source})"


class Settings(msgspec.Struct, frozen=True):
    """Resolved connection settings: credentials (None means: use the demo emulator) and endpoint."""

    credentials: Credentials | None
    base_url: str | None = None
    testnet: bool = False
    recv_window: int | None = None
    profile: str | None = None
    #: Without credentials: the config file's profiles when none is ``default`` (said with the demo notice).
    unpicked: str | None = None


def config_path() -> Path:
    """The config file's location (it need not exist)."""
    from pathlib import Path  # not before a config file is looked for: environment credentials need none

    explicit = os.environ.get("USDM_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "usdm" / "config.toml"


def load_profiles(path: Path) -> dict[str, dict[str, Any]]:
    """Every profile table of the config file; ``{}`` when the default file does not exist (a file
    ``$USDM_CONFIG`` names must exist)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if os.environ.get("USDM_CONFIG"):
            raise ConfigError(f"USDM_CONFIG names {path}, which does not exist") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    profiles: dict[str, dict[str, Any]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"config file {path}: '{name}' must be a table ([{name}])")
        unknown = sorted(set(table) - PROFILE_KEYS)
        if unknown:
            raise ConfigError(f"config file {path}: profile '{name}' has unknown key(s): {', '.join(unknown)}")
        profiles[name] = table
    return profiles


def _text(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' must be a non-empty string")
    return value


def _profile_settings(name: str, table: dict[str, Any], path: Path) -> Settings:
    where = f"profile '{name}' in {path}"
    key = _text(table, "api_key", where)
    secret = _text(table, "api_secret", where)
    key_file = _text(table, "private_key_file", where)
    passphrase = _text(table, "private_key_passphrase", where)
    testnet = table.get("testnet", False)
    if not isinstance(testnet, bool):
        raise ConfigError(f"{where}: 'testnet' must be true or false")
    recv_window = table.get("recv_window")
    if recv_window is not None and (not isinstance(recv_window, int) or not 1 <= recv_window <= 60_000):
        raise ConfigError(f"{where}: 'recv_window' must be an integer from 1 to 60000")
    credentials: Credentials | None = None
    if key is not None or secret is not None or key_file is not None:
        if key is None:
            raise ConfigError(f"{where}: 'api_key' is missing")
        if (secret is None) == (key_file is None):
            raise ConfigError(f"{where}: give exactly one of 'api_secret' and 'private_key_file'")
        private_key = None if key_file is None else _key_path(key_file, path)
        credentials = Credentials(
            key, secret, private_key,
            passphrase or os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None,
            source=f"profile '{name}'",
        )
    return Settings(credentials, _text(table, "base_url", where), testnet, recv_window, name)


def _key_path(value: str, config_file: Path) -> Path:
    from pathlib import Path

    path = Path(value).expanduser()
    return path if path.is_absolute() else config_file.parent / path


def environment_credentials() -> Credentials | None:
    """``BINANCE_API_KEY`` with ``BINANCE_API_SECRET`` or ``BINANCE_PRIVATE_KEY`` (a PEM file's path, or
    the PEM text itself)."""
    key = os.environ.get("BINANCE_API_KEY") or None
    secret = os.environ.get("BINANCE_API_SECRET") or None
    private_key = os.environ.get("BINANCE_PRIVATE_KEY") or None
    if key is None and secret is None and private_key is None:
        return None
    if key is None:
        raise ConfigError("BINANCE_API_SECRET/BINANCE_PRIVATE_KEY is set but BINANCE_API_KEY is not")
    if secret is None and private_key is None:
        raise ConfigError("BINANCE_API_KEY is set but neither BINANCE_API_SECRET nor BINANCE_PRIVATE_KEY is")
    if secret is not None and private_key is not None:
        raise ConfigError("set either BINANCE_API_SECRET or BINANCE_PRIVATE_KEY, not both")
    key_source: Path | str | None = private_key
    if private_key is not None and "-----BEGIN" not in private_key:
        from pathlib import Path

        key_source = Path(private_key).expanduser()
    return Credentials(key, secret, key_source, os.environ.get("BINANCE_PRIVATE_KEY_PASSPHRASE") or None)


def resolve(profile: str | None) -> Settings:
    """The settings to use, before command-line overrides (``--base-url``, ``--testnet``...)."""
    if profile is not None:
        path = config_path()
        profiles = load_profiles(path)
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(f"no profile '{profile}' in {path} (profiles: {known})")
        return _profile_settings(profile, profiles[profile], path)
    env = environment_credentials()
    if env is not None:
        return Settings(env)
    path = config_path()
    profiles = load_profiles(path)
    if "default" in profiles:
        return _profile_settings("default", profiles["default"], path)
    if profiles:
        names = ", ".join(sorted(profiles))
        return Settings(None, unpicked=f"{path} has no default profile, only {names}: pick one with --profile")
    return Settings(None)
